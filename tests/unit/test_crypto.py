"""Field encryption, blind indexes and the key ring (DESIGN §3)."""

from __future__ import annotations

import base64
import json
import os
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from casework import create_app
from casework.core import crypto
from casework.core.crypto import DecryptionError, Keyring, KeyringError
from casework.core.models import Person
from casework.core.models.people import phone_index, surname_dob_index
from casework.core.types import (
    UNREADABLE,
    EncryptedComparisonError,
    EncryptedDate,
    EncryptedJSON,
    EncryptedText,
    bind_value,
    is_unreadable,
)
from casework.extensions import db


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.fixture
def ring() -> Keyring:
    return crypto.new_keyring()


@pytest.fixture
def keyed(keyring_json):
    """An application context with a key ring and no database (these tests store nothing)."""
    from tests.conftest import make_app

    app = make_app("sqlite://", keyring_json)
    with app.app_context():
        yield app


# --- round trips ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column_type", "value"),
    [
        (EncryptedText("t.c"), "Zoë O'Brien-Smith ✓"),
        (EncryptedText("t.c"), ""),
        (EncryptedDate("t.c"), date(1987, 2, 28)),
        (EncryptedJSON("t.c"), {"aliases": ["Jo", "Joanne"], "n": 3, "nested": {"ok": True}}),
        (EncryptedJSON("t.c"), ["a", "b"]),
    ],
)
def test_type_round_trip(keyed, column_type, value):
    uid = crypto.new_row_uid()
    stored = column_type.process_bind_param(bind_value(value, uid), db.engine.dialect)
    assert isinstance(stored, bytes)
    assert stored[0] == crypto.FORMAT_VERSION
    assert crypto.key_id_of(stored) == crypto.keyring().current
    assert crypto.parse(stored).row_uid == uid
    read = column_type.process_result_value(stored, db.engine.dialect)
    assert read == value
    assert read.row_uid == uid


def test_none_stays_none(keyed):
    t = EncryptedText("t.c")
    assert t.process_bind_param(None, db.engine.dialect) is None
    assert t.process_result_value(None, db.engine.dialect) is None


def test_types_refuse_wrong_python_types(keyed):
    with pytest.raises(TypeError):
        EncryptedText("t.c").encrypt(123, crypto.new_row_uid())
    with pytest.raises(TypeError):
        EncryptedDate("t.c").encrypt("1990-01-01", crypto.new_row_uid())
    with pytest.raises(TypeError):
        EncryptedJSON("t.c").encrypt(True, crypto.new_row_uid())


def test_types_refuse_values_not_bound_to_a_row(keyed):
    """A plain value (a Core write that bypassed the ORM) is refused, never stored unbound."""
    with pytest.raises(ValueError, match="bound to their row"):
        EncryptedText("t.c").process_bind_param("plain", db.engine.dialect)


def test_unreadable_value_cannot_be_written_back(keyed):
    with pytest.raises(ValueError, match="unreadable"):
        EncryptedText("t.c").encrypt(UNREADABLE, crypto.new_row_uid())
    with pytest.raises(ValueError, match="unreadable"):
        bind_value(UNREADABLE, crypto.new_row_uid())


def test_aad_must_name_table_and_column():
    with pytest.raises(ValueError):
        EncryptedText("surname")


def test_encrypt_uses_fresh_nonce(ring):
    a = crypto.encrypt(b"same value", "person.surname", ring)
    b = crypto.encrypt(b"same value", "person.surname", ring)
    assert a != b
    assert b"same value" not in a
    assert crypto.decrypt(a, "person.surname", ring) == crypto.decrypt(b, "person.surname", ring) == b"same value"


def test_person_round_trip_through_database(app, factory):
    user = factory.user("idva")
    person = factory.person(
        user,
        given_names="Ada",
        surname="Lovelace",
        aliases=["Ada King"],
        dob=date(1815, 12, 10),
        address="12 St James's Square",
        phone="07700 900123",
    )
    pid = person.id
    db.session.expunge_all()
    again = db.session.get(Person, pid)
    assert (again.given_names, again.surname, again.aliases, again.dob, again.address, again.phone) == (
        "Ada",
        "Lovelace",
        ["Ada King"],
        date(1815, 12, 10),
        "12 St James's Square",
        "07700 900123",
    )
    raw = db.session.execute(sa.text("SELECT surname FROM person WHERE id = :i"), {"i": pid}).scalar_one()
    assert b"Lovelace" not in bytes(raw)


# --- tampering and misuse -------------------------------------------------------------


def test_tampered_ciphertext_fails(ring):
    blob = bytearray(crypto.encrypt(b"secret", "person.surname", ring))
    blob[-1] ^= 0x01
    with pytest.raises(DecryptionError):
        crypto.decrypt(bytes(blob), "person.surname", ring)
    blob = bytearray(crypto.encrypt(b"secret", "person.surname", ring))
    nonce_at = 2 + blob[1]
    blob[nonce_at] ^= 0x80
    with pytest.raises(DecryptionError):
        crypto.decrypt(bytes(blob), "person.surname", ring)


def test_unknown_format_version_fails(ring):
    blob = bytearray(crypto.encrypt(b"secret", "person.surname", ring))
    blob[0] = 99
    with pytest.raises(DecryptionError):
        crypto.decrypt(bytes(blob), "person.surname", ring)


def test_wrong_aad_fails(ring):
    blob = crypto.encrypt(b"secret", "person.surname", ring)
    assert crypto.decrypt(blob, "person.surname", ring) == b"secret"
    with pytest.raises(DecryptionError):
        crypto.decrypt(blob, "person.given_names", ring)


def test_unknown_key_id_fails(ring):
    other = crypto.new_keyring()
    blob = crypto.encrypt(b"secret", "person.surname", other)
    with pytest.raises(KeyringError):
        crypto.decrypt(blob, "person.surname", ring)


def test_tampered_column_in_database_fails(app, factory):
    user = factory.user("idva")
    pid = factory.person(user, surname="Tampered").id
    raw = bytearray(db.session.execute(sa.text("SELECT surname FROM person WHERE id = :i"), {"i": pid}).scalar_one())
    raw[-3] ^= 0xFF
    db.session.execute(sa.text("UPDATE person SET surname = :v WHERE id = :i"), {"v": bytes(raw), "i": pid})
    db.session.commit()
    db.session.expunge_all()
    person = db.session.get(Person, pid)
    assert is_unreadable(person.surname) and str(person.surname) == "[unreadable]"


def test_ciphertext_copied_to_another_column_fails(app, factory):
    user = factory.user("idva")
    pid = factory.person(user, given_names="Alice", surname="Moved").id
    db.session.execute(sa.text("UPDATE person SET given_names = surname WHERE id = :i"), {"i": pid})
    db.session.commit()
    db.session.expunge_all()
    person = db.session.get(Person, pid)
    assert is_unreadable(person.given_names)
    assert person.surname == "Moved"


@pytest.mark.parametrize(
    "build",
    [
        lambda: Person.surname == "Smith",
        lambda: Person.surname != "Smith",
        lambda: Person.surname.in_(["Smith", "Jones"]),
        lambda: Person.surname.like("Sm%"),
        lambda: Person.surname.ilike("sm%"),
        lambda: Person.surname.contains("mit"),
        lambda: Person.dob == date(1990, 1, 1),
        lambda: Person.dob > date(1990, 1, 1),
        lambda: Person.aliases == ["x"],
        lambda: Person.phone.startswith("077"),
    ],
)
def test_filters_on_encrypted_columns_are_refused(build):
    with pytest.raises(EncryptedComparisonError):
        sa.select(Person).where(build())


def test_null_checks_on_encrypted_columns_are_allowed():
    # IS NULL compares no ciphertext, so it stays available.
    assert "IS NULL" in str(sa.select(Person.id).where(Person.surname.is_(None)))


# --- blind indexes ------------------------------------------------------------------------


def test_normalise_text():
    assert crypto.normalise_text("  O'Brien \t Smith  ") == "o'brien smith"
    assert crypto.normalise_text("ＳＭＩＴＨ") == "smith"  # full-width letters (NFKC)
    assert crypto.normalise_text("STRASSE") == crypto.normalise_text("straße")  # case folding


@pytest.mark.parametrize(
    "variant",
    ["07700 900123", "07700900123", "+44 7700 900123", "+447700900123", "0044 7700 900123", "0044-7700-900-123"],
)
def test_phone_normalisation(variant):
    assert crypto.normalise_phone(variant) == "447700900123"


def test_blind_index_normalises_case_whitespace_and_nfkc(keyed):
    dob = date(1980, 5, 17)
    base = surname_dob_index("Smith", dob)
    assert base is not None and len(base) == crypto.BLIND_INDEX_BYTES
    for variant in ("SMITH", "  smith ", "Ｓｍｉｔｈ", "sMiTh\n"):
        assert surname_dob_index(variant, dob) == base, variant
    assert surname_dob_index("Van  der Berg", dob) == surname_dob_index("van der berg", dob)
    assert surname_dob_index("Smyth", dob) != base
    assert surname_dob_index("Smith", date(1980, 5, 18)) != base
    assert surname_dob_index("Smith", None) is None


def test_phone_blind_index_is_one_for_all_uk_formats(keyed):
    indexes = {phone_index(v) for v in ("07700 900123", "+44 7700 900123", "0044 7700 900123", "07700-900-123")}
    assert len(indexes) == 1
    assert None not in indexes
    assert phone_index("07700 900124") not in indexes
    assert phone_index(None) is None


def test_blind_index_depends_on_index_key_and_name(ring):
    other = crypto.new_keyring()
    a = crypto.blind_index("person.phone", "447700900123", ring=ring)
    assert a == crypto.blind_index("person.phone", "447700900123", ring=ring)
    assert a != crypto.blind_index("person.phone", "447700900123", ring=other)
    assert a != crypto.blind_index("person.other", "447700900123", ring=ring)


# --- key ring validation -------------------------------------------------------------------


def test_keyring_round_trips_through_dict(ring):
    again = Keyring.from_dict(ring.to_dict())
    assert again == ring


@pytest.mark.parametrize(
    "data",
    [
        {},
        None,
        {"keys": {}},
        {"current": "k1"},
        {"current": "k1", "keys": {"k1": "not base64!!"}},
        {"current": "k1", "keys": {"k1": _b64(os.urandom(16))}},  # 128-bit: too short
        {"current": "k1", "keys": {"k1": _b64(os.urandom(48))}},  # wrong length
        {"current": "k1", "keys": {"k1": _b64(b"\x00" * 32)}},  # placeholder
        {"current": "k1", "keys": {"k1": _b64(b"changeme" * 4)}},  # placeholder
        {"current": "bad id!", "keys": {"bad id!": _b64(os.urandom(32))}},
        {"current": "k2", "keys": {"k1": _b64(os.urandom(32))}},  # current missing
        {"current": "k1", "index": "k9", "keys": {"k1": _b64(os.urandom(32))}},  # index missing
    ],
)
def test_keyring_refuses_bad_keys(data):
    with pytest.raises(KeyringError):
        Keyring.from_dict(data)


def test_keyring_accepts_a_real_key():
    ring = Keyring.from_dict({"current": "k1", "keys": {"k1": _b64(os.urandom(32))}})
    assert ring.current == ring.index == "k1"


def test_load_keyring_refuses_missing_or_invalid_config(tmp_path):
    with pytest.raises(KeyringError):
        crypto.load_keyring({})
    with pytest.raises(KeyringError):
        crypto.load_keyring({"KEYRING_FILE": str(tmp_path / "missing.json")})
    with pytest.raises(KeyringError):
        crypto.load_keyring({"KEYRING_JSON": "{not json"})
    bad = tmp_path / "ring.json"
    bad.write_text("nope")
    with pytest.raises(KeyringError):
        crypto.load_keyring({"KEYRING_FILE": str(bad)})


def test_keyring_file_is_private(tmp_path):
    path = tmp_path / "sub" / "keyring.json"
    ring = crypto.new_keyring()
    crypto.write_keyring_file(path, ring)
    assert path.stat().st_mode & 0o777 == 0o600
    assert crypto.load_keyring({"KEYRING_FILE": str(path)}) == ring


# --- production refuses to start without secrets --------------------------------------------

GOOD_SECRET = "x7Kq2-" + "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"


def _production(tmp_path, **overrides):
    settings = {
        "SECRET_KEY": GOOD_SECRET,
        "KEYRING_JSON": json.dumps(crypto.new_keyring().to_dict()),
        "KEYRING_FILE": None,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.db'}",
    }
    settings.update(overrides)
    return create_app("production", settings)


def test_production_starts_with_real_secrets(tmp_path):
    app = _production(tmp_path)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert "casework.keyring" in app.extensions


@pytest.mark.parametrize("secret", [None, "", "change-me", "short-but-random-7f3a"])
def test_production_refuses_missing_or_weak_secret_key(tmp_path, secret):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        _production(tmp_path, SECRET_KEY=secret)


def test_production_refuses_to_start_without_key_ring(tmp_path):
    with pytest.raises(KeyringError):
        _production(tmp_path, KEYRING_JSON=None)
    with pytest.raises(KeyringError):
        _production(tmp_path, KEYRING_JSON=None, KEYRING_FILE=str(tmp_path / "absent.json"))


def test_production_refuses_placeholder_key_ring(tmp_path):
    placeholder = json.dumps({"current": "k1", "keys": {"k1": _b64(b"\x00" * 32)}})
    with pytest.raises(KeyringError):
        _production(tmp_path, KEYRING_JSON=placeholder)


def test_production_refuses_to_start_without_database(tmp_path):
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        _production(tmp_path, SQLALCHEMY_DATABASE_URI=None)


def test_testing_app_without_key_ring_fails_closed_on_first_use(tmp_path):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 't.db'}", "KEYRING_JSON": None})
    app.config["KEYRING_FILE"] = None
    with app.app_context(), pytest.raises(KeyringError):
        crypto.keyring()


# --- padding, row binding and malformed values ---------------------------------------------------


def test_padding_hides_length_within_a_bucket(ring):
    lengths = {len(crypto.encrypt(b"x" * n, "t.c", ring)) for n in range(crypto.PAD_BLOCK)}
    assert len(lengths) == 1  # 0..31 bytes: one length
    assert len(crypto.encrypt(b"x" * crypto.PAD_BLOCK, "t.c", ring)) == lengths.pop() + crypto.PAD_BLOCK


@pytest.mark.parametrize("size", [2, 16, 32, 64])
def test_pad_round_trip_and_fixed_size(size):
    for n in range(0, 3 * size):
        data = bytes(range(256))[:n] if n < 256 else b"\x00" * n
        padded = crypto.pad(data, size)
        assert len(padded) % size == 0 and len(padded) > n
        assert crypto.unpad(padded) == data
    # Trailing zero bytes in the value survive: the 0x80 marks where padding starts.
    assert crypto.unpad(crypto.pad(b"ab\x00\x00", size)) == b"ab\x00\x00"


@pytest.mark.parametrize("padded", [b"", b"\x00" * 32, b"abc" + b"\x00" * 29, b"abc\x81" + b"\x00" * 28])
def test_bad_padding_is_refused(padded):
    with pytest.raises(DecryptionError, match="padding"):
        crypto.unpad(padded)


def test_value_is_bound_to_its_row_uid(ring):
    uid, other = crypto.new_row_uid(), crypto.new_row_uid()
    blob = crypto.encrypt(b"secret", "person.surname", ring, row_uid=uid)
    assert crypto.parse(blob).row_uid == uid
    assert bytes.fromhex(uid) in blob  # carried in clear, authenticated as associated data
    assert crypto.open_value(blob, "person.surname", ring) == (b"secret", uid)
    assert crypto.decrypt(blob, "person.surname", ring, row_uid=uid) == b"secret"
    with pytest.raises(DecryptionError, match="another row"):
        crypto.decrypt(blob, "person.surname", ring, row_uid=other)


def test_rewriting_the_row_uid_in_a_value_fails_authentication(ring):
    uid, other = crypto.new_row_uid(), crypto.new_row_uid()
    blob = crypto.encrypt(b"secret", "person.surname", ring, row_uid=uid)
    forged = blob.replace(bytes.fromhex(uid), bytes.fromhex(other))
    assert crypto.parse(forged).row_uid == other
    with pytest.raises(DecryptionError, match="authentication"):
        crypto.open_value(forged, "person.surname", ring)
    # Nor can the binding be stripped: dropping the uid from the header fails too.
    env = crypto.parse(blob)
    unbound = env.header[: -crypto.ROW_UID_BYTES - 1] + b"\x00" + env.body
    with pytest.raises(DecryptionError, match="authentication"):
        crypto.open_value(unbound, "person.surname", ring)


def _legacy_blob(ring: Keyring, plaintext: bytes, aad: str) -> bytes:
    """A value in format 1, as versions before padding and row binding wrote it."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key_id = ring.current.encode()
    nonce = os.urandom(12)
    ct = AESGCM(ring.encryption_key(ring.current)).encrypt(nonce, plaintext, aad.encode())
    return bytes([1, len(key_id)]) + key_id + nonce + ct


def test_format_1_values_are_still_read(ring):
    blob = _legacy_blob(ring, b"Old value", "person.surname")
    assert crypto.parse(blob).version == crypto.LEGACY_FORMAT_VERSION
    assert crypto.open_value(blob, "person.surname", ring) == (b"Old value", None)
    with pytest.raises(DecryptionError):
        crypto.open_value(blob, "person.given_names", ring)


def _bad_padding_blob(ring: Keyring, aad: str, uid: str) -> bytes:
    """Authentic ciphertext whose plaintext lacks the 0x80 padding marker."""
    key_id = ring.current.encode()
    header = bytes([crypto.FORMAT_VERSION, len(key_id)]) + key_id + bytes([16]) + bytes.fromhex(uid)
    nonce = os.urandom(12)
    return (
        header
        + nonce
        + ring.cipher(ring.current).encrypt(nonce, b"no marker" + bytes(23), header + b"\x00" + aad.encode())
    )


def test_every_malformed_value_raises_decryption_error(ring):
    uid = crypto.new_row_uid()
    good = crypto.encrypt(b"secret", "t.c", ring, row_uid=uid)
    cases = {
        "empty": b"",
        "one byte": good[:1],
        "truncated header": good[:5],
        "truncated body": good[:-20],
        "no tag": good[: len(crypto.parse(good).header) + 12],
        "unknown version": bytes([7]) + good[1:],
        "zero key id length": good[:1] + b"\x00" + good[2:],
        "bad uid length": good[: 2 + good[1]] + b"\x05" + good[3 + good[1] :],
        "bad padding": _bad_padding_blob(ring, "t.c", uid),
    }
    for name, blob in cases.items():
        with pytest.raises(DecryptionError):
            crypto.open_value(blob, "t.c", ring)
        assert name  # every case raised the one error callers handle
    other = crypto.new_keyring()
    with pytest.raises(DecryptionError):
        crypto.open_value(crypto.encrypt(b"secret", "t.c", other, row_uid=uid), "t.c", ring)


@pytest.mark.parametrize(
    ("column_type", "marker_type"),
    [(EncryptedText("t.c"), str), (EncryptedDate("t.c"), date), (EncryptedJSON("t.c"), dict)],
)
def test_types_read_any_undecryptable_value_as_unreadable(keyed, column_type, marker_type, caplog):
    ring = crypto.keyring()
    uid = crypto.new_row_uid()
    good = crypto.encrypt(b"\xffSECRETVALUE", "t.c", ring, row_uid=uid)
    for blob in (good[:-3], b"\x02", bytes([9]) + good[1:], _bad_padding_blob(ring, "t.c", uid), good):
        with caplog.at_level("WARNING", logger="casework.crypto"):
            value = column_type.process_result_value(blob, db.engine.dialect)
        assert is_unreadable(value) and isinstance(value, marker_type)
        assert str(value) == "[unreadable]"
    # The last one decrypted but is not valid for the type (not UTF-8): its content is not logged.
    assert "unreadable value in t.c" in caplog.text
    assert "SECRETVALUE" not in caplog.text


def test_unreadable_markers_survive_the_ways_pages_use_values():
    from casework.core.types import UNREADABLE_DATE, UnreadableJSON

    assert UNREADABLE.upper() == "[unreadable]" and UNREADABLE.strip() is UNREADABLE
    assert UNREADABLE_DATE.strftime("%-d %b %Y") == "[unreadable]" and f"{UNREADABLE_DATE}" == "[unreadable]"
    aliases = UnreadableJSON()
    assert ", ".join(aliases) == "[unreadable]"
    assert aliases.get("school") is None and aliases
    assert str(aliases) == "[unreadable]"


def test_subkeys_and_ciphers_are_cached_per_key(ring):
    assert ring.cipher(ring.current) is ring.cipher(ring.current)
    other = crypto.add_key(ring)
    assert other.cipher(other.current) is not ring.cipher(ring.current)
    assert other.cipher(ring.current) is ring.cipher(ring.current)  # same key bytes, same object
    with pytest.raises(KeyringError):
        ring.cipher("missing")


def test_a_model_with_encrypted_columns_must_be_row_bound():
    from casework.core.models.base import RowBoundMixin, require_row_binding

    class Scratch(DeclarativeBase):
        pass

    class Unbound(Scratch):
        __tablename__ = "unbound"
        id: Mapped[int] = mapped_column(primary_key=True)
        secret: Mapped[str] = mapped_column(EncryptedText("unbound.secret"))

    with pytest.raises(TypeError, match="Unbound has encrypted columns"):
        require_row_binding(Scratch.registry)

    class Bound(RowBoundMixin, Scratch):
        __tablename__ = "bound"
        id: Mapped[int] = mapped_column(primary_key=True)
        secret: Mapped[str] = mapped_column(EncryptedText("bound.secret"))

    assert "row_uid" in Bound.__table__.c
    Scratch.registry.dispose()
    require_row_binding(db.Model.registry)  # every application model is bound
