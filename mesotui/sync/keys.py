"""What a sync derives from the clinic key: the body key, the revision-id key and the seal key.

The clinic key (32 random bytes kept outside the record folder, issue 14) never leaves the
laptop. HKDF-SHA256 derives three independent keys from it, salted with the clinic's id:

- the body key encrypts each document's body with AES-256-GCM; the id and revision of the
  document are its associated data, so a body cannot be moved to another document or revision;
- the revision-id key turns a revision's SHA-256 hash into its CouchDB revision id (an HMAC),
  so the server, which sees the ids, cannot test a guess of the content against them;
- the seal key MACs a plain body, when the clinic has turned encryption off.

Whoever lacks the clinic key can neither read a body nor make one that a laptop accepts.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FORMAT = "mesotui-sync/1"
"""Written into every document this layer makes, and bound into every MAC and ciphertext."""
NONCE = 12


def _derive(secret: bytes, clinic: str, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=clinic.encode("utf-8"),
                info=f"{FORMAT} {purpose}".encode()).derive(secret)


@dataclass(frozen=True)
class SyncKeys:
    """The keys one clinic's replicas share, derived from its clinic key."""

    clinic: str
    body: bytes = field(repr=False)
    revision: bytes = field(repr=False)
    seal: bytes = field(repr=False)

    @classmethod
    def derive(cls, secret: bytes, clinic: str) -> SyncKeys:
        """Derive the sync keys of `clinic` from its clinic key `secret` (at least 32 bytes)."""
        if len(secret) < 32:
            raise ValueError("a clinic key has at least 32 bytes")
        return cls(clinic, _derive(secret, clinic, "body"), _derive(secret, clinic, "revision"),
                   _derive(secret, clinic, "seal"))

    def revision_id(self, record_id: str, revision_hash: str) -> str:
        """The CouchDB revision id (32 hex digits) of a mesotui revision, from its hash."""
        return self._rev_mac(f"rev\x1f{record_id}\x1f{revision_hash}")

    def tombstone_id(self, record_id: str, leaf_hash: str) -> str:
        """The revision id of the tombstone that retires the branch ending in `leaf_hash`.

        The same on every laptop, so two rooms retiring the same version agree on it.
        """
        return self._rev_mac(f"tombstone\x1f{record_id}\x1f{leaf_hash}")

    def _rev_mac(self, message: str) -> str:
        return hmac.new(self.revision, message.encode("utf-8"), hashlib.sha256).digest()[
            :16].hex()

    def encrypt(self, doc_id: str, rev: str, plaintext: bytes) -> tuple[bytes, bytes]:
        """(nonce, ciphertext with its tag) of a body, bound to its document and revision."""
        nonce = os.urandom(NONCE)
        return nonce, AESGCM(self.body).encrypt(nonce, plaintext, _bound(doc_id, rev))

    def decrypt(self, doc_id: str, rev: str, nonce: bytes, ciphertext: bytes) -> bytes | None:
        """The plaintext, or None if it was not made with this clinic's key for this place."""
        if len(nonce) != NONCE:
            return None
        try:
            return AESGCM(self.body).decrypt(nonce, ciphertext, _bound(doc_id, rev))
        except InvalidTag:
            return None

    def seal_of(self, doc_id: str, rev: str, payload: bytes) -> str:
        """The MAC of a plain body at its place."""
        return hmac.new(self.seal, _bound(doc_id, rev) + b"\x1e" + payload,
                        hashlib.sha256).hexdigest()


def _bound(doc_id: str, rev: str) -> bytes:
    return f"{FORMAT}\x1f{doc_id}\x1f{rev}".encode()
