"""A KoboToolbox API token kept sealed: encrypted (Fernet) with a key derived from the Django secret key, so the
database alone never gives it away; opened only to make the pull's request, never shown again."""

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

# A purpose of its own: the same secret key signs sessions; this key opens only import tokens.
HKDF_INFO = b"avr.imports.kobo-token.v1"


class TokenUnreadable(Exception):
    """The sealed token cannot be opened (the secret key changed since it was set)."""


def _fernet() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(
        settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def token_seal(token: str) -> str:
    """The token encrypted, as stored in ImportSource.token_sealed."""
    return _fernet().encrypt(token.strip().encode()).decode("ascii")


def token_open(sealed: str) -> str:
    """The token in clear, for the request's Authorization header only."""
    try:
        return _fernet().decrypt(sealed.encode("ascii")).decode()
    except (InvalidToken, ValueError) as error:
        raise TokenUnreadable from error
