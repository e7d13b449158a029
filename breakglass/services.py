"""Writes of emergency access: granting it after the password (or a code) is re-entered, and reviewing it."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.mfa import mfa_code_check, second_factor_failed, second_factor_locked
from accounts.models import User
from audit.models import AuditAction
from audit.services import audit_actor_set, audit_login_failed, audit_record
from avr.reasons import reason_checked
from breakglass.models import BreakGlassGrant
from breakglass.selectors import may_ask_break_glass, may_review_grant
from cases.models import Case
from cases.permissions import case_access
from outbox.services import outbox_enqueue

REASON_MIN_LENGTH = 20


class AlreadyVisible(Exception):
    """The user already sees the case through their own work: no emergency access is needed (API 409)."""


class PasswordRefused(Exception):
    """The password or code was wrong (counted as a failed sign-in), or the account is locked out.

    `code` says a second-factor code was given; `wait` is set when wrong codes in a row made it wait.
    """

    def __init__(self, *, locked: bool, code: bool = False, wait: int = 0):
        super().__init__("locked" if locked else "wrong code" if code else "wrong password")
        self.locked, self.code, self.wait = locked, code, wait


def break_glass_reason_checked(reason) -> str:
    """The reason, stripped, if it says enough; otherwise a ValidationError on `reason` in the user's language."""
    return reason_checked(reason, minimum=REASON_MIN_LENGTH,
                          too_short=_("Say why you need this case (at least %(count)d characters)."))


def break_glass_reauth(*, user: User, password: str = "", otp: str = "", request) -> None:
    """Re-enter the password or a current code of one's authenticator (exactly one of them).

    A wrong one counts towards the lockout and is audited like a failed sign-in.
    """
    if bool(password) == bool(otp):
        raise ValidationError({"password": _("Type your password, or a current code of your authenticator app "
                                             "(one of the two).")})
    if otp:
        break_glass_code_check(user=user, otp=otp, request=request)
    else:
        break_glass_password_check(user=user, password=password, request=request)


def break_glass_code_check(*, user: User, otp: str, request) -> None:
    """A current TOTP code instead of the password (recovery codes are for signing in only)."""
    if second_factor_locked(request, user):
        raise PasswordRefused(locked=True, code=True)
    check = mfa_code_check(user=user, code=otp, recovery=False)
    if check.ok:
        return
    second_factor_failed(request, user)
    raise PasswordRefused(locked=getattr(request, "axes_locked_out", False), code=True, wait=check.wait)


def break_glass_password_check(*, user: User, password: str, request) -> None:
    """Re-enter the password: a wrong one counts towards the lockout and is audited like a failed sign-in."""
    checked = authenticate(request, username=user.username, password=password or "")
    if getattr(request, "axes_locked_out", False):
        raise PasswordRefused(locked=True)
    if checked is None or checked.pk != user.pk:
        audit_login_failed(username=user.username, request=request)
        raise PasswordRefused(locked=False)


def break_glass_grant(*, actor: User, case_id: int | None = None, reference: str = "", reason, password: str = "",
                      otp: str = "", request) -> BreakGlassGrant:
    """Give `actor` read-only access to one case for AVR_BREAK_GLASS_HOURS, audited and notified.

    The reason and the password (or code) are checked before the case is looked up, so a refusal says nothing of whether
    the case exists; a missing case and one the actor may not ask for are the same 404.
    """
    if not may_ask_break_glass(actor):
        raise Http404
    reason = break_glass_reason_checked(reason)
    break_glass_reauth(user=actor, password=password, otp=otp, request=request)
    with transaction.atomic():
        case = _case_named(case_id=case_id, reference=reference)
        if case_access(actor, case) is not None:
            raise AlreadyVisible
        audit_actor_set(actor=actor)
        grant = BreakGlassGrant.objects.create(
            user=actor, case=case, reason=reason,
            expires_at=timezone.now() + timedelta(hours=settings.AVR_BREAK_GLASS_HOURS))
        # The reason itself sits in the trigger's line for the grant row, sealed with the case's key.
        audit_record(actor=actor, action=AuditAction.BREAK_GLASS, request=request, obj=case,
                     reason=f"breakglass.breakglassgrant:{grant.pk}")
        outbox_enqueue("notifications.tasks.break_glass_notify", grant.pk)
    return grant


def _case_named(*, case_id: int | None, reference: str) -> Case:
    cases = Case.objects.select_for_update(of=("self",))
    found = (cases.filter(pk=case_id) if case_id is not None
             else cases.filter(reference__iexact=(reference or "").strip()) if reference else cases.none()).first()
    if found is None:
        raise Http404
    return found


@transaction.atomic
def break_glass_review(*, actor: User, grant_id: int, note: str = "", request=None) -> BreakGlassGrant:
    """Mark one emergency access reviewed, with an optional note; a grant the actor may not review is a 404."""
    grant = BreakGlassGrant.objects.select_for_update().select_related("case").filter(pk=grant_id).first()
    if grant is None or not may_review_grant(actor, grant):
        raise Http404
    note = (note or "").strip() if isinstance(note, str) else ""
    if "\x00" in note:
        raise ValidationError({"note": _("The note contains characters that are not allowed.")})
    if grant.reviewed_at is not None:
        return grant
    audit_actor_set(actor=actor)
    grant.reviewed_by, grant.reviewed_at, grant.review_note = actor, timezone.now(), note
    grant.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
    audit_record(actor=actor, action=AuditAction.BREAK_GLASS_REVIEW, request=request, obj=grant.case,
                 reason=f"breakglass.breakglassgrant:{grant.pk}")
    return grant
