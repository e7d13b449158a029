"""A written reason (why an erasure, an emergency access, a reset): checked the same way at every door."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def reason_checked(reason, *, minimum: int, too_short: str, maximum: int | None = None) -> str:
    """The reason, stripped, if it says enough; otherwise a ValidationError on `reason`.

    `too_short` is the message for a reason under `minimum` characters, formatted with `count`.
    """
    reason = reason.strip() if isinstance(reason, str) else ""
    if "\x00" in reason:
        raise ValidationError({"reason": _("The reason contains characters that are not allowed.")})
    if len(reason) < minimum:
        raise ValidationError({"reason": str(too_short) % {"count": minimum}})
    if maximum is not None and len(reason) > maximum:
        raise ValidationError({"reason": _("Keep the reason to %(count)d characters at most.") % {"count": maximum}})
    return reason
