"""Key ring, AES-256-GCM field encryption and blind indexes (DESIGN §3).

Stored value layout: ``version (1) | key id length (1) | key id | nonce (12) | ciphertext+tag``.
The associated data is the ``table.column`` name, so a value moved to another
column fails authentication. Keys live outside the database and nothing here
ever invents one: a missing key ring is an error.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

FORMAT_VERSION = 1
NONCE_BYTES = 12
BLIND_INDEX_BYTES = 16
_KEY_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class KeyringError(RuntimeError):
    """The key ring is missing, malformed or lacks a key that data needs."""


class DecryptionError(ValueError):
    """A stored value failed authentication (tampered, moved or wrong key)."""


def _subkey(master: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"casework:{purpose}".encode()).derive(master)


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


def encrypt(plaintext: bytes, aad: str, ring: Keyring | None = None) -> bytes:
    ring = ring or keyring()
    key_id = ring.current.encode()
    nonce = os.urandom(NONCE_BYTES)
    ct = AESGCM(ring.encryption_key(ring.current)).encrypt(nonce, plaintext, aad.encode())
    return bytes([FORMAT_VERSION, len(key_id)]) + key_id + nonce + ct


def key_id_of(blob: bytes) -> str:
    if len(blob) < 2 or blob[0] != FORMAT_VERSION:
        raise DecryptionError("unknown ciphertext format")
    return blob[2 : 2 + blob[1]].decode("ascii", "replace")


def decrypt(blob: bytes, aad: str, ring: Keyring | None = None) -> bytes:
    ring = ring or keyring()
    key_id = key_id_of(blob)
    start = 2 + blob[1]
    nonce, ct = blob[start : start + NONCE_BYTES], blob[start + NONCE_BYTES :]
    try:
        return AESGCM(ring.encryption_key(key_id)).decrypt(nonce, ct, aad.encode())
    except InvalidTag:
        raise DecryptionError(f"value for {aad} failed authentication") from None


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
