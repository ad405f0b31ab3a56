"""Key rotation: `flask keys rotate` re-encrypts everything under the new key (DESIGN §3)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import sqlalchemy as sa

from casework.core import crypto, keys
from casework.core.models import Action, Person, Plan, PlanItem, User
from casework.extensions import db
from casework.people import services as people
from tests.helpers import audit_events


def _populate(factory):
    idva = factory.user("idva")
    other = factory.user("marac_rep")
    people_made = [
        factory.person(
            idva,
            given_names=f"Given{n}",
            surname=f"Rotate{n}",
            aliases=[f"Alias{n}"],
            dob=date(1980, 1, 1 + n),
            address=f"{n} Rotation Road",
            postcode="NR1 1AA",
            phone=f"07700 90012{n}",
            email=f"p{n}@example.net",
            notes=f"Note {n}",
            gender="female",
        )
        for n in range(5)
    ]
    case = factory.case(idva, people=[(people_made[0], "victim"), (people_made[1], "perpetrator")])
    db.session.add(
        Action(
            case_id=case.id,
            assigned_agency_id=idva.agency_id,
            description="Rotate me",
            due_on=date.today() + timedelta(days=3),
        )
    )
    plan = Plan(case_id=case.id, kind="safety", title="Plan")
    plan.items = [PlanItem(area="Home", intervention="Locks")]
    db.session.add(plan)
    db.session.commit()
    return idva, other, people_made


def _versions() -> dict[tuple[str, int], int]:
    out = {}
    for table in db.metadata.sorted_tables:
        if "version_id" in table.c:
            for pk, version in db.session.execute(sa.select(table.c.id, table.c.version_id)):
                out[(table.name, pk)] = version
    return out


def _switch_ring(app, ring: crypto.Keyring) -> None:
    app.config["KEYRING_JSON"] = json.dumps(ring.to_dict())
    app.extensions.pop("casework.keyring", None)
    db.session.expunge_all()


def _snapshot() -> dict:
    db.session.expunge_all()
    snap = {}
    for p in db.session.scalars(sa.select(Person).order_by(Person.id)):
        snap[("person", p.id)] = (p.given_names, p.surname, p.aliases, p.dob, p.address, p.phone, p.email, p.notes)
    for u in db.session.scalars(sa.select(User).order_by(User.id)):
        snap[("user", u.id)] = u.totp_secret
    for a in db.session.scalars(sa.select(Action)):
        snap[("action", a.id)] = a.description
    for i in db.session.scalars(sa.select(PlanItem)):
        snap[("plan_item", i.id)] = i.intervention
    db.session.expunge_all()
    return snap


def test_rotate_reencrypts_everything_under_new_key(app, factory):
    idva, _, made = _populate(factory)
    idva_id, made_ids = idva.id, [p.id for p in made]
    old_ring = crypto.keyring()
    before_usage = keys.key_usage(db.session)
    assert set(before_usage) == {old_ring.current}
    total = before_usage[old_ring.current]
    assert total > 40
    before = _snapshot()
    versions = _versions()
    raw_before = db.session.execute(sa.text("SELECT id, bi_surname_dob, bi_phone FROM person ORDER BY id")).all()

    new_ring = crypto.add_key(old_ring)
    assert new_ring.current != old_ring.current
    _switch_ring(app, new_ring)
    # The old key still decrypts, so nothing breaks before rotation runs.
    assert _snapshot() == before

    result = app.test_cli_runner().invoke(args=["keys", "rotate", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert f"re-encrypted {total} values" in result.output
    assert "updated 0 blind indexes" in result.output

    db.session.expunge_all()
    usage = keys.key_usage(db.session)
    assert usage == {new_ring.current: total}
    assert _snapshot() == before
    assert _versions() == versions, "rotation must not bump record versions"
    # The index key did not change, so the indexes are untouched and search still works.
    raw_after = db.session.execute(sa.text("SELECT id, bi_surname_dob, bi_phone FROM person ORDER BY id")).all()
    assert [tuple(map(bytes_or_none, r)) for r in raw_after] == [tuple(map(bytes_or_none, r)) for r in raw_before]
    idva = db.session.get(User, idva_id)
    found = people.search(idva, name="ROTATE3", dob=date(1980, 1, 4), phone=None).people
    assert [p.id for p in found] == [made_ids[3]]
    found = people.search(idva, name=None, dob=None, phone="+44 7700 900122").people
    assert [p.id for p in found] == [made_ids[2]]

    events = audit_events("keys.rotated")
    assert len(events) == 1
    assert events[0].data["details"]["values_reencrypted"] == total

    # Running again is a no-op: everything is already under the current key.
    again = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert again.exit_code == 0, again.output
    assert "re-encrypted 0 values" in again.output


def bytes_or_none(value):
    return None if value is None else bytes(value) if isinstance(value, bytes | bytearray | memoryview) else value


def test_old_key_removed_after_rotation_still_reads(app, factory):
    """After rotation the previous key can be dropped from the ring (keeping the index key)."""
    idva_id = factory.user("idva").id
    pid = factory.person(db.session.get(User, idva_id), surname="Dropped", phone="07700 900555").id
    old = crypto.keyring()
    new = crypto.add_key(old, make_index=True)
    _switch_ring(app, new)
    assert app.test_cli_runner().invoke(args=["keys", "rotate"]).exit_code == 0
    trimmed = crypto.Keyring(keys={new.current: new.keys[new.current]}, current=new.current, index=new.current)
    _switch_ring(app, trimmed)
    person = db.session.get(Person, pid)
    assert (person.surname, person.phone) == ("Dropped", "07700 900555")
    idva = db.session.get(User, idva_id)
    assert [p.id for p in people.search(idva, name=None, dob=None, phone="07700900555").people] == [pid]


def test_index_key_change_recomputes_blind_indexes(app, factory):
    idva = factory.user("idva")
    idva_id = idva.id
    pid = factory.person(idva, surname="Indexed", dob=date(1975, 6, 1), phone="07700 900777").id
    factory.person(idva, surname="Other", dob=date(1976, 6, 1), phone="07700 900778")
    raw_before = dict(db.session.execute(sa.text("SELECT id, bi_surname_dob FROM person")).all())
    versions = _versions()

    new_ring = crypto.add_key(crypto.keyring(), make_index=True)
    _switch_ring(app, new_ring)
    idva = db.session.get(User, idva_id)
    # Stored indexes were computed with the old index key: search misses until rotation.
    assert people.search(idva, name="Indexed", dob=date(1975, 6, 1), phone=None).people == []

    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "updated 4 blind indexes" in result.output  # two people x (surname+dob, phone)

    raw_after = dict(db.session.execute(sa.text("SELECT id, bi_surname_dob FROM person")).all())
    assert set(raw_after) == set(raw_before)
    assert all(bytes(raw_after[k]) != bytes(raw_before[k]) for k in raw_before)
    idva = db.session.get(User, idva_id)
    assert [p.id for p in people.search(idva, name="indexed", dob=date(1975, 6, 1), phone=None).people] == [pid]
    assert [p.id for p in people.search(idva, name=None, dob=None, phone="+447700900777").people] == [pid]
    assert _versions() == versions


def test_keys_status_prints_counts(app, factory):
    idva = factory.user("idva")
    factory.person(idva, surname="Counted", phone="07700 900999")
    old = crypto.keyring()
    usage = keys.key_usage(db.session)
    result = app.test_cli_runner().invoke(args=["keys", "status"])
    assert result.exit_code == 0, result.output
    assert f"{old.current}: {usage[old.current]} values (current, index)" in result.output

    new = crypto.add_key(old)
    _switch_ring(app, new)
    result = app.test_cli_runner().invoke(args=["keys", "status"])
    assert f"{old.current}: {usage[old.current]} values (index)" in result.output
    assert f"{new.current}: 0 values (current)" in result.output

    app.test_cli_runner().invoke(args=["keys", "rotate"])
    result = app.test_cli_runner().invoke(args=["keys", "status"])
    assert f"{old.current}: 0 values (index)" in result.output
    assert f"{new.current}: {usage[old.current]} values (current)" in result.output


def test_rotate_service_reports_per_table(app, factory):
    idva = factory.user("idva")
    factory.person(idva, surname="Reported")
    _switch_ring(app, crypto.add_key(crypto.keyring()))
    report = keys.rotate(db.session, batch_size=1)
    assert report.per_table["person"] == 3  # given names, surname and date of birth
    assert report.rows_scanned >= 2  # the person and the user
