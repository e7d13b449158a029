"""The keys of a tablet's encrypted queue.

The tablet encrypts each queued operation with a random data key (AES-GCM) and keeps that key only wrapped
(AES-KW) with the user's key for the device: HMAC-SHA256 of the device's server-held secret and the user. A lost
tablet holds ciphertext and a wrapped key; withdrawing the device stops the server handing the unwrapping key out.
The server can derive it again, which is how an exported queue is read back (sync.recovery).
"""

import base64
import hashlib
import hmac
import secrets


def device_secret_new() -> str:
    return secrets.token_hex(32)


def user_key(*, secret: str, user_id: int) -> bytes:
    return hmac.new(bytes.fromhex(secret), f"avr-booth-kek:{user_id}".encode(), hashlib.sha256).digest()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
