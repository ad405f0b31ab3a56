"""The referrer's name, phone and e-mail on a MARAC referral are encrypted and row-bound (DESIGN §3)."""

from __future__ import annotations

import sqlalchemy as sa

from casework.core import crypto
from casework.core.models import User
from casework.core.types import is_unreadable
from casework.extensions import db
from casework.marac.models import Referral
from tests.helpers import login, marker

from .conftest import make_referral

FIELDS = ("referrer_name", "referrer_phone", "referrer_email")


def _raw(referral_id: int) -> dict[str, bytes]:
    row = db.session.execute(
        sa.text("SELECT row_uid, referrer_name, referrer_phone, referrer_email FROM marac_referral WHERE id = :i"),
        {"i": referral_id},
    ).one()
    return {"row_uid": row[0], **{f: v if v is None else bytes(v) for f, v in zip(FIELDS, row[1:], strict=True)}}


def test_referrer_contact_details_are_stored_encrypted(app, factory, marac, client):
    m = marker("ZQXREFERRER")
    ref = make_referral(
        marac.idva,
        factory.person(marac.idva),
        incidents_12_months=4,
        referrer_name=f"{m} Name",
        referrer_phone="07700 987654",
        referrer_email=f"{m.lower()}@example.org",
    )
    ref_id, case_id, idva_id = ref.id, ref.case_id, marac.idva.id
    raw = _raw(ref_id)
    for field in FIELDS:
        env = crypto.parse(raw[field])
        assert env.row_uid == raw["row_uid"], field
        assert m.encode() not in raw[field] and m.lower().encode() not in raw[field]
        assert b"987654" not in raw[field]
    db.session.expunge_all()
    again = db.session.get(Referral, ref_id)
    assert (again.referrer_name, again.referrer_phone, again.referrer_email) == (
        f"{m} Name",
        "07700 987654",
        f"{m.lower()}@example.org",
    )
    login(client, db.session.get(User, idva_id))
    page = client.get(f"/marac/cases/{case_id}")
    assert page.status_code == 200 and f"{m} Name" in page.text


def test_referrer_copied_from_another_referral_is_unreadable(app, factory, marac, client):
    a = make_referral(marac.idva, factory.person(marac.idva), incidents_12_months=4, referrer_name="Anna Referrer")
    b = make_referral(marac.idva, factory.person(marac.idva), incidents_12_months=4, referrer_name="Bob Referrer")
    a_id, b_id, b_case, idva_id = a.id, b.id, b.case_id, marac.idva.id
    db.session.execute(
        sa.text("UPDATE marac_referral SET referrer_name = :v WHERE id = :i"),
        {"v": _raw(a_id)["referrer_name"], "i": b_id},
    )
    db.session.commit()
    db.session.expunge_all()
    assert is_unreadable(db.session.get(Referral, b_id).referrer_name)
    login(client, db.session.get(User, idva_id))
    page = client.get(f"/marac/cases/{b_case}")
    assert page.status_code == 200
    assert "[unreadable]" in page.text and "Anna Referrer" not in page.text
