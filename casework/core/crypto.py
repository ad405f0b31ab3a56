"""Key ring, AES-256-GCM field encryption and blind indexes (DESIGN §3).

Stored value layout (format 2)::

    2 | key id length (1) | key id | row uid length (1) | row uid | nonce (12) | ciphertext+tag

The plaintext is padded before encryption (ISO/IEC 7816-4: ``0x80`` then zero
bytes, up to a multiple of 32 bytes, or of a column's fixed size), so the
length of a value shows only its size bucket. The associated data is the
whole header (version, key id, row uid) followed by the ``table.column`` name:
a value moved to another column, or given another row's uid, fails
authentication. The row uid travels in clear so a reader can check it against
the row the value was read from (``core/models/base.py``).

Format 1 (``1 | key id length | key id | nonce | ciphertext+tag``, no padding,
associated data = column name only) is still read; ``flask keys rotate`` and
migration 0011 rewrite it. Keys live outside the database and nothing here
ever invents one: a missing key ring is an error.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

FORMAT_VERSION = 2
LEGACY_FORMAT_VERSION = 1
NONCE_BYTES = 12
ROW_UID_BYTES = 16
PAD_BLOCK = 32
BLIND_INDEX_BYTES = 16
_KEY_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class KeyringError(RuntimeError):
    """The key ring is missing, malformed or lacks a key that data needs."""


class DecryptionError(ValueError):
    """A stored value cannot be read: truncated, tampered, moved, bad padding or wrong key."""


class UnknownKeyError(DecryptionError, KeyringError):
    """A stored value names a key that is not in the key ring."""


@functools.lru_cache(maxsize=64)
def _subkey(master: bytes, purpose: str) -> bytes:
    """HKDF-SHA256 subkey of ``master`` for one purpose (cached per key and purpose)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"casework:{purpose}".encode()).derive(master)


@functools.lru_cache(maxsize=64)
def _field_cipher(master: bytes) -> AESGCM:
    """The AES-GCM object for field encryption under ``master`` (cached per key)."""
    return AESGCM(_subkey(master, "field-encryption"))


@dataclass(frozen=True)
class Keyring:
    """Named 256-bit master keys: ``current`` encrypts, the rest only decrypt.

    ``index`` names the key whose subkey computes blind indexes; it changes
    only when an operator chooses to, after which ``flask keys rotate``
    recomputes every index.
    """

    keys: dict[str, bytes]
    current: str
    index: str

    @classmethod
    def from_dict(cls, data: dict) -> Keyring:
        try:
            raw = data["keys"]
            current = data["current"]
        except (KeyError, TypeError):
            raise KeyringError("key ring needs 'keys' and 'current'") from None
        keys: dict[str, bytes] = {}
        for key_id, encoded in raw.items():
            if not _KEY_ID_RE.match(key_id):
                raise KeyringError(f"invalid key id {key_id!r}")
            try:
                key = base64.b64decode(encoded, validate=True)
            except ValueError:
                raise KeyringError(f"key {key_id!r} is not base64") from None
            if len(key) != 32:
                raise KeyringError(f"key {key_id!r} must be 32 bytes (256 bits)")
            if len(set(key)) < 8:
                raise KeyringError(f"key {key_id!r} looks like a placeholder")
            keys[key_id] = key
        index = data.get("index", current)
        for name in (current, index):
            if name not in keys:
                raise KeyringError(f"key ring names key {name!r} but does not hold it")
        return cls(keys=keys, current=current, index=index)

    def to_dict(self) -> dict:
        return {
            "current": self.current,
            "index": self.index,
            "keys": {k: base64.b64encode(v).decode() for k, v in self.keys.items()},
        }

    def encryption_key(self, key_id: str) -> bytes:
        try:
            return _subkey(self.keys[key_id], "field-encryption")
        except KeyError:
            raise KeyringError(f"key {key_id!r} is not in the key ring") from None

    def cipher(self, key_id: str) -> AESGCM:
        """The cached AES-GCM object for a key id; UnknownKeyError if the ring lacks it."""
        try:
            return _field_cipher(self.keys[key_id])
        except KeyError:
            raise UnknownKeyError(f"key {key_id!r} is not in the key ring") from None

    def index_key(self) -> bytes:
        return _subkey(self.keys[self.index], "blind-index")


def generate_key_id() -> str:
    return "k" + secrets.token_hex(4)


def new_keyring() -> Keyring:
    key_id = generate_key_id()
    return Keyring(keys={key_id: AESGCM.generate_key(bit_length=256)}, current=key_id, index=key_id)


def add_key(ring: Keyring, *, make_index: bool = False) -> Keyring:
    """Return a ring with a fresh current key; older keys stay for decryption."""
    key_id = generate_key_id()
    keys = dict(ring.keys)
    keys[key_id] = AESGCM.generate_key(bit_length=256)
    return Keyring(keys=keys, current=key_id, index=key_id if make_index else ring.index)


def write_keyring_file(path: Path, ring: Keyring) -> None:
    """Write the ring with mode 0600, creating the file exclusively if new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(ring.to_dict(), fh, indent=2)
    os.replace(tmp, path)
    os.chmod(path, 0o600)


def load_keyring(config) -> Keyring:
    """Load the ring from CASEWORK_KEYRING (JSON) or a key ring file; fail closed."""
    if config.get("KEYRING_JSON"):
        try:
            return Keyring.from_dict(json.loads(config["KEYRING_JSON"]))
        except json.JSONDecodeError:
            raise KeyringError("CASEWORK_KEYRING is not valid JSON") from None
    path = config.get("KEYRING_FILE")
    if not path or not Path(path).exists():
        raise KeyringError(
            "No encryption key ring. Set CASEWORK_KEYRING or CASEWORK_KEYRING_FILE, "
            "or run 'flask init-instance' in development."
        )
    try:
        return Keyring.from_dict(json.loads(Path(path).read_text()))
    except json.JSONDecodeError:
        raise KeyringError(f"key ring file {path} is not valid JSON") from None


def keyring() -> Keyring:
    """The application's key ring, loaded once per process from configuration."""
    ext = current_app.extensions
    ring = ext.get("casework.keyring")
    if ring is None:
        ring = ext["casework.keyring"] = load_keyring(current_app.config)
    return ring


def pad(data: bytes, size: int = PAD_BLOCK) -> bytes:
    """ISO/IEC 7816-4 padding: ``0x80`` then zeros up to the next multiple of ``size`` (always adds one byte)."""
    total = (len(data) // size + 1) * size
    return data + b"\x80" + bytes(total - len(data) - 1)


def unpad(data: bytes) -> bytes:
    stripped = data.rstrip(b"\x00")
    if not stripped or stripped[-1] != 0x80:
        raise DecryptionError("bad padding")
    return stripped[:-1]


def new_row_uid() -> str:
    """A random row identity (128 bits, hex) for row-bound encryption."""
    return secrets.token_hex(ROW_UID_BYTES)


def _uid_bytes(row_uid: str | bytes | None) -> bytes:
    if row_uid is None:
        return b""
    raw = bytes.fromhex(row_uid) if isinstance(row_uid, str) else bytes(row_uid)
    if len(raw) != ROW_UID_BYTES:
        raise ValueError(f"a row uid is {ROW_UID_BYTES} bytes")
    return raw


def encrypt(
    plaintext: bytes,
    aad: str,
    ring: Keyring | None = None,
    *,
    row_uid: str | bytes | None = None,
    pad_to: int = PAD_BLOCK,
) -> bytes:
    """Pad and encrypt ``plaintext`` for column ``aad``, bound to ``row_uid`` when given."""
    ring = ring or keyring()
    key_id = ring.current.encode()
    uid = _uid_bytes(row_uid)
    header = bytes([FORMAT_VERSION, len(key_id)]) + key_id + bytes([len(uid)]) + uid
    nonce = os.urandom(NONCE_BYTES)
    ct = ring.cipher(ring.current).encrypt(nonce, pad(plaintext, pad_to), header + b"\x00" + aad.encode())
    return header + nonce + ct


class Envelope(NamedTuple):
    """The clear header of a stored value: format version, key id and (format 2) row uid."""

    version: int
    key_id: str
    row_uid: str | None
    header: bytes
    body: bytes


def parse(blob: bytes) -> Envelope:
    """Split a stored value into its header fields; DecryptionError if it is malformed."""
    if len(blob) < 2 or blob[0] not in (FORMAT_VERSION, LEGACY_FORMAT_VERSION):
        raise DecryptionError("unknown ciphertext format")
    end = 2 + blob[1]
    if blob[1] == 0 or len(blob) < end:
        raise DecryptionError("truncated value")
    key_id = blob[2:end].decode("ascii", "replace")
    row_uid = None
    if blob[0] == FORMAT_VERSION:
        if len(blob) < end + 1:
            raise DecryptionError("truncated value")
        uid_len = blob[end]
        if uid_len not in (0, ROW_UID_BYTES) or len(blob) < end + 1 + uid_len:
            raise DecryptionError("malformed row uid")
        row_uid = blob[end + 1 : end + 1 + uid_len].hex() or None
        end += 1 + uid_len
    if len(blob) < end + NONCE_BYTES + 16:
        raise DecryptionError("truncated value")
    return Envelope(blob[0], key_id, row_uid, blob[:end], blob[end:])


def key_id_of(blob: bytes) -> str:
    return parse(blob).key_id


def open_value(blob: bytes, aad: str, ring: Keyring | None = None) -> tuple[bytes, str | None]:
    """Decrypt a stored value: (plaintext, row uid it is bound to, or None for unbound values).

    Every way a value can be unreadable raises DecryptionError (UnknownKeyError for
    a key missing from the ring).
    """
    ring = ring or keyring()
    env = parse(blob)
    nonce, ct = env.body[:NONCE_BYTES], env.body[NONCE_BYTES:]
    cipher = ring.cipher(env.key_id)
    if env.version == LEGACY_FORMAT_VERSION:
        associated = aad.encode()
    else:
        associated = env.header + b"\x00" + aad.encode()
    try:
        plaintext = cipher.decrypt(nonce, ct, associated)
    except InvalidTag:
        raise DecryptionError(f"value for {aad} failed authentication") from None
    if env.version == LEGACY_FORMAT_VERSION:
        return plaintext, None
    return unpad(plaintext), env.row_uid


def decrypt(blob: bytes, aad: str, ring: Keyring | None = None, *, row_uid: str | None = None) -> bytes:
    """Decrypt a stored value; with ``row_uid``, also require it to be bound to that row."""
    plaintext, bound_to = open_value(blob, aad, ring)
    if row_uid is not None and bound_to != row_uid:
        raise DecryptionError(f"value for {aad} belongs to another row")
    return plaintext


# --- blind indexes -----------------------------------------------------------


def normalise_text(value: str) -> str:
    """NFKC, case-folded, trimmed, inner white space collapsed."""
    value = unicodedata.normalize("NFKC", value).casefold().strip()
    return re.sub(r"\s+", " ", value)


def normalise_phone(value: str) -> str:
    """Digits in E.164 form without '+', UK national numbers assumed (07… → 447…)."""
    value = value.strip()
    digits = re.sub(r"\D", "", value)
    if value.startswith("+"):
        return digits
    if digits.startswith("00"):
        return digits[2:]
    if digits.startswith("0"):
        return "44" + digits[1:]
    return digits


def blind_index(name: str, *parts: str, ring: Keyring | None = None) -> bytes:
    """HMAC-SHA256 over the index name and normalised parts, truncated to 16 bytes."""
    ring = ring or keyring()
    message = name.encode() + b"\x00" + "\x1f".join(parts).encode()
    return hmac.new(ring.index_key(), message, hashlib.sha256).digest()[:BLIND_INDEX_BYTES]
