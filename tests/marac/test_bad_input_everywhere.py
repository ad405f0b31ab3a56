"""Every form endpoint, posted garbage by every kind of user: a clear 4xx or a redrawn form,
never a 500 (with PROPAGATE_EXCEPTIONS on in testing, any unhandled error fails the test)."""

import re
from datetime import date, timedelta

import pytest

from casework.core import meetings as core_meetings
from casework.core import plans
from casework.extensions import db
from casework.marac import referrals
from tests.helpers import csrf_token, item_action, login

from .conftest import make_referral, record_dash, schedule

FIELDS = [
    "referral_date",
    "incident_date",
    "dash_id",
    "completed_on",
    "on",
    "date",
    "time",
    "venue",
    "chair_user_id",
    "agency_ids",
    "case_id",
    "urgent",
    "reason",
    "meeting_id",
    "direction",
    "no_trace",
    "held",
    "next",
    "findings",
    "risks",
    "withheld",
    "agency_id",
    "name",
    "status",
    "confidentiality_ack",
    "minutes",
    "outcome",
    "assigned_agency_id",
    "description",
    "due_on",
    "not_done_reason",
    "note",
    "version_id",
    "user_id",
    "idva_user_id",
    "contact_on",
    "method",
    "title",
    "review_due_on",
    "area",
    "intervention",
    "owner_agency_id",
    "summary",
    "next_review_on",
    "decision",
    "is_repeat",
    "code",
    "email",
    "password",
    "display_name",
    "roles",
    "is_active",
    "kind",
    "given_names",
    "surname",
    "dob",
    "phone",
    "aliases",
    "current_password",
    "new_password",
    "confirm",
    "perp_reference",
    "perp_dob",
    "incidents_12_months",
    "children-0-dob",
    "children-0-surname",
    "year",
    "quarter",
    "victim_aware",
    "consent",
    "safe_to_call",
    "transfer_in",
    "transfer_from_area",
    "q_current_injury",
    "judgement_level",
]

PAYLOADS = [
    {},
    dict.fromkeys(FIELDS, "x" * 5000),
    dict.fromkeys(FIELDS, "2026-13-45"),
    dict.fromkeys(FIELDS, "99999999999999999999"),
    dict.fromkeys(FIELDS, "-1"),
    dict.fromkeys(FIELDS, "yes"),
]


@pytest.fixture
def scenario(factory, marac):
    victim = factory.person(marac.idva)
    dash_assessment = record_dash(marac.idva, victim, 15)
    ref = make_referral(marac.idva, victim, dash_assessment=dash_assessment)
    referrals.decide(marac.coordinator, ref, accept=True, reason=None, version=ref.version_id)
    meeting = schedule(marac.coordinator, days_ahead=10, agencies=[marac.housing, marac.idva_service])
    item = core_meetings.list_case(marac.coordinator, meeting, ref.case, reason="new")
    item_action(
        marac.coordinator, item, agency_id=marac.housing.id, description="d", due_on=date.today() + timedelta(days=20)
    )
    plan = plans.create_plan(marac.idva, ref.case, kind="safety", title="p", review_due_on=date.today())
    plans.add_item(marac.idva, plan, area="a", intervention="i", owner_agency_id=None, due_on=None)
    db.session.commit()
    return marac


def test_garbage_posts_never_fail_with_500(app, factory, scenario):
    users = [scenario.coordinator, scenario.idva, scenario.housing_rep, factory.user("admin"), factory.user("dpo")]
    clients = []
    for user in users:
        client = app.test_client()
        login(client, user)
        clients.append(client)
    rules = [
        r
        for r in app.url_map.iter_rules()
        if "POST" in r.methods and r.endpoint not in ("auth.logout", "auth.login", "auth.code", "auth.enrol")
    ]
    assert len(rules) > 30
    checked = 0
    for client in clients:
        token = csrf_token(client.get("/account/password").text)
        for rule in rules:
            url = re.sub(r"<(?:int:)?[a-z_]+>", "1", rule.rule)
            for payload in PAYLOADS:
                resp = client.post(url, data={"csrf_token": token, **payload})
                assert resp.status_code < 500, (rule.endpoint, resp.status_code)
                checked += 1
    assert checked == len(clients) * len(rules) * len(PAYLOADS)


def test_garbage_query_strings_never_fail_with_500(app, factory, scenario):
    users = [scenario.coordinator, scenario.housing_rep, factory.user("dpo"), factory.user("analyst")]
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint != "static"]
    for user in users:
        client = app.test_client()
        login(client, user)
        for rule in rules:
            url = re.sub(r"<(?:int:)?[a-z_]+>", "1", rule.rule)
            for payload in PAYLOADS[1:]:
                query = {k: v[:300] for k, v in payload.items()} | {"page": payload["year"][:30]}
                resp = client.get(url, query_string=query)
                assert resp.status_code < 500, (rule.endpoint, resp.status_code)
