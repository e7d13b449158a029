"""Writes about staff: role groups, languages, API tokens, two-factor sign-in, demo data."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.choices import Role
from accounts.mfa import (
    RECOVERY_NAME,
    TOTP_NAME,
    CodeRefused,
    mfa_code_check,
    mfa_device,
    mfa_required,
    recovery_codes_new,
    recovery_digest,
)
from accounts.models import ApiToken, Assignment, MfaReset, User
from accounts.selectors import api_token_digest
from audit.models import AuditAction
from audit.services import audit_actor_set, audit_record, client_ip
from avr.reasons import reason_checked

# Global (model-level) permissions per role; which cases they apply to is decided by cases.permissions.
ROLE_PERMISSIONS = {
    Role.CASEWORKER: ["cases.add_case", "cases.change_case", "cases.add_member", "cases.change_member"],
    Role.SUPERVISOR: ["cases.change_case", "cases.change_member"],
    Role.MOVEMENT_OFFICER: [],
    Role.RECEPTION_STAFF: [],
    Role.ADMIN: [
        "accounts.add_office", "accounts.change_office", "accounts.view_office",
        "accounts.add_programme", "accounts.change_programme", "accounts.view_programme",
        "accounts.add_user", "accounts.change_user", "accounts.view_user",
        "accounts.add_assignment", "accounts.change_assignment", "accounts.delete_assignment",
        "accounts.view_assignment", "auth.view_group", "audit.view_auditevent", "axes.view_accessattempt",
        "axes.delete_accessattempt", "axes.view_accesslog",
        "retention.add_legalhold", "retention.change_legalhold", "retention.view_legalhold",
        "retention.view_reviewitem", "retention.view_erasurecertificate",
        "accounts.add_mfareset", "accounts.view_mfareset", "accounts.approve_mfareset",
        "sync.view_device", "sync.view_syncoperation", "sync.view_syncconflict",
        "imports.add_importsource", "imports.change_importsource", "imports.view_importsource",
        "imports.view_importbatch", "imports.view_importrow",
    ],
}


def role_group_name(role: str) -> str:
    return f"role:{role}"


def role_groups_ensure() -> dict[str, Group]:
    """Create the one group per role with its global permissions; safe to run any number of times."""
    wanted_names = {tuple(dotted.split(".")) for perms in ROLE_PERMISSIONS.values() for dotted in perms}
    by_name = {
        (p.content_type.app_label, p.codename): p
        for p in Permission.objects.select_related("content_type").filter(
            codename__in=[codename for _, codename in wanted_names])
    }
    groups = {}
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role_group_name(role))
        wanted = {by_name[tuple(d.split("."))].pk for d in perms if tuple(d.split(".")) in by_name}
        if set(group.permissions.values_list("pk", flat=True)) != wanted:
            group.permissions.set(wanted)
        groups[role] = group
    return groups


def user_role_groups_sync(*, user: User) -> None:
    """Put the user in exactly the role groups of their assignments; admins may enter the Django admin."""
    groups = role_groups_ensure()
    roles = set(Assignment.objects.filter(user=user).values_list("role", flat=True))
    current = set(user.groups.filter(name__startswith="role:"))
    wanted = {groups[r] for r in roles}
    user.groups.remove(*(current - wanted))
    user.groups.add(*(wanted - current))
    is_staff = Role.ADMIN in roles or user.is_superuser
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])


def user_language(user) -> str:
    """The user's chosen language, else Spanish for staff of Spanish-speaking countries, else English."""
    if getattr(user, "language", ""):
        return user.language
    countries = set()
    for assignment in Assignment.objects.filter(user=user).select_related("office", "programme"):
        if assignment.office:
            countries.add(assignment.office.country)
        if assignment.country:
            countries.add(assignment.country)
        if assignment.programme:
            countries.update(assignment.programme.registration_countries)
    return "es" if countries & set(settings.SPANISH_DEFAULT_COUNTRIES) else "en"


@transaction.atomic
def user_language_set(*, user: User, language: str) -> None:
    """Remember the language the user picked in the switcher."""
    audit_actor_set(actor=user)
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])


# Once a minute is often enough to know a token is in use; more would write on every API call.
API_TOKEN_TOUCH_EVERY = timedelta(minutes=1)


def api_token_create(*, user: User, request) -> tuple[ApiToken, str]:
    """A new token for the user on this client (its sign-in, audited as a login of that token).

    The key is returned once; only its digest is kept.
    """
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user, public_id=secrets.token_hex(6), key_digest=api_token_digest(key),
        label=_client_label(request), created_ip=client_ip(request), created_at=now, last_used_at=now,
        expires_at=now + timedelta(days=settings.API_TOKEN_MAX_DAYS),
    )
    audit_record(actor=user, action=AuditAction.LOGIN, request=request, obj=token, reason="api token")
    return token, key


def api_token_touch(token: ApiToken, now) -> None:
    """Note the token's use, at most once a minute: one conditional UPDATE, none while it was noted just now."""
    if now - token.last_used_at < API_TOKEN_TOUCH_EVERY:
        return
    ApiToken.objects.filter(pk=token.pk, last_used_at__lt=now - API_TOKEN_TOUCH_EVERY).update(last_used_at=now)
    token.last_used_at = now


def api_token_revoke(*, token: ApiToken, actor, request) -> None:
    """The token stops working at once; revoking it again changes nothing."""
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if revoked:
        audit_record(actor=actor, action=AuditAction.LOGOUT, request=request, obj=token, reason="api token revoked")


def password_changed(*, user: User, actor, request, how: str) -> None:
    """A new password ends what the old one opened: API tokens are revoked (other sessions end by Django's hash)."""
    from audit.services import audit_password_changed

    audit_password_changed(user=user, actor=actor, request=request, how=how)
    api_tokens_revoke_all(user=user, request=request)


def api_tokens_revoke_all(*, user: User, request) -> int:
    """Every live token of the user stops working, the one in use too: each client signs in again."""
    with transaction.atomic():
        revoked = list(ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
                       .values_list("pk", flat=True))
        ApiToken.objects.filter(pk__in=revoked).update(revoked_at=timezone.now())
        if revoked:
            audit_record(actor=user, action=AuditAction.LOGOUT, request=request, object_type="accounts.apitoken",
                         object_ids=revoked, reason="api tokens revoked: all")
    return len(revoked)


def _client_label(request) -> str:
    agent = request.META.get("HTTP_USER_AGENT", "") if request is not None else ""
    return " ".join(agent.split())[:120]


# A dead token's row (its client label and address) is kept this long to answer "which device was that?";
# the audit log keeps its sign-in and revocation for good.
API_TOKEN_KEEP_DEAD = timedelta(days=30)


def api_tokens_purge(*, now=None) -> int:
    """Forget tokens that stopped working (revoked, past their expiry, or idle) more than 30 days ago."""
    cutoff = (now or timezone.now()) - API_TOKEN_KEEP_DEAD
    idle = timedelta(hours=settings.API_TOKEN_IDLE_HOURS)
    deleted, _ = ApiToken.objects.filter(
        Q(revoked_at__lt=cutoff) | Q(expires_at__lt=cutoff) | Q(last_used_at__lt=cutoff - idle)).delete()
    return deleted


def mfa_enrolment_device(*, user: User) -> TOTPDevice:
    """The authenticator being set up (unconfirmed): the same secret on every reload until it is confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


def mfa_enrol_confirm(*, user: User, device: TOTPDevice, code: str, request) -> list[str]:
    """Confirm the authenticator with its first code and make ten recovery codes, returned once; audited."""
    check = mfa_code_check(user=user, code=code, recovery=False, device=device)
    if not check.ok:
        raise CodeRefused(check)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        codes = _recovery_codes_replace(user)
        audit_record(actor=user, action=AuditAction.MFA_ENROLLED, request=request, obj=user)
    return codes


def mfa_recovery_codes_regenerate(*, user: User, code: str, request) -> list[str]:
    """New recovery codes after a current authenticator code; the old ones stop working. Audited."""
    check = mfa_code_check(user=user, code=code, recovery=False)
    if not check.ok:
        raise CodeRefused(check)
    with transaction.atomic():
        codes = _recovery_codes_replace(user)
        audit_record(actor=user, action=AuditAction.MFA_CODES, request=request, obj=user)
    return codes


def _recovery_codes_replace(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = recovery_codes_new()
    StaticToken.objects.bulk_create([StaticToken(device=device, token=recovery_digest(c)) for c in codes])
    return codes


def mfa_disable(*, user: User, code: str, request) -> None:
    """Turn two-factor sign-in off after a current code; refused for those who must use it. Audited."""
    if mfa_required(user):
        raise PermissionDenied(_("Your role or clearance needs two-factor sign-in: it cannot be turned off."))
    check = mfa_code_check(user=user, code=code, recovery=False)
    if not check.ok:
        raise CodeRefused(check)
    with transaction.atomic():
        _factors_delete(user)
        audit_record(actor=user, action=AuditAction.MFA_DISABLED, request=request, obj=user)


def _factors_delete(user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


MFA_RESET_REASON_MIN_LENGTH = 10


def mfa_reset_reason_checked(reason) -> str:
    """The reason, stripped, if it says enough; otherwise a ValidationError on `reason`."""
    return reason_checked(reason, minimum=MFA_RESET_REASON_MIN_LENGTH, too_short=_(
        "Say why, and how the person's identity was checked (at least %(count)d characters)."))


def mfa_reset_request(*, user: User, reason: str, actor: User, request=None) -> MfaReset:
    """File a reset of the user's second factor; nothing changes until another admin approves it. Audited."""
    reason = mfa_reset_reason_checked(reason)
    with transaction.atomic():
        audit_actor_set(actor=actor)
        reset = MfaReset.objects.create(user=user, reason=reason, requested_by=actor, requested_at=timezone.now())
        audit_record(actor=actor, action=AuditAction.MFA_RESET_ASKED, request=request, obj=user,
                     reason=f"accounts.mfareset:{reset.pk}")
    return reset


def mfa_reset_approve(*, reset_id: int, actor: User, request=None) -> MfaReset:
    """A second admin approves: the user's factors and API tokens go, their sessions end. Audited.

    The requester and the user themselves may not approve: a reset always needs two people.
    """
    with transaction.atomic():
        reset = MfaReset.objects.select_for_update().select_related("user").get(pk=reset_id)
        if reset.approved_at is not None:
            return reset
        if actor.pk in (reset.requested_by_id, reset.user_id):
            raise PermissionDenied(_("A reset needs a second administrator: neither the one who asked for it "
                                     "nor its user may approve it."))
        if not actor.has_perm("accounts.approve_mfareset"):
            raise PermissionDenied(_("You may not approve two-factor resets."))
        audit_actor_set(actor=actor)
        reset.approved_by, reset.approved_at = actor, timezone.now()
        reset.save(update_fields=["approved_by", "approved_at"])
        _factors_delete(reset.user)
        revoked = ApiToken.objects.filter(user=reset.user, revoked_at__isnull=True).update(revoked_at=timezone.now())
        ended = user_sessions_end(user=reset.user)
        audit_record(actor=actor, action=AuditAction.MFA_RESET, request=request, obj=reset.user,
                     reason=f"accounts.mfareset:{reset.pk}; api tokens revoked: {revoked}; sessions ended: {ended}")
    return reset


def user_sessions_end(*, user: User) -> int:
    """End every browser session of the user (sessions are rows; staff have few live ones, so a scan is cheap)."""
    ended = [s.pk for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
             if s.get_decoded().get("_auth_user_id") == str(user.pk)]
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


def mfa_demo_enrol(*, user: User, secret_hex: str) -> None:
    """Demo data only: the user's authenticator is the published demo secret; running it again changes nothing."""
    if mfa_device(user) is not None and TOTPDevice.objects.filter(user=user, key=secret_hex, confirmed=True).exists():
        return
    TOTPDevice.objects.filter(user=user).delete()
    TOTPDevice.objects.create(user=user, name=TOTP_NAME, key=secret_hex, confirmed=True)
