"""API keys, stored hashed and compared in constant time; several at once, so keys can be rotated.

A key is a random token (`new_key`, 256 bits) that only its client holds. The server keeps
`NAME:SHA256` entries: the name shows in logs and rate-limit counts, the hash lets the server
check a key without storing it. A plain SHA-256 is enough because the keys are random, not
chosen by people: there is nothing to guess from a list of words. A presented key is compared
with every entry, always all of them, with `hmac.compare_digest`, so the time taken says
nothing about which entry or how much of it matched.

Rotation: add the new key's entry beside the old one, move the clients over, then delete the old
entry; from then on it is refused (401). A keys file is re-read whenever it changes on disk, as a
mounted Kubernetes secret does when it is updated, so no restart is needed.
"""

import contextlib
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from . import SecurityError

_ENTRY = re.compile(r"^(?:(?P<name>[A-Za-z0-9_.@-]{1,64}):)?(?P<digest>[0-9a-fA-F]{64})$")
KEY_BYTES = 32


@dataclass(frozen=True)
class StoredKey:
    name: str
    digest: bytes


def new_key() -> str:
    """A fresh random API key (43 URL-safe characters)."""
    return secrets.token_urlsafe(KEY_BYTES)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def entry_for(key: str, name: str) -> str:
    """The line to store for `key`: `NAME:SHA256`."""
    if not _ENTRY.match(f"{name}:{'0' * 64}"):
        raise SecurityError(f"key name {name!r}: use 1 to 64 letters, digits, '_', '.', '@' or '-'")
    return f"{name}:{key_digest(key)}"


def parse_entry(text: str, where: str) -> StoredKey:
    """`NAME:SHA256` (or a bare SHA256, named by its first 8 hex digits) -> a stored key."""
    match = _ENTRY.match(text.strip())
    if not match:
        # The text may be a key pasted by mistake: never repeat it in the message.
        raise SecurityError(f"{where}: an entry is not NAME:SHA256 (64 hex digits); store hashes, not keys")
    digest = match["digest"].lower()
    return StoredKey(match["name"] or digest[:8], bytes.fromhex(digest))


class KeyRing:
    """The accepted keys: entries given directly plus those of a file, re-read when it changes."""

    def __init__(self, entries: tuple[str, ...] = (), file: Path | None = None):
        self.fixed = [parse_entry(entry, "API_KEYS") for entry in entries if entry.strip()]
        self.file = Path(file) if file else None
        self._stamp: tuple[int, int] | None = None
        self._from_file: list[StoredKey] = []
        if self.file is not None:
            self._reload()
            if not self._from_file:
                raise SecurityError(
                    f"{self.file}: the keys file holds no key; an empty file would lock every client out"
                )

    @property
    def enabled(self) -> bool:
        return bool(self.fixed) or self.file is not None

    def _reload(self) -> None:
        try:
            stat = self.file.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
            if stamp == self._stamp:
                return
            lines = self.file.read_text().splitlines()
        except OSError as error:
            raise SecurityError(f"{self.file}: cannot read the keys file ({error.strerror})") from None
        entries = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
        self._from_file = [parse_entry(entry, str(self.file)) for entry in entries]
        self._stamp = stamp

    def keys(self) -> list[StoredKey]:
        if self.file is not None:
            with contextlib.suppress(SecurityError):  # a file being replaced: keep the keys read last
                self._reload()
        return [*self.fixed, *self._from_file]

    def match(self, presented: str) -> str | None:
        """The name of the stored key `presented` hashes to, or None; compares with every entry."""
        digest = hashlib.sha256(presented.encode()).digest()
        found = None
        for key in self.keys():
            if hmac.compare_digest(digest, key.digest):
                found = key.name
        return found
