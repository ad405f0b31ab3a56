"""Finding people by part of a name, an alias, a sound-alike, a reference or a date of
birth, among the people the user may see, without decrypting the whole table."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import flask_migrate
import sqlalchemy as sa

from casework.core import crypto
from casework.core.models import Person, PersonSearchToken, User
from casework.extensions import db
from casework.people import services as people
from tests.helpers import audit_events, post_form, signed_in


def _ids(result) -> list[int]:
    return [p.id for p in result.people]


def test_start_of_each_name_finds_the_person(app, factory):
    user = factory.user("idva")
    john_smith = factory.person(user, given_names="John", surname="Smith")
    johnson = factory.person(user, given_names="Amy", surname="Johnson")
    john_brown = factory.person(user, given_names="John Paul", surname="Brown")
    assert set(_ids(people.search(user, name="joh"))) == {john_smith.id, johnson.id, john_brown.id}
    assert _ids(people.search(user, name="Joh Smi")) == [john_smith.id]
    assert _ids(people.search(user, name="smith john")) == [john_smith.id]  # any order
    assert _ids(people.search(user, name="Paul")) == [john_brown.id]  # a middle name
    assert _ids(people.search(user, name="Smithson")) == []  # longer than the name: no match


def test_long_words_are_checked_in_full_after_decryption(app, factory):
    user = factory.user("idva")
    long_one = factory.person(user, given_names="Ann", surname="Featherstonehaugh")
    factory.person(user, given_names="Ann", surname="Featherstonewood")  # the same first ten letters
    assert _ids(people.search(user, name="Featherstonehaugh")) == [long_one.id]


def test_aliases_accents_and_punctuation(app, factory):
    user = factory.user("idva")
    zoe = factory.person(user, given_names="Zoë", surname="O'Brien-Hughes", aliases=["Jackie Doyle"])
    found = people.search(user, name="zoe obrien")
    assert _ids(found) == [zoe.id] and found.found[0].reasons == ()
    assert _ids(people.search(user, name="Hughes")) == [zoe.id]
    by_alias = people.search(user, name="Jack")
    assert _ids(by_alias) == [zoe.id] and by_alias.found[0].reasons == ("alias",)


def test_names_that_sound_alike_come_after_exact_matches(app, factory):
    user = factory.user("idva")
    smith = factory.person(user, given_names="Ann", surname="Smith")
    smyth = factory.person(user, given_names="Ann", surname="Smyth")
    muhammad = factory.person(user, given_names="Muhammad", surname="Ali")
    found = people.search(user, name="Smyth")
    assert _ids(found) == [smyth.id, smith.id]
    assert [f.reasons for f in found.found] == [(), ("sounds like",)]
    assert _ids(people.search(user, name="Mohamed")) == [muhammad.id]


def test_reference_date_of_birth_and_phone_narrow_the_search(app, factory):
    user = factory.user("idva")
    a = factory.person(user, given_names="Sam", surname="Taylor", dob=date(1990, 5, 1), phone="07700 900001")
    b = factory.person(user, given_names="Sam", surname="Taylor", dob=date(1985, 2, 2))
    assert set(_ids(people.search(user, name="Sam Taylor"))) == {a.id, b.id}
    assert _ids(people.search(user, name="Sam", dob=date(1985, 2, 2))) == [b.id]
    assert _ids(people.search(user, dob=date(1990, 5, 1))) == [a.id]
    assert _ids(people.search(user, reference=a.reference)) == [a.id]
    assert _ids(people.search(user, reference=f"p{a.id}")) == [a.id]
    assert _ids(people.search(user, name="Sam", phone="+44 7700 900001")) == [a.id]
    assert _ids(people.search(user, name="Sam", reference=b.reference, dob=date(1990, 5, 1))) == []


def test_people_the_user_cannot_see_are_never_found(app, factory):
    user = factory.user("idva")
    other = factory.user("idva")  # another agency
    hidden = factory.person(other, given_names="Hidden", surname="Person", dob=date(1970, 1, 1))
    assert _ids(people.search(user, name="Hidden")) == []
    assert _ids(people.search(user, reference=hidden.reference)) == []
    assert _ids(people.search(user, dob=date(1970, 1, 1))) == []
    client = signed_in(app, user)
    resp = post_form(client, "/people/", {"name": "Hidden"})
    assert resp.status_code == 200
    assert hidden.reference not in resp.text and "No one you can see matches" in resp.text


def test_a_search_decrypts_only_its_few_candidates(app, factory, monkeypatch):
    user = factory.user("idva")
    for n in range(40):
        factory.person(user, given_names="Common", surname=f"Name{n:02d}x")
    wanted = factory.person(user, given_names="Rare", surname="Wanted")
    db.session.expire_all()
    calls = []
    original = crypto.open_value
    monkeypatch.setattr(crypto, "open_value", lambda *a, **k: calls.append(1) or original(*a, **k))
    assert _ids(people.search(user, name="Rare Wan")) == [wanted.id]
    assert 0 < len(calls) < 40  # one person's encrypted columns, not forty people's


def test_renaming_a_person_moves_their_search_tokens(app, factory):
    user = factory.user("idva")
    person = factory.person(user, given_names="Olive", surname="Oldname")
    people.update_person(user, person, {"surname": "Newname"}, person.version_id)
    db.session.commit()
    assert _ids(people.search(user, name="Oldn")) == []
    assert _ids(people.search(user, name="Newn")) == [person.id]


def test_tokens_hold_no_name_and_searches_are_audited(app, factory):
    user = factory.user("idva")
    person = factory.person(user, given_names="Tokenised", surname="Person")
    tokens = db.session.scalars(sa.select(PersonSearchToken.token).where(PersonSearchToken.person_id == person.id))
    tokens = [bytes(t) for t in tokens]
    assert tokens and all(len(t) == 16 for t in tokens)
    assert not any(b"tok" in t.lower() or b"person" in t.lower() for t in tokens)
    client = signed_in(app, user)
    post_form(client, "/people/", {"name": "Tokenised"})
    events = audit_events("people.person.search")
    assert events and events[-1].data["person_ids"] == [person.id]


def _before(revision: str) -> str:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(str(Path(__file__).parents[2] / "migrations"))
    return scripts.get_revision(revision).down_revision


def test_the_migration_gives_existing_people_their_tokens(app, factory):
    user_id = factory.user("idva").id
    person_id = factory.person(db.session.get(User, user_id), given_names="Existing", surname="Before").id
    db.session.commit()
    db.session.remove()
    flask_migrate.downgrade(revision=_before("0017_person_search"))
    flask_migrate.upgrade()
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PersonSearchToken)) > 0
    assert _ids(people.search(db.session.get(User, user_id), name="Exist Bef")) == [person_id]
    assert db.session.get(Person, person_id).surname == "Before"


def test_a_search_matching_more_people_than_are_checked_says_so(app, factory, monkeypatch):
    user = factory.user("idva")
    made = [
        factory.person(user, given_names="Many", surname=surname)
        for surname in ("Alpha", "Bravo", "Charlie", "Delta", "Echo")
    ]
    monkeypatch.setattr(people, "CANDIDATE_CAP", 3)
    found = people.search(user, name="Many")
    assert _ids(found) == [p.id for p in reversed(made)][:3] and found.more
    narrowed = people.search(user, name="Many Echo")
    assert _ids(narrowed) == [made[4].id] and not narrowed.more
