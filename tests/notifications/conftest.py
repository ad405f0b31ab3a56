"""Notification fixtures: the MARAC partnership, a tiny real SMTP server, helpers."""

from __future__ import annotations

import socketserver
import threading
from email import message_from_bytes
from email.message import Message

import pytest
import sqlalchemy as sa

from casework.extensions import db
from casework.notifications.models import Notification, NotificationMail
from tests.marac.conftest import make_referral, marac, record_dash, schedule  # noqa: F401

__all__ = ["SMTPSink", "mails", "rows"]


def rows(kind: str | None = None, **where) -> list[Notification]:
    db.session.expire_all()
    query = sa.select(Notification).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    for key, value in where.items():
        query = query.where(getattr(Notification, key) == value)
    return list(db.session.scalars(query))


def mails(**where) -> list[NotificationMail]:
    db.session.expire_all()
    query = sa.select(NotificationMail).order_by(NotificationMail.id)
    for key, value in where.items():
        query = query.where(getattr(NotificationMail, key) == value)
    return list(db.session.scalars(query))


class _Handler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) to accept mail: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def _reply(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self) -> None:
        sink: SMTPSink = self.server.sink  # type: ignore[attr-defined]
        self._reply("220 sink ready")
        rcpts: list[str] = []
        sender = None
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode(errors="replace").rstrip("\r\n")
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                self._reply("250 sink")
            elif verb == "MAIL":
                if sink.fail_next > 0:
                    sink.fail_next -= 1
                    self._reply("451 try again later")
                    continue
                sender, rcpts = line.split(":", 1)[1].strip(), []
                self._reply("250 OK")
            elif verb == "RCPT":
                rcpts.append(line.split(":", 1)[1].strip().strip("<>"))
                self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 end with .")
                data = []
                while True:
                    chunk = self.rfile.readline()
                    if chunk in (b".\r\n", b".\n", b""):
                        break
                    data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                with sink.lock:
                    sink.received.append((sender, rcpts, message_from_bytes(b"".join(data))))
                self._reply("250 queued")
            elif verb in ("RSET", "NOOP"):
                self._reply("250 OK")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("502 not implemented")


class SMTPSink:
    """A real SMTP server on a free local port, run in a thread for the test."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], Message]] = []
        self.lock = threading.Lock()
        self.fail_next = 0
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.sink = self  # type: ignore[attr-defined]
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SMTPSink:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def smtp(app):
    with SMTPSink() as sink:
        app.config.update(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=sink.port, MAIL_SMTP_STARTTLS=False)
        yield sink
        app.config.update(MAIL_SMTP_HOST="")
