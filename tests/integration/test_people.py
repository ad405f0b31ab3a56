"""Person records: duplicate matching, optimistic locking, validation (DESIGN §2, §5)."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from casework.core.models import Person
from casework.extensions import db
from casework.people import services as people
from tests.helpers import audit_events, csrf_token, marker, post_form, signed_in


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Person))


def _new(client, **fields):
    return post_form(client, "/people/new", fields)


@pytest.fixture
def idva(app, factory):
    user = factory.user("idva")
    return user, signed_in(app, user)


# --- duplicate matching ---------------------------------------------------------------------


def test_duplicate_on_surname_and_dob_is_shown_with_reason(app, factory, idva):
    user, client = idva
    existing = factory.person(user, given_names="Anna", surname="Smith", dob=date(1980, 5, 5))
    before = _count()
    resp = _new(client, given_names="Ann", surname="  SMITH ", dob="1980-05-05")
    assert resp.status_code == 200
    assert "This person may already have a record" in resp.text
    match = re.search(r'<ul class="list" id="duplicate-candidates">(.*?)</ul>', resp.text, re.S)
    assert match, resp.text
    assert f'href="/people/{existing.id}"' in match.group(1)
    assert "Anna SMITH" in match.group(1)
    assert "matched on same surname and date of birth" in match.group(1)
    assert "Create new record" in resp.text
    assert 'name="confirm_new" type="hidden" value="1"' in resp.text
    assert _count() == before
    event = audit_events("people.person.search")[-1]
    assert event.purpose == "duplicate_check" and event.data["person_ids"] == [existing.id]


def test_duplicate_on_phone_is_shown_with_reason(app, factory, idva):
    user, client = idva
    existing = factory.person(user, given_names="Bo", surname="Jones", dob=date(1970, 1, 1), phone="07700 900123")
    resp = _new(client, surname="Completely Different", dob="1999-09-09", phone="+44 7700 900123")
    assert resp.status_code == 200
    assert f'href="/people/{existing.id}"' in resp.text
    assert "matched on same phone number" in resp.text
    assert "surname and date of birth" not in resp.text


def test_different_person_is_not_a_duplicate(app, factory, idva):
    user, client = idva
    factory.person(user, surname="Smith", dob=date(1980, 5, 5), phone="07700 900123")
    before = _count()
    resp = _new(client, surname="Smith", dob="1980-05-06", phone="07700 900124")
    assert resp.status_code == 302
    assert _count() == before + 1


def test_withheld_matches_are_neither_shown_nor_hinted(app, factory, idva):
    """Telling the user that another agency holds a match would reveal that the person is
    known to it (for example as a MARAC victim): the match is only written to the audit log."""
    user, client = idva
    m = marker()
    other_agency_user = factory.user("idva")
    hidden = factory.person(other_agency_user, given_names=f"{m}given", surname="Hidden", dob=date(1975, 3, 3))
    resp = _new(client, surname="hidden", dob="1975-03-03")
    assert resp.status_code == 302  # created as if there were no match
    follow = client.get(resp.headers["Location"])
    for body in (resp.text, follow.text):
        assert m not in body and f"/people/{hidden.id}" not in body and hidden.reference not in body
        assert "other agencies" not in body and "may already have a record" not in body
    event = audit_events("people.person.search")[-1]
    assert event.data["details"] == {"shown": 0, "withheld": 1}


def test_visible_and_withheld_together(app, factory, idva):
    user, client = idva
    mine = factory.person(user, given_names="Mine", surname="Twin", dob=date(1990, 2, 2))
    factory.person(factory.user("marac_rep"), given_names="Theirs", surname="Twin", dob=date(1990, 2, 2))
    resp = _new(client, surname="Twin", dob="1990-02-02")
    assert f"/people/{mine.id}" in resp.text and "Mine TWIN" in resp.text
    assert "other agencies" not in resp.text
    assert "Theirs" not in resp.text


def test_create_new_record_proceeds_after_warning(app, factory, idva):
    user, client = idva
    factory.person(user, surname="Smith", dob=date(1980, 5, 5))
    before = _count()
    page = _new(client, given_names="Second", surname="Smith", dob="1980-05-05")
    assert "Create new record" in page.text
    resp = client.post(
        "/people/new",
        data={
            "csrf_token": csrf_token(page.text),
            "confirm_new": "1",
            "given_names": "Second",
            "surname": "Smith",
            "dob": "1980-05-05",
        },
    )
    assert resp.status_code == 302
    assert _count() == before + 1
    new_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    person = db.session.get(Person, new_id)
    assert (person.given_names, person.surname, person.dob) == ("Second", "Smith", date(1980, 5, 5))
    assert person.created_by_agency_id == user.agency_id


def test_blind_index_collision_is_confirmed_by_decryption(app, factory):
    """A candidate whose index matches but whose decrypted values differ is not a match."""
    user = factory.user("idva")
    a = factory.person(user, surname="Alpha", dob=date(1980, 1, 1))
    b = factory.person(user, surname="Beta", dob=date(1981, 1, 1))
    # Force an index collision: b now carries a's surname+DOB index.
    db.session.execute(sa.update(Person).where(Person.id == b.id).values(bi_surname_dob=a.bi_surname_dob))
    db.session.commit()
    found = people.find_duplicates(user, surname="alpha", dob=date(1980, 1, 1), phone=None)
    assert [m.person.id for m in found.matches] == [a.id]
    assert found.withheld == 0
    assert [p.id for p in people.search(user, name="alpha", dob=date(1980, 1, 1), phone=None).people] == [a.id]


# --- optimistic locking ----------------------------------------------------------------------


def test_stale_edit_is_a_conflict_and_loses_nothing(app, factory, idva):
    user, client = idva
    person = factory.person(user, given_names="Orig", surname="Record", dob=date(1988, 8, 8), notes="Original")
    pid = person.id
    page = client.get(f"/people/{pid}/edit")
    assert page.status_code == 200
    stale_version = re.search(r'name="version_id" type="hidden" value="(\d+)"', page.text).group(1)

    # Someone else saves first.
    other = factory.user("idva", agency=user.agency)
    people.update_person(
        other, db.session.get(Person, pid), {"notes": "Their change"}, db.session.get(Person, pid).version_id
    )
    db.session.commit()
    updates_before = len(audit_events("people.person.update"))

    resp = client.post(
        f"/people/{pid}/edit",
        data={
            "csrf_token": csrf_token(page.text),
            "version_id": stale_version,
            "given_names": "MyGiven",
            "surname": "Record",
            "dob": "1988-08-08",
            "notes": "My careful notes",
        },
    )
    assert resp.status_code == 409
    assert "Someone else changed this record while you were editing" in resp.text
    assert "My careful notes" in resp.text  # the user's input is still in the form
    assert 'value="MyGiven"' in resp.text
    db.session.expire_all()
    stored = db.session.get(Person, pid)
    assert (stored.given_names, stored.notes) == ("Orig", "Their change")
    assert len(audit_events("people.person.update")) == updates_before

    # Reloading gives the latest version, and a save with it works.
    page = client.get(f"/people/{pid}/edit")
    assert "Their change" in page.text
    fresh_version = re.search(r'name="version_id" type="hidden" value="(\d+)"', page.text).group(1)
    assert fresh_version != stale_version
    resp = client.post(
        f"/people/{pid}/edit",
        data={
            "csrf_token": csrf_token(page.text),
            "version_id": fresh_version,
            "given_names": "MyGiven",
            "surname": "Record",
            "dob": "1988-08-08",
            "notes": "My careful notes",
        },
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Person, pid).notes == "My careful notes"


def test_missing_version_is_a_conflict(app, factory, idva):
    user, client = idva
    pid = factory.person(user, notes="Keep").id
    page = client.get(f"/people/{pid}/edit")
    resp = client.post(
        f"/people/{pid}/edit",
        data={"csrf_token": csrf_token(page.text), "surname": "X", "dob": "1990-01-01", "notes": "Lost?"},
    )
    assert resp.status_code == 409
    db.session.expire_all()
    assert db.session.get(Person, pid).notes == "Keep"


def test_edit_records_changed_field_names_only(app, factory, idva):
    from casework.core.models import ChangeEvent

    user, client = idva
    pid = factory.person(user, given_names="Same", surname="Person", dob=date(1990, 1, 1)).id
    page = client.get(f"/people/{pid}/edit")
    version = re.search(r'name="version_id" type="hidden" value="(\d+)"', page.text).group(1)
    resp = client.post(
        f"/people/{pid}/edit",
        data={
            "csrf_token": csrf_token(page.text),
            "version_id": version,
            "given_names": "Same",
            "surname": "Person",
            "dob": "1990-01-01",
            "notes": "Secret note text",
        },
    )
    assert resp.status_code == 302
    change = db.session.scalars(
        sa.select(ChangeEvent)
        .where(ChangeEvent.object_type == "person", ChangeEvent.object_id == pid)
        .order_by(ChangeEvent.id.desc())
    ).first()
    assert change.action == "updated" and change.fields == ["notes"]
    assert change.user_id == user.id
    assert audit_events("people.person.update")[-1].data["details"] == {"fields": ["notes"]}


# --- validation: a 400 with a message, never a 500 --------------------------------------


BAD_PERSON_INPUT = [
    ({"surname": "Date", "dob": "2001-13-45"}, "Date of birth must be a real date"),
    ({"surname": "Date", "dob": "not a date"}, "Date of birth must be a real date"),
    ({"surname": "Date", "dob": "31/02/2001"}, "Date of birth must be a real date"),
    ({"surname": "Date", "dob": "2999-01-01"}, "Date of birth must be in the past"),
    ({"surname": "Date", "dob": "1800-01-01"}, "Date of birth must be after 1 January 1900"),
    ({"surname": "S" * 201}, "Surname must be 200 characters or fewer"),
    ({"surname": "Long", "notes": "n" * 5001}, "Notes must be 5,000 characters or fewer"),
    ({"surname": "Phone", "phone": "call me maybe"}, "Enter a phone number"),
    ({"surname": "Mail", "email": "not-an-email"}, "Enter an email address in the correct format"),
    ({"surname": "Choice", "gender": "dragon"}, "Not a valid choice"),
    ({"surname": "Choice", "ethnicity": "<script>"}, "Not a valid choice"),
    ({"given_names": "", "surname": ""}, "Enter a surname or given names"),
]


def test_person_form_bad_input_is_400(app, idva):
    _, client = idva
    before = _count()
    for fields, message in BAD_PERSON_INPUT:
        resp = _new(client, **fields)
        assert resp.status_code == 400, fields
        assert message in resp.text, fields
        assert "There is a problem" in resp.text
        assert "<script>" not in resp.text
    assert _count() == before


def test_person_edit_bad_date_is_400(app, factory, idva):
    user, client = idva
    pid = factory.person(user, dob=date(1990, 1, 1)).id
    page = client.get(f"/people/{pid}/edit")
    version = re.search(r'name="version_id" type="hidden" value="(\d+)"', page.text).group(1)
    resp = client.post(
        f"/people/{pid}/edit",
        data={"csrf_token": csrf_token(page.text), "version_id": version, "surname": "X", "dob": "1990-02-30"},
    )
    assert resp.status_code == 400 and "Date of birth must be a real date" in resp.text
    db.session.expire_all()
    assert db.session.get(Person, pid).dob == date(1990, 1, 1)


def test_search_bad_input_is_400(app, idva):
    _, client = idva
    for fields, message in [
        ({}, "Enter a name, a reference, a date of birth or a phone number"),
        ({"name": "123 !!"}, "Enter a name using letters"),
        ({"reference": "case 12"}, "Enter a reference like P000123"),
        ({"name": "Smith", "dob": "2020-99-99"}, "Date of birth must be a real date"),
        ({"phone": "!!!"}, "Enter a phone number"),
    ]:
        resp = post_form(client, "/people/", fields)
        assert resp.status_code == 400, fields
        assert message in resp.text, fields


def test_unknown_or_malformed_person_ids(app, idva):
    _, client = idva
    assert client.get("/people/999999").status_code == 404
    assert client.get("/people/999999/edit").status_code == 404
    assert client.get("/people/abc").status_code == 404


# --- list and view ---------------------------------------------------------------------------


def test_people_list_shows_visible_people_newest_first(app, factory, idva):
    user, client = idva
    first = factory.person(user, given_names="First", surname="Listed")
    second = factory.person(user, given_names="Second", surname="Listed")
    hidden = factory.person(factory.user("idva"), given_names="Elsewhere", surname="Unlisted")
    resp = client.get("/people/")
    assert resp.status_code == 200
    assert resp.text.index(second.reference) < resp.text.index(first.reference)
    assert hidden.reference not in resp.text and "UNLISTED" not in resp.text


def test_people_list_paginates(app, factory, idva):
    user, client = idva
    made = [factory.person(user, surname=f"Page{n:02d}") for n in range(30)]
    first_page = client.get("/people/").text
    second_page = client.get("/people/?page=2").text
    assert "Page 1" in first_page and 'rel="next"' in first_page and 'rel="prev"' not in first_page
    assert 'rel="prev"' in second_page and 'rel="next"' not in second_page
    assert made[-1].reference in first_page and made[0].reference not in first_page
    assert made[0].reference in second_page and made[-1].reference not in second_page
    assert client.get("/people/?page=99").status_code == 200


def test_person_view_lists_only_visible_cases(app, factory, idva):
    user, client = idva
    person = factory.person(user, surname="InCases")
    visible = factory.case(user, people=[(person, "victim")])
    other = factory.user("idva")
    hidden = factory.case(other, people=[(person, "victim")], restricted=True)
    resp = client.get(f"/people/{person.id}")
    assert resp.status_code == 200
    assert visible.reference in resp.text
    assert hidden.reference not in resp.text
