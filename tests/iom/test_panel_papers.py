"""IOM panel papers: the agenda PDF, the minutes and their initials-only circulation copy, and
the panel outcomes on an offender's page."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from pypdf import PdfReader

from casework.core import actions
from casework.core import meetings as core_meetings
from casework.core.models import AgendaItem, AuditEvent
from casework.extensions import db
from casework.iom import nominations, panel
from tests.helpers import marker, signed_in

from .conftest import nominate, on_cohort

TODAY = date.today()


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _panel(team, factory):
    surname = marker("PANEL")
    waiting = factory.person(team.officer, given_names="Wendy Ann", surname=surname, dob=date(1990, 3, 4))
    nomination = nominate(team, waiting, TODAY)
    meeting = core_meetings.schedule(
        team.manager,
        kind="iom_panel",
        starts_at=datetime.now(UTC) - timedelta(hours=1),
        venue="Probation office",
        chair_user_id=team.manager.id,
        agency_ids=[team.police.id, team.probation.id],
    )
    panel.build_agenda(team.manager, meeting)
    core_meetings.record_attendance(
        team.manager,
        meeting,
        agency_id=team.probation.id,
        name="Pat Probation",
        status="present",
        confidentiality_ack=True,
        information_sent=False,
    )
    db.session.commit()
    return surname, waiting, nomination, meeting


def test_agenda_and_minutes_pdfs_with_an_initials_only_copy(app, team, factory):
    surname, waiting, nomination, meeting = _panel(team, factory)
    manager = signed_in(app, team.manager)
    resp = manager.get(f"/iom/panel/{meeting.id}/agenda.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = _text(resp.data)
    assert "IOM panel agenda" in text and surname in text and "04/03/1990" in text
    assert "Nomination to decide" in text and f"Score {nomination.score}" in text
    # The decision, minutes and an action recorded against the panel.
    nominations.decide(
        team.manager,
        nomination,
        adopt=True,
        decision=nominations.Adoption(
            decided_on=TODAY, strand="fixed", category="ppo", lead_user_id=team.officer.id, tier="red"
        ),
        version=nomination.version_id,
        meeting=meeting,
    )
    item = db.session.scalar(sa.select(AgendaItem).where(AgendaItem.meeting_id == meeting.id))
    core_meetings.record_minutes(
        team.manager, item, minutes="Agreed to adopt; housing first", outcome="actions_agreed", version=item.version_id
    )
    actions.create_action(
        team.manager,
        nomination.case,
        agency_id=team.probation.id,
        description="Book an induction appointment",
        due_on=TODAY + timedelta(days=7),
        meeting=meeting,
    )
    db.session.commit()
    full = _text(manager.get(f"/iom/panel/{meeting.id}/minutes.pdf").data)
    assert surname in full and "04/03/1990" in full and "Pat Probation" in full
    assert "Panel decision: adopted onto the cohort" in full and "Actions agreed" in full
    assert "housing first" in full and "Book an induction appointment" in full
    resp = manager.get(f"/iom/panel/{meeting.id}/minutes-circulation.pdf")
    assert resp.status_code == 200 and "circulation" in resp.headers["Content-Disposition"]
    copy = _text(resp.data)
    assert (
        "circulation copy" in copy and "Offender: WA" in copy
    )  # Wendy Ann <surname>: initials W, A, then the surname's
    assert surname not in copy and "Wendy" not in copy and "1990" not in copy
    assert "Book an induction appointment" in copy
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action.in_(["iom.agenda.download", "iom.minutes.download"]))
    ).all()
    assert [e.data["details"].get("copy") for e in events] == [None, "full", "circulation"]
    assert all(e.purpose == "iom_panel" and e.recipient_agency_id == team.manager.agency_id for e in events)
    # The offender page shows the panel, the decision, the outcome, minutes and actions.
    page = manager.get(f"/iom/cases/{nomination.case_id}").text
    section = page.split("Panel outcomes", 1)[1].split("<h2>Pathways", 1)[0]
    assert "Adopted onto the cohort; Actions agreed" in section
    assert "housing first" in section and "Book an induction appointment" in section


def test_panel_papers_only_for_iom_roles(app, team, factory):
    surname, _, _, meeting = _panel(team, factory)
    for user in (team.marac_rep, team.idva):
        client = signed_in(app, user)
        for url in ("agenda.pdf", "minutes.pdf", "minutes-circulation.pdf"):
            resp = client.get(f"/iom/panel/{meeting.id}/{url}")
            assert resp.status_code in (403, 404) and surname not in resp.text


def test_offender_with_no_panel_says_so(app, team, factory):
    _, offender = on_cohort(team, factory, TODAY - timedelta(days=10))
    body = signed_in(app, team.officer).get(f"/iom/cases/{offender.case_id}").text
    assert "Not listed at an IOM panel yet." in body
