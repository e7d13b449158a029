"""Who sees which movement: the movement officers of its country, the supervisors of that country, and the staff
of its reception centre once it is confirmed. Anyone else gets 404."""

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.choices import Role
from cases.permissions import user_assignments
from travel.choices import MovementStatus
from travel.models import Movement

VISIBLE_TO_RECEPTION = [MovementStatus.CONFIRMED, MovementStatus.DEPARTED, MovementStatus.ARRIVED]


def movement_scope(user) -> Q | None:
    visible = None
    for assignment in user_assignments(user):
        branch = None
        if assignment.role in (Role.MOVEMENT_OFFICER, Role.SUPERVISOR) and assignment.country:
            branch = Q(country=assignment.country)
        elif assignment.role == Role.RECEPTION_STAFF and assignment.office_id:
            branch = Q(reception_centre_id=assignment.office_id, status__in=VISIBLE_TO_RECEPTION)
        if branch is not None:
            visible = branch if visible is None else visible | branch
    return visible


def movements_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    queryset = Movement.objects.all() if queryset is None else queryset
    scope = movement_scope(user)
    return queryset.filter(scope) if scope is not None else queryset.none()


def movement_for_user(*, user, movement_id) -> Movement:
    try:
        return movements_visible_to(user).select_related("departure_office", "reception_centre").get(
            pk=int(movement_id))
    except (Movement.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def movement_roles(user, movement: Movement) -> set[str]:
    roles = set()
    for a in user_assignments(user):
        if a.role in (Role.MOVEMENT_OFFICER, Role.SUPERVISOR) and a.country == movement.country:
            roles.add(a.role)
        if a.role == Role.RECEPTION_STAFF and a.office_id == movement.reception_centre_id \
                and movement.status in VISIBLE_TO_RECEPTION:
            roles.add(a.role)
    return roles
