"""Writes to the audit log. Changes are caught by database triggers; reads, logins and exports are written here."""

from django.db import connection

from audit.models import AuditAction, AuditEvent


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
        path=(request.get_full_path()[:300] if request is not None else ""),
    )


def audit_login(*, user, request) -> AuditEvent:
    """A successful login."""
    return audit_record(actor=user, action=AuditAction.LOGIN, request=request, obj=user)


def audit_login_failed(*, username: str, request) -> AuditEvent:
    """A failed login; the username typed is kept, the password never."""
    return AuditEvent.objects.create(
        actor=None, actor_username=(username or "")[:150], action=AuditAction.LOGIN_FAILED,
        ip_address=client_ip(request), path=request.get_full_path()[:300] if request else "",
    )


def audit_logout(*, user, request) -> AuditEvent:
    """A logout."""
    return audit_record(actor=user, action=AuditAction.LOGOUT, request=request, obj=user)
