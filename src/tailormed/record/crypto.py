"""Encryption at rest: AES-256-GCM column types and the keyring they use.

Every encrypted column stores one self-describing value::

    version (1 byte, 0x01) | key id (8 bytes) | nonce (12 bytes, random) | ciphertext + tag

The key id is the first 8 bytes of ``SHA-256("tailormed-key-id:" + key)``, so a value
names the key that sealed it and old keys can stay readable while
:func:`tailormed.record.keys.rotate_keys` re-encrypts. The GCM associated data is the
``"table.column"`` name: a value copied into another column does not decrypt.

Keys come from the environment, never from the repository (:func:`load_keyring`):

* ``TAILORMED_DATA_KEY``: one or more base64-encoded 32-byte keys, comma-separated;
* ``TAILORMED_KEY_FILE``: a file with one base64 key per line (``#`` comments allowed),
  which must not be readable by group or others (:func:`generate_key` creates it 0600);
* otherwise ``data.key`` in the instance folder of a SQLite record (the folder holding
  the database file, where ``tailormed serve`` creates it on first start);
* otherwise ``~/.config/tailormed/data.key`` if it exists.

The first key is the *primary* one (used to encrypt); the others only decrypt.

A keyring is bound to an engine (:func:`bind_keyring`); the column types find it through
the engine's dialect, so no module outside the record layer ever sees ciphertext, and
two engines (tests, rotation) can use different keys in one process.

>>> ring = Keyring([bytes(32)])
>>> ring.decrypt(ring.encrypt(b"CYP2C19 *2/*17", "result.calls"), "result.calls")
b'CYP2C19 *2/*17'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import threading
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, Engine, LargeBinary, MetaData
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from tailormed.atomic import write_atomic
from tailormed.record.errors import KeyConfigError, KeyUnavailableError

KEY_BYTES = 32
FORMAT_VERSION = 1
KEY_ID_BYTES = 8
NONCE_BYTES = 12
HEADER_BYTES = 1 + KEY_ID_BYTES
DEFAULT_KEY_FILE = Path("~/.config/tailormed/data.key")
INSTANCE_KEY_FILE = "data.key"  # beside a SQLite record, made by the first start
NO_KEY_HINT = (
    "create one with `tailormed admin generate-key FILE` and set TAILORMED_KEY_FILE=FILE "
    "(or TAILORMED_DATA_KEY to the base64 of 32 random bytes)"
)


def key_id(key: bytes) -> str:
    """The 16-hex-digit id stored with every value a key seals."""
    return hashlib.sha256(b"tailormed-key-id:" + key).digest()[:KEY_ID_BYTES].hex()


def blob_key_id(blob: bytes) -> str:
    """The key id in a stored value's header."""
    if len(blob) < HEADER_BYTES + NONCE_BYTES or blob[0] != FORMAT_VERSION:
        raise KeyUnavailableError("stored value is not a Tailormed ciphertext")
    return blob[1:HEADER_BYTES].hex()


class Keyring:
    """Data keys by id; the primary one encrypts, every one decrypts.

    Thread-safe for concurrent use by sessions; :meth:`add` changes the primary key
    atomically (used by key rotation).
    """

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise KeyConfigError("a keyring needs at least one data key")
        self._lock = threading.Lock()
        self._keys: dict[str, AESGCM] = {}
        self._raw: dict[str, bytes] = {}
        self._primary = ""
        for i, key in enumerate(keys):
            self.add(key, primary=(i == 0))

    @property
    def primary_id(self) -> str:
        return self._primary

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def add(self, key: bytes, *, primary: bool = False) -> str:
        """Make ``key`` readable (and the encrypting key if ``primary``); returns its id."""
        if len(key) != KEY_BYTES:
            raise KeyConfigError(f"a data key must be {KEY_BYTES} bytes, got {len(key)}")
        kid = key_id(key)
        with self._lock:
            self._keys.setdefault(kid, AESGCM(key))
            self._raw.setdefault(kid, key)
            if primary or not self._primary:
                self._primary = kid
        return kid

    def set_primary(self, kid: str) -> None:
        with self._lock:
            if kid not in self._keys:
                raise KeyConfigError(f"key {kid} is not in the keyring")
            self._primary = kid

    def encrypt(self, plaintext: bytes, associated_data: str) -> bytes:
        """Seal ``plaintext`` with the primary key and a fresh random 96-bit nonce."""
        with self._lock:
            kid, aead = self._primary, self._keys[self._primary]
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = aead.encrypt(nonce, plaintext, associated_data.encode())
        return bytes([FORMAT_VERSION]) + bytes.fromhex(kid) + nonce + sealed

    def decrypt(self, blob: bytes, associated_data: str) -> bytes:
        """Open a stored value with the key its header names."""
        kid = blob_key_id(blob)
        aead = self._keys.get(kid)
        if aead is None:
            raise KeyUnavailableError(
                f"{associated_data}: value sealed with key {kid}, which is not configured"
            )
        nonce = blob[HEADER_BYTES : HEADER_BYTES + NONCE_BYTES]
        try:
            return aead.decrypt(nonce, blob[HEADER_BYTES + NONCE_BYTES :], associated_data.encode())
        except InvalidTag:
            raise KeyUnavailableError(
                f"{associated_data}: value does not authenticate under key {kid}"
            ) from None

    def _derived(self, kid: str, purpose: bytes) -> bytes:
        return hmac.new(self._raw[kid], purpose, hashlib.sha256).digest()

    def blind_index(self, value: str, kid: str | None = None, *, domain: str = "") -> str:
        """A keyed hash of ``value`` for equality lookups without storing it in clear.

        ``domain`` separates columns: the same value gets unrelated indexes in two columns
        (the empty domain is the patient external id's, kept for stored indexes)."""
        purpose = b"tailormed-blind-index" + (b":" + domain.encode() if domain else b"")
        index_key = self._derived(kid or self._primary, purpose)
        return hmac.new(index_key, value.encode(), hashlib.sha256).hexdigest()

    def blind_indexes(self, value: str, *, domain: str = "") -> list[str]:
        """``value``'s blind index under every key (rows not yet rotated use old keys)."""
        return [self.blind_index(value, kid, domain=domain) for kid in self._keys]

    def audit_mac(self, digest: str, kid: str | None = None) -> tuple[str, str]:
        """``(key id, HMAC-SHA256)`` sealing an audit event's hash (primary key by default)."""
        kid = kid or self.primary_id
        mac_key = self._derived(kid, b"tailormed-audit-mac")
        return kid, hmac.new(mac_key, digest.encode(), hashlib.sha256).hexdigest()

    def check_audit_mac(self, digest: str, kid: str, mac: str) -> bool | None:
        """Whether ``mac`` seals ``digest`` under key ``kid``; ``None`` if that key is not
        configured (retired by a rotation)."""
        if kid not in self._raw:
            return None
        return hmac.compare_digest(self.audit_mac(digest, kid)[1], mac)


# --------------------------------------------------------------------------- key loading
def _decode_key(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyConfigError(f"{where}: a data key must be base64") from None
    if len(key) != KEY_BYTES:
        raise KeyConfigError(f"{where}: a data key must decode to {KEY_BYTES} bytes")
    return key


def read_key_file(path: Path) -> list[bytes]:
    """The keys in a key file, primary first. Refuses files others can read."""
    path = path.expanduser()
    if not path.is_file():
        raise KeyConfigError("key file not found", path=path)
    if os.name == "posix" and path.stat().st_mode & 0o077:
        raise KeyConfigError("key file is readable by group or others (chmod 600)", path=path)
    lines = [ln.strip() for ln in path.read_text().splitlines()]
    keys = [_decode_key(ln, str(path)) for ln in lines if ln and not ln.startswith("#")]
    if not keys:
        raise KeyConfigError("key file holds no key", path=path)
    return keys


def key_source(
    env: Mapping[str, str] | None = None, *, instance: Path | None = None
) -> str | Path | None:
    """Where :func:`load_keyring` would read keys: a variable name, a file, or ``None``."""
    env = os.environ if env is None else env
    if env.get("TAILORMED_DATA_KEY"):
        return "TAILORMED_DATA_KEY"
    if env.get("TAILORMED_KEY_FILE"):
        return Path(env["TAILORMED_KEY_FILE"]).expanduser()
    if instance is not None and (instance / INSTANCE_KEY_FILE).is_file():
        return instance / INSTANCE_KEY_FILE
    if DEFAULT_KEY_FILE.expanduser().is_file():
        return DEFAULT_KEY_FILE.expanduser()
    return None


def load_keyring(env: Mapping[str, str] | None = None, *, instance: Path | None = None) -> Keyring:
    """The keyring configured by ``TAILORMED_DATA_KEY`` / ``TAILORMED_KEY_FILE``, else the
    instance folder's ``data.key`` (``instance``: a SQLite record's folder), else
    ``~/.config/tailormed/data.key``."""
    env = os.environ if env is None else env
    source = key_source(env, instance=instance)
    if source == "TAILORMED_DATA_KEY":
        parts = [p for p in env["TAILORMED_DATA_KEY"].split(",") if p.strip()]
        return Keyring([_decode_key(p, "TAILORMED_DATA_KEY") for p in parts])
    if isinstance(source, Path):
        return Keyring(read_key_file(source))
    raise KeyConfigError(f"no data key configured: {NO_KEY_HINT}")


def generate_key(path: Path | str | None = None, *, prepend: bool = False) -> bytes:
    """A new random 32-byte data key; written to ``path`` (mode 0600) when given.

    An existing file is refused unless ``prepend``: then the new key becomes the first
    (primary) line and the old keys stay readable below it — step one of a rotation.
    """
    key = secrets.token_bytes(KEY_BYTES)
    if path is None:
        return key
    target = Path(path).expanduser()
    line = base64.b64encode(key).decode() + "\n"
    if target.exists():
        if not prepend:
            raise KeyConfigError("key file exists; refusing to overwrite it", path=target)
        old = "\n".join(base64.b64encode(k).decode() for k in read_key_file(target))
        line += old + "\n"
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomic(target, line.encode(), mode=0o600, sync=True)
    return key


# --------------------------------------------------------------------- engine binding
_BOUND: weakref.WeakKeyDictionary[Dialect, Keyring] = weakref.WeakKeyDictionary()


def bind_keyring(engine: Engine, keyring: Keyring) -> None:
    """Make the encrypted column types use ``keyring`` for every statement on ``engine``."""
    _BOUND[engine.dialect] = keyring


def keyring_for(bind: Engine | Connection | Dialect) -> Keyring:
    """The keyring bound to an engine (or one of its connections, or its dialect)."""
    dialect = bind if isinstance(bind, Dialect) else bind.dialect
    ring = _BOUND.get(dialect)
    if ring is None:
        raise KeyConfigError("no data key bound to this engine (use engine_from_url)")
    return ring


# ------------------------------------------------------------------------ column types
class _Encrypted(TypeDecorator[Any]):
    """Base of the encrypted column types: a BLOB/bytea holding one sealed value."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, associated_data: str | None = None) -> None:
        super().__init__()
        self.associated_data = associated_data

    def _ad(self) -> str:
        if self.associated_data is None:
            raise KeyConfigError("encrypted column used before bind_associated_data()")
        return self.associated_data

    def _encode(self, value: Any) -> bytes:
        raise NotImplementedError

    def _decode(self, data: bytes) -> Any:
        raise NotImplementedError

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return keyring_for(dialect).encrypt(self._encode(value), self._ad())

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return self._decode(keyring_for(dialect).decrypt(bytes(value), self._ad()))


class EncryptedText(_Encrypted):
    """A ``str`` column stored AES-256-GCM encrypted."""

    cache_ok = True  # SQLAlchemy asks each TypeDecorator class itself

    def _encode(self, value: Any) -> bytes:
        if not isinstance(value, str):
            raise TypeError(f"{self._ad()}: expected str, got {type(value).__name__}")
        return value.encode()

    def _decode(self, data: bytes) -> str:
        return data.decode()


class EncryptedBytes(_Encrypted):
    """A ``bytes`` column stored AES-256-GCM encrypted (uploaded files, in chunks)."""

    cache_ok = True  # SQLAlchemy asks each TypeDecorator class itself

    def _encode(self, value: Any) -> bytes:
        if not isinstance(value, bytes | bytearray | memoryview):
            raise TypeError(f"{self._ad()}: expected bytes, got {type(value).__name__}")
        return bytes(value)

    def _decode(self, data: bytes) -> bytes:
        return data


class EncryptedJSON(_Encrypted):
    """A JSON document (dict / list) stored AES-256-GCM encrypted."""

    cache_ok = True  # SQLAlchemy asks each TypeDecorator class itself

    def _encode(self, value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()

    def _decode(self, data: bytes) -> Any:
        return json.loads(data)


def bind_associated_data(metadata: MetaData) -> None:
    """Give every encrypted column type its ``"table.column"`` associated data."""
    for table in metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, _Encrypted):
                name = f"{table.name}.{column.name}"
                if column.type.associated_data not in (None, name):
                    raise KeyConfigError(f"{name}: encrypted type shared with another column")
                column.type.associated_data = name


def encrypted_columns(metadata: MetaData) -> list[tuple[str, str]]:
    """Every ``(table, column)`` that holds ciphertext."""
    return [
        (table.name, column.name)
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, _Encrypted)
    ]
