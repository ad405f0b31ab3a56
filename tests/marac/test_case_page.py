"""The case page: the record first and the forms below it, one id per element on the whole
page and a label for every field (every form, including closure and transfer), and
print styles that print the record, not the forms."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

from casework.core import plans
from casework.extensions import db
from casework.marac import referrals
from tests.helpers import csrf_token, signed_in

from .conftest import make_referral, record_dash

STATIC = Path(__file__).parents[2] / "casework" / "static"


class _Fields(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.fields: list[tuple[str, dict]] = []
        self._label_depth = 0
        self.labelled_by_wrapping: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "label":
            self._label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        if tag in ("input", "select", "textarea"):
            if tag == "input" and a.get("type") in ("hidden", "submit", "button"):
                return
            self.fields.append((tag, a))
            if self._label_depth and a.get("id"):
                self.labelled_by_wrapping.add(a["id"])

    def handle_endtag(self, tag):
        if tag == "label":
            self._label_depth -= 1


def check_fields(html: str) -> _Fields:
    parser = _Fields()
    parser.feed(html)
    duplicates = [i for i, n in Counter(parser.ids).items() if n > 1]
    assert duplicates == [], f"duplicate ids: {duplicates}"
    unlabelled = [
        (tag, a.get("name"))
        for tag, a in parser.fields
        if not a.get("aria-label")
        and not (a.get("id") and (a["id"] in parser.label_for or a["id"] in parser.labelled_by_wrapping))
    ]
    assert unlabelled == [], f"fields without a label: {unlabelled}"
    return parser


def _repeat_referral(marac, factory):
    victim = factory.person(marac.idva, surname="Casepage")
    perp = factory.person(marac.idva, surname="Perp")
    earlier = record_dash(marac.idva, victim, 15, on=date.today() - timedelta(days=61))
    first = make_referral(
        marac.idva, victim, dash_assessment=earlier, on=date.today() - timedelta(days=60), perpetrators=[perp]
    )
    referrals.decide(marac.coordinator, first, accept=True, reason=None, version=first.version_id)
    db.session.commit()
    dash = record_dash(marac.idva, victim, 15)
    return make_referral(marac.idva, victim, dash_assessment=dash, perpetrators=[perp])


def test_coordinator_case_page_has_unique_ids_and_labels(app, marac, factory):
    ref = _repeat_referral(marac, factory)
    page = signed_in(app, marac.coordinator).get(f"/marac/cases/{ref.case_id}")
    assert page.status_code == 200
    fields = check_fields(page.text)
    names = {a.get("name") for _, a in fields.fields}
    assert {"decision", "reason", "on-day", "area", "idva_user_id"} <= names
    # The record comes first; the forms are below it, behind disclosures.
    text = page.text
    assert text.index("<h2>People</h2>") < text.index("<h2>Meetings</h2>") < text.index('id="update-h"')
    assert text.index('id="update-h"') < text.index('id="close-panel"')
    assert '<details class="case-form" id="close-panel">' in text  # closed until needed
    assert 'id="close-on"' in text and 'id="transfer-on"' in text and 'id="close-reason"' in text
    assert '<section class="case-forms no-print"' in text


def test_idva_case_page_with_a_safety_plan_has_unique_ids_and_labels(app, marac, factory):
    victim = factory.person(marac.idva, surname="Planned")
    ref = make_referral(marac.idva, victim, dash_assessment=record_dash(marac.idva, victim, 15))
    plan = plans.create_plan(
        marac.idva, ref.case, kind="safety", title="Safety plan", review_due_on=date.today() + timedelta(days=30)
    )
    plans.add_item(
        marac.idva, plan, area="Housing", intervention="Locks", owner_agency_id=marac.housing.id, due_on=None
    )
    db.session.commit()
    page = signed_in(app, marac.idva).get(f"/marac/cases/{ref.case_id}")
    assert page.status_code == 200
    fields = check_fields(page.text)
    names = {a.get("name") for _, a in fields.fields}
    assert {
        "contact_on-day",
        "area",
        "intervention",
        "summary",
        "next_review_on-day",
        "status",
        "on-day",
        "reason",
    } <= names


def test_case_page_redrawn_with_errors_keeps_ids_unique_and_opens_the_form(app, marac, factory):
    victim = factory.person(marac.idva, surname="Errors")
    ref = make_referral(marac.idva, victim, dash_assessment=record_dash(marac.idva, victim, 15))
    client = signed_in(app, marac.idva)
    url = f"/marac/cases/{ref.case_id}"
    token = csrf_token(client.get(url).text)
    resp = client.post(f"{url}/close", data={"csrf_token": token, "version_id": str(ref.version_id), "reason": ""})
    assert resp.status_code == 400
    check_fields(resp.text)
    assert '<details class="case-form" id="close-panel" open>' in resp.text
    assert 'href="#close-reason"' in resp.text  # the error summary links to the field


def test_print_styles_print_the_record_not_the_forms():
    css = (STATIC / "css" / "print.css").read_text()
    for selector in (".site-header", ".no-print", "form", "details.case-form", ".primary-nav"):
        assert selector in css
    assert ".print-only" in css
