"""E-mail: nothing personal in any mail, exactly once with two senders, retries with backoff."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import sqlalchemy as sa

from casework.core.models import Case, Person, User
from casework.core.types import utcnow
from casework.demo import seed
from casework.extensions import db
from casework.notifications import mail, service
from casework.notifications.models import Notification
from tests.helpers import audit_events

from .conftest import mails, rows
from .test_rules import _action, _referral


class CountingTransport:
    name = "test"

    def __init__(self, fail: int = 0) -> None:
        self.sent = []
        self.fail = fail
        self.lock = threading.Lock()

    def send(self, message) -> None:
        with self.lock:
            if self.fail:
                self.fail -= 1
                raise ConnectionRefusedError("no server")
            self.sent.append(message)

    def close(self) -> None:
        pass


def test_demo_mails_carry_no_names_or_references(app, smtp):
    """Every mail from the demo data, sent to a real SMTP server: recipients are staff
    addresses; no victim's, perpetrator's or offender's name and no case reference appears."""
    seed(None)
    service.scan(date.today())
    db.session.commit()
    assert len(rows()) >= 5
    app.config["NOTIFY_DIGEST_HOUR"] = 0
    result = mail.send_pending()
    assert result.sent >= 3 and result.failed == 0
    assert len(smtp.received) == result.sent
    people = list(db.session.scalars(sa.select(Person)))
    names = {p.given_names for p in people} | {p.surname for p in people}
    references = set(db.session.scalars(sa.select(Case.reference)))
    assert {"Sam", "Example"} <= names and references
    staff = set(db.session.scalars(sa.select(User.email)))
    for _sender, recipients, message in smtp.received:
        text = message["Subject"] + "\n" + message.get_payload(decode=True).decode()
        assert set(recipients) <= staff
        for secret in names | references:
            assert secret not in text, (secret, text)
        assert "/notifications/" in text
    # Who was notified of what: one audit event per mail, ids only.
    events = audit_events("notifications.mail.sent")
    assert len(events) == result.sent
    assert all("@" not in e.payload for e in events)


def test_send_twice_mails_once(app, factory, marac):
    ref = _referral(marac, factory)
    transport = CountingTransport()
    first = mail.send_pending(transport=transport)
    again = mail.send_pending(transport=transport)
    assert first.sent == 1 and again.sent == 0 and again.built == 0
    assert [m["To"] for m in transport.sent] == [marac.coordinator.email]
    assert all(n.mail_state == "queued" for n in rows("marac.referral_submitted"))
    assert ref.case.reference not in transport.sent[0].get_content()


def test_immediate_kinds_are_mailed_now_and_the_rest_in_the_daily_summary(app, factory, marac):
    ref = _referral(marac, factory)  # immediate for the coordinator
    _action(marac, ref.case, marac.housing)  # a daily summary for housing
    app.config["NOTIFY_DIGEST_HOUR"] = 24  # not yet time for summaries
    transport = CountingTransport()
    mail.send_pending(transport=transport)
    assert [m["To"] for m in transport.sent] == [marac.coordinator.email]
    app.config["NOTIFY_DIGEST_HOUR"] = 0
    mail.send_pending(transport=transport)
    assert [m["To"] for m in transport.sent][1:] == [marac.housing_rep.email]
    assert "daily summary" in transport.sent[1]["Subject"]
    assert "1 MARAC action has been assigned" in transport.sent[1].get_content() or (
        "A MARAC action has been assigned to Test Homes" in transport.sent[1].get_content()
    )
    # One summary a day: a later action waits for tomorrow's.
    _action(marac, ref.case, marac.housing)
    mail.send_pending(transport=transport)
    assert len(transport.sent) == 2
    assert rows("marac.action_assigned")[-1].mail_state == "pending"


def test_two_senders_at_once_send_each_mail_exactly_once(app, factory, marac):
    ref = _referral(marac, factory)
    for _ in range(3):
        factory.user("marac_coordinator", agency=marac.csp)
    for i in range(12):
        _action(marac, ref.case, marac.housing if i % 2 else marac.police)
        factory.user("marac_rep", agency=marac.housing if i % 2 else marac.police)
    service.notify(
        "marac.referral_submitted", object_id=ref.case_id, case_id=ref.case_id, capability="marac.referral.decide"
    )
    db.session.commit()
    app.config["NOTIFY_DIGEST_HOUR"] = 0
    app.config["NOTIFY_SEND_BATCH"] = 2
    transport = CountingTransport()
    errors = []

    def run() -> None:
        try:
            with app.app_context():
                mail.send_pending(transport=transport)
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    db.session.commit()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    sent = mails()
    assert sent and all(m.status == "sent" for m in sent)
    assert len(transport.sent) == len(sent)
    assert len({m.id for m in sent}) == len(sent)
    # Every notification is in exactly one mail.
    queued = db.session.scalars(sa.select(Notification).where(Notification.mail_state == "queued")).all()
    assert all(n.mail_id for n in queued)


def test_a_failed_mail_is_retried_with_backoff_then_left_for_the_administrator(app, factory, marac):
    _referral(marac, factory)
    app.config.update(NOTIFY_MAX_ATTEMPTS=3, NOTIFY_RETRY_BASE_SECONDS=60)
    transport = CountingTransport(fail=10)
    result = mail.send_pending(transport=transport)
    assert (result.sent, result.retrying) == (0, 1)
    [m] = mails()
    assert (m.status, m.attempts, m.last_error) == ("pending", 1, "ConnectionRefusedError")
    assert timedelta(seconds=50) < m.next_attempt_at - utcnow() <= timedelta(seconds=60)
    assert mail.send_pending(transport=transport).retrying == 0  # not due yet: nothing tried
    mail.send_pending(transport=transport, now=utcnow() + timedelta(minutes=2))
    [m] = mails()
    assert (m.status, m.attempts) == ("pending", 2)
    assert timedelta(seconds=110) < m.next_attempt_at - utcnow() <= timedelta(seconds=120)  # doubled
    result = mail.send_pending(transport=transport, now=utcnow() + timedelta(minutes=10))
    [m] = mails()
    assert (result.failed, m.status, m.attempts) == (1, "failed", 3)
    # The administrator sends it again; this time the server answers.
    assert mail.retry([m.id]) == 1
    db.session.commit()
    ok = CountingTransport()
    assert mail.send_pending(transport=ok).sent == 1
    assert mails()[0].status == "sent"


def test_smtp_temporary_failure_is_retried(app, factory, marac, smtp):
    _referral(marac, factory)
    smtp.fail_next = 1
    result = mail.send_pending()
    assert result.retrying == 1 and not smtp.received
    assert mails()[0].last_error == "SMTPSenderRefused 451"
    result = mail.send_pending(now=utcnow() + timedelta(minutes=5))
    assert result.sent == 1
    [(_, recipients, message)] = smtp.received
    assert recipients == [marac.coordinator.email]
    assert message["Subject"] == "casework: A new MARAC referral is awaiting your decision"


def test_without_smtp_mails_stay_in_the_outbox(app, factory, marac):
    _referral(marac, factory)
    assert mail.send_pending().sent == 1
    [m] = mails()
    assert (m.status, m.transport) == ("sent", "outbox")


def test_commands_scan_and_send(app, factory, marac):
    ref = _referral(marac, factory)
    _action(marac, ref.case, marac.housing, due_on=date.today() - timedelta(days=1))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["notify", "scan"])
    assert first.exit_code == 0 and first.output.strip() != "0 reminders added"
    again = runner.invoke(args=["notify", "scan"])
    assert again.output.strip() == "0 reminders added"
    sent = runner.invoke(args=["notify", "send"])
    assert sent.exit_code == 0, sent.output
    assert "0 failed" in sent.output
    assert runner.invoke(args=["notify", "send"]).output.startswith("0 mails built, 0 sent")
