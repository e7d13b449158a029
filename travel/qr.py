"""The boarding code on the manifest: which movement and which member, signed, with no personal data in it.

The reception centre scans it at check-in (issue #6) and reads it back with `boarding_code_read`.
"""

import io
from functools import lru_cache

import segno
from django.core import signing

BOARDING_SALT = "avr.boarding"
BOARDING_PREFIX = "AVR1"


class BadBoardingCode(ValueError):
    """The text scanned is not a boarding code we signed (tampered, truncated, or something else entirely)."""


def _signer() -> signing.Signer:
    return signing.Signer(salt=BOARDING_SALT)


def boarding_code(booking) -> str:
    """`AVR1:<movement id>:<member id>:<signature>`: ids only, so a lost manifest page leaks no name through it."""
    return _signer().sign(f"{BOARDING_PREFIX}:{booking.movement_id}:{booking.member_id}")


def boarding_code_read(text: str) -> tuple[int, int]:
    """(movement id, member id) from a scanned boarding code; BadBoardingCode unless we signed it."""
    try:
        value = _signer().unsign(str(text).strip())
    except signing.BadSignature:
        raise BadBoardingCode(text) from None
    prefix, _sep, ids = value.partition(":")
    movement_id, _sep, member_id = ids.partition(":")
    if prefix != BOARDING_PREFIX or not movement_id.isdigit() or not member_id.isdigit():
        raise BadBoardingCode(text)
    return int(movement_id), int(member_id)


def boarding_qr(code: str) -> segno.QRCode:
    # Error level M survives a fold or a smudge on a printed page and still fits a version 4 symbol (33 modules).
    # A fixed mask: choosing the best of eight costs ~3 ms a code (a second for 300 passengers), and the signature
    # makes the data look random, where the eight masks score alike.
    return segno.make(code, error="m", micro=False, mask=0)


def boarding_qr_svg(code: str) -> str:
    """The code as a small inline SVG for a web page (one path; the page's CSS sets its size)."""
    return boarding_qr(code).svg_inline(scale=1, border=2, omitsize=True, svgclass="qr", lineclass=None)


# A code never changes for a passenger of a movement, so a manifest drawn again (a seat changed, a second language)
# draws only the new ones; ~300 bytes each, so a few thousand cost a megabyte.
@lru_cache(maxsize=4096)
def boarding_qr_png(code: str) -> bytes:
    """The code as a PNG of one pixel per module, for a PDF to scale up without blurring.

    Two modules of quiet zone here; the manifest's cell padding adds the white that makes up the four of the standard.
    """
    out = io.BytesIO()
    boarding_qr(code).save(out, kind="png", scale=1, border=2)
    return out.getvalue()
