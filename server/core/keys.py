"""One secret to keep, SECRET_KEY, and the keys derived from it for each purpose.

Rotating it: put the new secret in SECRET_KEY and the old one first in
SECRET_KEY_FALLBACKS. What is made from now on (certificate signatures, venue codes and
posters, encrypted ID numbers, SMS code hashes, sessions) uses the new one; what the old
ones made still verifies or decrypts. `flask keys rotate` re-encrypts the stored ID numbers
with the new key; once it reports none left on an old key, and the oldest printed poster
and certificate you still honour were made after the change, that fallback can go.
Certificates are the exception: their signatures are checked with every key on the list,
so keep a fallback as long as certificates it signed are in people's hands.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


def secrets() -> list[bytes]:
    """The current secret first, then the fallbacks, newest first."""
    cfg = current_app.config
    return [s.encode() for s in (cfg["SECRET_KEY"], *cfg["SECRET_KEY_FALLBACKS"]) if s]


def hkdf(secret: bytes, label: bytes, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=label).derive(secret)


def hkdf_keys(label: bytes) -> Iterator[bytes]:
    """This purpose's key under each secret, the current one first."""
    return (hkdf(secret, label) for secret in secrets())


def hmac_keys(label: bytes) -> Iterator[bytes]:
    """Keys derived as HMAC(secret, label), the current one first."""
    return (hmac.new(secret, label, hashlib.sha256).digest() for secret in secrets())


def current_hkdf(label: bytes) -> bytes:
    return next(hkdf_keys(label))


def current_hmac(label: bytes) -> bytes:
    return next(hmac_keys(label))
