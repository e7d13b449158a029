"""Reads of emergency access: who may ask, and the review queue of supervisors and focal points."""

from django.db.models import F, Q, QuerySet

from accounts.choices import Role
from accounts.models import Programme
from breakglass.models import BreakGlassGrant
from cases.models import Case
from cases.permissions import _matches, role_scope_q, user_assignments, user_roles

# Those whose work may call for a case outside their scope: headquarters and supervisors of other programmes.
# Caseworkers, movement and reception staff ask their supervisor to share the case instead.
BREAK_GLASS_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR})


def may_ask_break_glass(user) -> bool:
    """An active, signed-in admin or supervisor (an inactive or anonymous user never)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user_roles(user) & BREAK_GLASS_ROLES)


def _reviewable_q(user) -> Q:
    return (Q(case__in=Case.objects.filter(role_scope_q(user, Role.SUPERVISOR)).values("pk"))
            | Q(case__programme__data_protection_focal_point_id=user.pk))


def grants_to_review(user) -> QuerySet:
    """Emergency accesses on the cases the user supervises or whose programme they are focal point of, not their
    own; newest first, waiting ones first."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return BreakGlassGrant.objects.none()
    return (BreakGlassGrant.objects.filter(_reviewable_q(user)).exclude(user_id=user.pk)
            .select_related("user", "case", "reviewed_by").order_by(F("reviewed_at").asc(nulls_first=True), "-id"))


def grants_waiting_count(user) -> int | None:
    """How many emergency accesses wait for the user's review, or None for whom reviews none (no menu item)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if Role.SUPERVISOR not in user_roles(user) and not (
            Programme.objects.filter(data_protection_focal_point_id=user.pk).exists()):
        return None
    return grants_to_review(user).filter(reviewed_at__isnull=True).count()


def may_review_grant(user, grant: BreakGlassGrant) -> bool:
    """A supervisor of the case or the focal point of its programme, never the grant's own user."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or grant.user_id == user.pk:
        return False
    if grant.case.programme.data_protection_focal_point_id == user.pk:
        return True
    return any(a.role == Role.SUPERVISOR and _matches(a, grant.case) for a in user_assignments(user))
