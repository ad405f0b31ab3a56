"""Pages: the header count, the list, mark read (CSRF), e-mail choices, the administrator's page."""

from __future__ import annotations

from casework.extensions import db
from casework.notifications import mail, service
from tests.helpers import csrf_token, signed_in

from .conftest import mails, rows
from .test_rules import _action, _referral


def test_header_count_list_and_mark_read(app, factory, marac):
    ref = _referral(marac, factory)
    _action(marac, ref.case, marac.housing)
    _action(marac, ref.case, marac.housing)
    client = signed_in(app, marac.housing_rep)
    home = client.get("/")
    assert 'class="notification-count"' in home.text
    assert "Notifications <strong>2</strong>" in home.text
    page = client.get("/notifications/")
    assert page.status_code == 200
    assert page.text.count("A MARAC action has been assigned to Test Homes") == 2
    assert ref.case.reference in page.text
    first = rows("marac.action_assigned", user_id=marac.housing_rep.id)[0]
    # Without a CSRF token nothing changes.
    refused = client.post(f"/notifications/{first.id}/read")
    assert refused.status_code == 400
    assert service.unread_count(marac.housing_rep) == 2
    resp = client.post(f"/notifications/{first.id}/read", data={"csrf_token": csrf_token(page.text)})
    assert resp.status_code == 302
    assert service.unread_count(marac.housing_rep) == 1
    resp = client.post("/notifications/read-all", data={"csrf_token": csrf_token(page.text)})
    assert resp.status_code == 302
    assert "Notifications <strong>" not in client.get("/").text


def test_someone_elses_notification_cannot_be_marked(app, factory, marac):
    ref = _referral(marac, factory)
    _action(marac, ref.case, marac.housing)
    [theirs] = rows("marac.action_assigned", user_id=marac.housing_rep.id)
    client = signed_in(app, marac.police_rep)
    token = csrf_token(client.get("/notifications/").text)
    assert client.post(f"/notifications/{theirs.id}/read", data={"csrf_token": token}).status_code == 404
    assert service.unread_count(marac.housing_rep) == 1
    page = client.get("/notifications/")
    assert ref.case.reference not in page.text


def test_preferences_page(app, factory, marac):
    service.set_mandatory({"marac.action_overdue"})
    db.session.commit()
    client = signed_in(app, marac.housing_rep)
    page = client.get("/notifications/preferences")
    assert page.status_code == 200
    assert "Required by your administrator" in page.text
    token = csrf_token(page.text)
    resp = client.post(
        "/notifications/preferences",
        data={"csrf_token": token, "k_marac__action_assigned": "none", "k_marac__action_overdue": "immediate"},
    )
    assert resp.status_code == 302
    modes = {r.kind.code: r.mode for r in service.preferences(marac.housing_rep)}
    assert modes["marac.action_assigned"] == "none" and modes["marac.action_overdue"] == "immediate"
    # "No e-mail" is not an option for a mandatory kind; a forged one is refused with a form error.
    resp = client.post("/notifications/preferences", data={"csrf_token": token, "k_marac__action_overdue": "none"})
    assert resp.status_code == 400
    assert "There is a problem" in resp.text
    assert {r.kind.code: r.mode for r in service.preferences(marac.housing_rep)}["marac.action_overdue"] == "immediate"


def test_administrator_reads_the_outbox_and_sets_mailboxes(app, factory, marac):
    admin = factory.user("admin", agency=marac.csp)
    _referral(marac, factory)
    mail.send_pending()
    [m] = mails()
    client = signed_in(app, admin)
    page = client.get("/notifications/admin")
    assert page.status_code == 200
    assert m.subject in page.text
    one = client.get(f"/notifications/admin/mail/{m.id}")
    assert one.status_code == 200 and "Sign in to see it" in one.text
    token = csrf_token(page.text)
    bad = client.post(
        "/notifications/admin/mailbox",
        data={"csrf_token": token, "agency_id": marac.housing.id, "email": "not an address", "mode": "digest"},
    )
    assert bad.status_code == 400 and "Enter an e-mail address" in bad.text
    ok = client.post(
        "/notifications/admin/mailbox",
        data={"csrf_token": token, "agency_id": marac.housing.id, "email": "homes@example.org", "mode": "digest"},
    )
    assert ok.status_code == 302
    assert "homes@example.org" in client.get("/notifications/admin").text
    resp = client.post("/notifications/admin/mandatory", data={"csrf_token": token, "kinds": ["marac.action_overdue"]})
    assert resp.status_code == 302
    assert service.mandatory_kinds() == {"marac.action_overdue"}
    # Not for other users: refused, and the outbox is not shown.
    other = signed_in(app, marac.housing_rep)
    refused = other.get("/notifications/admin")
    assert refused.status_code == 403 and m.subject not in refused.text
    assert other.get(f"/notifications/admin/mail/{m.id}").status_code == 403
