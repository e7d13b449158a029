"""Writes to the audit log. Changes are caught by database triggers; reads, logins and exports are written here."""

import json
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from audit.models import AuditAction, AuditEvent

MIN_REASON_LENGTH = 10
# Query parameters whose values are codes, flags, dates or positions, never what a person typed about someone; every
# other value (a search box, a name) is written as "…" so the append-only log can never hold it.
CODED_QUERY_PARAMETERS = frozenset({
    "status", "programme", "office", "nationality", "umc", "incomplete", "vulnerability", "registered_from",
    "registered_to", "cursor", "before", "page", "format", "dry_run", "show", "kind", "service", "centre",
    "reception_centre", "departure_office", "member", "code", "period", "year", "month",
    "object_type", "action", "o", "p",  # the admin's filters, ordering and page (its search box `q` is withheld)
})
CODED_QUERY_SUFFIXES = ("__id__exact", "__year", "__month", "__day", "__isnull")
WITHHELD_VALUE = "…"


def is_coded(parameter: str) -> bool:
    return parameter in CODED_QUERY_PARAMETERS or parameter.endswith(CODED_QUERY_SUFFIXES)


def audit_path(request) -> str:
    """The address of the request for the log: its path, and its query with only coded values kept."""
    if request is None:
        return ""
    query = [(name, value if is_coded(name) else WITHHELD_VALUE) for name, values in request.GET.lists()
             for value in values]
    path = request.path + (f"?{urlencode(query)}" if query else "")
    return path[:300]


def client_ip(request) -> str | None:
    if request is None:
        return None
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or None


def audit_actor_set(*, actor, local: bool = True) -> None:
    """Tell the database triggers who is writing (for this transaction when `local`)."""
    actor_id = str(actor.pk) if getattr(actor, "pk", None) else ""
    username = getattr(actor, "username", "") or ""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('avr.actor_id', %s, %s), set_config('avr.actor_username', %s, %s)",
            [actor_id, local, username, local],
        )


def audit_record(
    *, actor, action: str, request=None, obj=None, object_type: str = "", object_id: str = "",
    object_ids: list[int] | None = None, reason: str = "", changes: dict | None = None,
) -> AuditEvent:
    """Append one event to the audit log."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    authenticated = getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if authenticated else None,
        actor_username=(getattr(actor, "username", "") or "")[:150],
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_ids=object_ids or [],
        reason=reason,
        changes=changes,
        ip_address=client_ip(request),
        path=audit_path(request),
    )


def audit_login(*, user, request) -> AuditEvent:
    """A successful login."""
    return audit_record(actor=user, action=AuditAction.LOGIN, request=request, obj=user)


def audit_login_failed(*, username: str, request) -> AuditEvent:
    """A failed login; the username typed is kept, the password never."""
    return AuditEvent.objects.create(
        actor=None, actor_username=(username or "")[:150], action=AuditAction.LOGIN_FAILED,
        ip_address=client_ip(request), path=audit_path(request),
    )


def audit_login_refused(*, username: str, request, reason: str) -> AuditEvent:
    """A sign-in refused before the password was checked (`reason`: locked_out, throttled, busy)."""
    return AuditEvent.objects.create(
        actor=None, actor_username=(username or "")[:150], action=AuditAction.LOGIN_REFUSED, reason=reason,
        ip_address=client_ip(request), path=audit_path(request),
    )


def audit_password_changed(*, user, actor, request=None, how: str) -> AuditEvent:
    """A password was set for `user` by `actor` (themselves, or an administrator); never its value."""
    return audit_record(actor=actor, action=AuditAction.PASSWORD_CHANGE, request=request, obj=user, reason=how)


def audit_logout(*, user, request) -> AuditEvent:
    """A logout."""
    return audit_record(actor=user, action=AuditAction.LOGOUT, request=request, obj=user)


def audit_values_readable_by(actor) -> bool:
    """Only an active admin (headquarters) may open sealed audit values, and only with a reason."""
    from accounts.choices import Role
    from accounts.models import Assignment

    return (bool(getattr(actor, "is_active", False))
            and Assignment.objects.filter(user_id=actor.pk, role=Role.ADMIN).exists())


def audit_values_read(*, actor, entry: AuditEvent, reason: str) -> dict | None:
    """The before/after values of one audit line for an admin giving a reason; the reading is itself logged.

    None when no values were kept (a names-only line), the case's key was destroyed, or the line is about a member
    whose data was erased at their request (the case's key stays for the rest of the household).
    """
    if not audit_values_readable_by(actor):
        raise PermissionDenied
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError(_("Say why you need to read these values (at least %(count)d characters).")
                              % {"count": MIN_REASON_LENGTH}, code="reason")
    audit_record(actor=actor, action=AuditAction.VIEW, object_type="audit.auditevent", object_id=str(entry.pk),
                 reason=reason)
    changes = entry.changes or {}
    if "sealed" not in changes:
        values = {side: changes[side] for side in ("before", "after") if side in changes}
        return values or None
    with connection.cursor() as cursor:
        cursor.execute("SELECT avr_audit_unseal(key, %s) FROM audit_casekey WHERE case_id = %s AND key IS NOT NULL",
                       [changes["sealed"], changes.get("case")])
        row = cursor.fetchone()
    if row is None:
        return None
    values = json.loads(row[0]) if isinstance(row[0], str) else row[0]
    if audit_line_about_erased_member(entry, values):
        return None
    return values


# Columns of a row's values that name a member: a deleted row (a duplicate decision, a removed vulnerability) is
# found through them once the row itself is gone.
MEMBER_COLUMNS = ("member_id", "candidate_id")


def audit_line_about_erased_member(entry: AuditEvent, values: dict | None) -> bool:
    """Is this line about a member erased at their request: their own row, a row naming them, or values naming them?"""
    object_id = entry.object_id if (entry.object_id or "").isdigit() else None
    named = {str(side.get(column)) for side in (values or {}).values() if isinstance(side, dict)
             for column in MEMBER_COLUMNS if side.get(column) is not None}
    with connection.cursor() as cursor:
        if entry.object_type in ("cases_member", "cases.member") and object_id:
            named.add(object_id)
        elif object_id and (table := _table_naming_members(entry.object_type)):
            cursor.execute(f'SELECT member_id FROM "{table}" WHERE id = %s', [int(object_id)])
            named |= {str(member_id) for (member_id,) in cursor.fetchall() if member_id is not None}
        ids = [int(pk) for pk in named if pk.isdigit()]
        if not ids:
            return False
        cursor.execute("SELECT 1 FROM cases_member WHERE id = ANY(%s) AND erased_at IS NOT NULL LIMIT 1", [ids])
        return cursor.fetchone() is not None


def _table_naming_members(table: str) -> str | None:
    """The table, if it is a model's table with a `member` column (the audit log names rows by their table)."""
    from django.apps import apps

    for model in apps.get_models():
        if model._meta.db_table == table:
            names = {f.attname for f in model._meta.concrete_fields}
            return table if "member_id" in names and "id" in names else None
    return None


@transaction.atomic
def case_audit_key_destroy(*, case_id: int, actor=None) -> None:
    """Destroy a case's audit key: its lines stay, their values become unreadable, later lines keep names only."""
    with connection.cursor() as cursor:
        # The destroyed row stays so the triggers never make a new key for the case.
        cursor.execute(
            "INSERT INTO audit_casekey (case_id, key, created_at, destroyed_at) VALUES (%s, NULL, now(), now()) "
            "ON CONFLICT (case_id) DO UPDATE SET key = NULL, "
            "destroyed_at = coalesce(audit_casekey.destroyed_at, excluded.destroyed_at)",
            [case_id],
        )
    audit_record(actor=actor, action=AuditAction.SHRED, object_type="cases.case", object_id=str(case_id))
