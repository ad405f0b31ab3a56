"""What users see in forms (DESIGN §7): local time, every error at once with a summary,
GOV.UK wording, no silent truncation, and day / month / year dates."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from casework.core.localtime import NonexistentTime, format_local, to_utc
from casework.core.models import Meeting, Person
from casework.extensions import db
from casework.marac.models import Referral
from tests.helpers import csrf_token, login

from .conftest import record_dash


def _client(app, user):
    client = app.test_client()
    login(client, user)
    return client


def _post(client, url, data):
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    return client.post(url, data={"csrf_token": csrf_token(page.text), **data})


def _date_parts(name: str, day: date) -> dict[str, str]:
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _summary(html: str) -> str:
    match = re.search(r'<div class="error-summary" role="alert".*?</div>', html, re.S)
    assert match, "no error summary on the page"
    return match.group(0)


def _next(month: int, day: int = 1) -> date:
    """The next date with this month and day, at least a month ahead."""
    today = date.today()
    year = today.year + (1 if (month, day) <= (today.month + 1, today.day) else 0)
    return date(year, month, day)


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


# --- 7. local time -------------------------------------------------------------------------


def _schedule(client, marac, day: date, clock: str):
    return _post(
        client,
        "/marac/meetings/new",
        {
            **_date_parts("date", day),
            "time": clock,
            "venue": "Civic Centre",
            "chair_user_id": str(marac.coordinator.id),
            "agency_ids": [str(marac.police.id), str(marac.idva_service.id)],
        },
    )


def test_local_time_conversion_at_the_clock_changes():
    assert to_utc(date(2027, 7, 1), time(10, 0)) == datetime(2027, 7, 1, 9, 0, tzinfo=UTC)
    assert to_utc(date(2027, 12, 1), time(10, 0)) == datetime(2027, 12, 1, 10, 0, tzinfo=UTC)
    # Autumn overlap: 01:30 happens twice; the first (still summer time) is taken.
    assert to_utc(date(2027, 10, 31), time(1, 30)) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    with pytest.raises(NonexistentTime, match="clocks go forward"):
        to_utc(date(2027, 3, 28), time(1, 30))
    assert format_local(datetime(2027, 7, 1, 9, 0, tzinfo=UTC)) == "1 Jul 2027 10:00"
    assert format_local(datetime(2027, 12, 1, 10, 0, tzinfo=UTC)) == "1 Dec 2027 10:00"
    assert format_local(None) == "—"


def test_summer_meeting_is_at_ten_everywhere(app, factory, marac):
    coordinator = _client(app, marac.coordinator)
    day = _next(7, 1)
    resp = _schedule(coordinator, marac, day, "10:00")
    assert resp.status_code == 302, resp.text
    meeting = db.session.scalar(sa.select(Meeting).order_by(Meeting.id.desc()))
    assert meeting.starts_at == datetime.combine(day, time(9, 0), tzinfo=UTC)  # stored in UTC (BST is UTC+1)

    pages = {
        "meeting": f"/marac/meetings/{meeting.id}",
        "list": "/marac/meetings",
        "agenda": f"/marac/meetings/{meeting.id}/agenda",
        "dashboard": "/marac/",
        "my work": "/",
    }
    for name, url in pages.items():
        page = coordinator.get(url)
        assert page.status_code == 200, name
        assert "10:00" in page.text, name
        assert "09:00" not in page.text and " UTC" not in page.text, name
    police = _client(app, marac.police_rep)
    assert "10:00" in police.get("/").text

    for url in (f"/marac/meetings/{meeting.id}/agenda.pdf", f"/marac/meetings/{meeting.id}/minutes.pdf"):
        text = _pdf_text(coordinator.get(url).data)
        assert "10:00" in text and "09:00" not in text and "UTC" not in text, url

    # Editing shows the local time back, and saving it unchanged keeps the same moment.
    edit = coordinator.get(f"/marac/meetings/{meeting.id}/edit")
    assert 'value="10:00"' in edit.text


def test_winter_meeting_is_stored_as_ten_utc(app, factory, marac):
    coordinator = _client(app, marac.coordinator)
    day = _next(12, 1)
    assert _schedule(coordinator, marac, day, "10:00").status_code == 302
    meeting = db.session.scalar(sa.select(Meeting).order_by(Meeting.id.desc()))
    assert meeting.starts_at == datetime.combine(day, time(10, 0), tzinfo=UTC)
    assert "10:00" in coordinator.get(f"/marac/meetings/{meeting.id}").text


def test_a_time_the_clocks_skip_is_a_form_error(app, factory, marac):
    coordinator = _client(app, marac.coordinator)
    spring = _last_sunday(date.today().year + 1, 3)
    resp = _schedule(coordinator, marac, spring, "01:30")
    assert resp.status_code == 400
    assert "There is a problem" in resp.text and "does not exist that day" in resp.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0

    autumn = _last_sunday(date.today().year + 1, 10)
    assert _schedule(coordinator, marac, autumn, "01:30").status_code == 302
    meeting = db.session.scalar(sa.select(Meeting))
    assert meeting.starts_at == datetime.combine(autumn, time(0, 30), tzinfo=UTC)


def test_meeting_time_errors_are_clear(app, factory, marac):
    coordinator = _client(app, marac.coordinator)
    resp = _schedule(coordinator, marac, _next(7), "25:99")
    assert resp.status_code == 400
    assert "Start time must be a real time, for example 10:00 or 14:30" in resp.text


# --- 9. every error at once, GOV.UK wording -------------------------------------------------


def test_empty_referral_shows_every_error_at_once(app, factory, marac):
    victim = factory.person(marac.idva, given_names="Vera", surname="Empty")
    client = _client(app, marac.idva)
    resp = _post(client, f"/marac/referrals/new/{victim.id}", {})
    assert resp.status_code == 400
    summary = _summary(resp.text)
    expected = {
        "referral_date-day": "Enter the referral date",
        "referrer_name": "Enter the referrer&#39;s name",
        "victim_aware": "Select whether the victim is aware of the referral",
        "consent": "Select whether the victim has consented to information sharing",
        "safe_to_call": "Select whether it is safe to call the victim",
        "dash_id": "Select the MARAC criterion that applies",
    }
    for field_id, message in expected.items():
        assert f'href="#{field_id}"' in summary, field_id
        assert message in summary, message
        assert f'id="{field_id}"' in resp.text, field_id  # the link has somewhere to go
    assert "This field is required" not in resp.text and "Not a valid" not in resp.text
    assert 'role="alert"' in summary


def test_rules_between_answers_and_people_are_shown_with_the_field_errors(app, factory, marac):
    victim = factory.person(marac.idva, given_names="Vera", surname="Rules")
    factory.person(marac.idva, given_names="Peter", surname="Perpson", dob=date(1985, 2, 3))
    client = _client(app, marac.idva)
    resp = _post(
        client,
        f"/marac/referrals/new/{victim.id}",
        {
            **_date_parts("referral_date", date.today()),
            **_date_parts("incident_date", date.today() + timedelta(days=1)),
            "crit_professional_judgement": "y",
            "consent": "no",
            "transfer_in": "y",
            "perp_surname": "Perpson",
            **_date_parts("perp_dob", date(1985, 2, 3)),
        },
    )
    assert resp.status_code == 400
    summary = _summary(resp.text)
    for message in (
        "Enter the referrer&#39;s name",
        "Date of the latest incident must be today or in the past",
        "Enter the reasons for your professional judgement",
        "Enter why information is shared without the victim&#39;s consent",
        "Enter the MARAC area the case is transferred from",
        "The perpetrator may already have a record",
    ):
        assert message in summary, message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 0


def test_incident_after_referral_date(app, factory, marac):
    victim = factory.person(marac.idva, given_names="Vera", surname="Order")
    client = _client(app, marac.idva)
    resp = _post(
        client,
        f"/marac/referrals/new/{victim.id}",
        {
            **_date_parts("referral_date", date.today() - timedelta(days=5)),
            **_date_parts("incident_date", date.today() - timedelta(days=1)),
        },
    )
    assert "Date of the latest incident must be the same as or before the referral date" in resp.text


def test_dash_errors_say_what_to_select(app, factory, marac):
    victim = factory.person(marac.idva, given_names="Vera", surname="Dash")
    client = _client(app, marac.idva)
    resp = _post(client, f"/marac/people/{victim.id}/dash/new", {})
    assert resp.status_code == 400
    summary = _summary(resp.text)
    assert "Select whether the victim is very frightened" in summary
    assert "Select whether the abuser has threatened to kill" in summary
    assert "Enter the date" in summary
    assert "Answer:" not in resp.text and "This field is required" not in resp.text


def test_meeting_form_errors_all_at_once(app, factory, marac):
    coordinator = _client(app, marac.coordinator)
    resp = _post(coordinator, "/marac/meetings/new", {"chair_user_id": str(marac.coordinator.id)})
    assert resp.status_code == 400
    summary = _summary(resp.text)
    for message in ("Enter the meeting date", "Enter the start time", "Enter the venue"):
        assert message in summary


# --- 10. no silent truncation ------------------------------------------------------------


def test_over_long_text_is_refused_with_a_count_never_cut(app, factory, marac):
    victim = factory.person(marac.idva, given_names="Vera", surname="Long")
    assessment = record_dash(marac.idva, victim, 15)
    client = _client(app, marac.idva)
    url = f"/marac/referrals/new/{victim.id}"
    form = client.get(url).text
    assert not re.search(r"\smaxlength=", form)  # the browser must never cut pasted text
    assert "You can enter up to 4,000 characters" in form
    base = {
        **_date_parts("referral_date", date.today()),
        "referrer_name": "Ivy",
        "dash_id": str(assessment.id),
        "victim_aware": "yes",
        "consent": "yes",
        "safe_to_call": "yes",
    }
    resp = _post(client, url, {**base, "summary": "x" * 4003})
    assert resp.status_code == 400
    assert "Reason for referral must be 4,000 characters or fewer" in _summary(resp.text)
    assert "You have 3 characters too many" in resp.text
    assert "x" * 4003 in resp.text  # the text is kept in the box for the user to shorten
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 0

    resp = _post(client, url, {**base, "referrer_name": "r" * 121})
    assert "Referrer&#39;s name must be 120 characters or fewer" in _summary(resp.text)
    assert "You have 1 character too many" in resp.text

    full = "y" * 3999 + "z"
    resp = _post(client, url, {**base, "summary": full})
    assert resp.status_code == 302, resp.text
    referral = db.session.scalar(sa.select(Referral))
    assert referral.summary == full  # stored whole


def test_person_notes_over_the_limit_are_refused(app, factory, marac):
    client = _client(app, marac.idva)
    resp = _post(client, "/people/new", {"surname": "Limit", "notes": "n" * 5001})
    assert resp.status_code == 400
    assert "Notes must be 5,000 characters or fewer" in resp.text
    assert "You have 1 character too many" in resp.text


# --- 11. day / month / year dates -----------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "message", "highlighted"),
    [
        (("3", "", "1985"), "Perpetrator&#39;s date of birth must include a month", ("month",)),
        (("", "", "1985"), "Perpetrator&#39;s date of birth must include a day and month", ("day", "month")),
        (("31", "2", "1985"), "Perpetrator&#39;s date of birth must be a real date", ("day", "month", "year")),
        (("3", "2", "85"), "Perpetrator&#39;s date of birth must include a year with 4 numbers", ("year",)),
        (("x", "2", "1985"), "Perpetrator&#39;s date of birth must be a real date", ("day",)),
        (("3", "2", "2999"), "Perpetrator&#39;s date of birth must be today or in the past", ()),
    ],
)
def test_date_errors(app, factory, marac, parts, message, highlighted):
    victim = factory.person(marac.idva, given_names="Vera", surname="Dates")
    client = _client(app, marac.idva)
    day, month, year = parts
    resp = _post(
        client,
        f"/marac/referrals/new/{victim.id}",
        {"perp_surname": "Perp", "perp_dob-day": day, "perp_dob-month": month, "perp_dob-year": year},
    )
    assert resp.status_code == 400
    assert message in _summary(resp.text)
    # What was typed is shown back, and the inputs in error are marked.
    assert f'name="perp_dob-year" type="text" inputmode="numeric" value="{year}"' in resp.text
    for part in highlighted:
        assert re.search(rf'input-error" id="perp_dob-{part}"[^>]*aria-invalid="true"', resp.text), part
    if highlighted:
        assert f'href="#perp_dob-{highlighted[0]}"' in resp.text


def test_date_input_is_a_fieldset_with_legend_hint_and_labels(app, factory, marac):
    victim = factory.person(marac.idva, given_names="Vera", surname="Fieldset")
    html = _client(app, marac.idva).get(f"/marac/referrals/new/{victim.id}").text
    block = html[html.index('id="referral_date"') - 80 :]
    block = block[: block.index("</fieldset>")]
    assert "<legend>Referral date" in block and "For example, 27 3 2007" in block
    for part, label in (("day", "Day"), ("month", "Month"), ("year", "Year")):
        assert f'<label class="date-input-label" for="referral_date-{part}">{label}</label>' in block
    year = date.today().year
    assert f'id="referral_date-year" name="referral_date-year" type="text" inputmode="numeric" value="{year}"' in block
    assert 'type="date"' not in html


def test_three_part_dates_are_stored(app, factory, marac):
    victim = factory.person(marac.idva, given_names="Vera", surname="Parts")
    assessment = record_dash(marac.idva, victim, 15)
    client = _client(app, marac.idva)
    yesterday = date.today() - timedelta(days=1)
    resp = _post(
        client,
        f"/marac/referrals/new/{victim.id}",
        {
            **_date_parts("referral_date", date.today()),
            "incident_date-day": f" {yesterday.day:02d} ",
            "incident_date-month": f"{yesterday.month:02d}",
            "incident_date-year": str(yesterday.year),
            "referrer_name": "Ivy",
            "dash_id": str(assessment.id),
            "victim_aware": "yes",
            "consent": "yes",
            "safe_to_call": "yes",
            "perp_surname": "Partsperp",
            **_date_parts("perp_dob", date(1985, 2, 3)),
        },
    )
    assert resp.status_code == 302, resp.text
    referral = db.session.scalar(sa.select(Referral))
    assert referral.referral_date == date.today()
    assert referral.incident_date == yesterday
    perp = next(p.person for p in referral.case.participants if p.role == "perpetrator")
    assert db.session.get(Person, perp.id).dob == date(1985, 2, 3)
