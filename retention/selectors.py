"""Reads for retention: which closed cases are due, the review queue a user may act on, the certificates."""

from datetime import date

from django.db.models import DateField, DateTimeField, Exists, F, Func, Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast

from accounts.choices import Role
from cases.choices import OPEN_STATUSES, CaseStatus
from cases.models import Case, CaseEvent
from cases.permissions import role_scope_q, user_roles
from retention.models import ErasureCertificate, LegalHold, ReviewItem, ReviewStatus

CLOSED_STATUSES = [s for s in CaseStatus.values if s not in OPEN_STATUSES]


class Months(Func):
    template = "make_interval(months => %(expressions)s)"


def cases_due_for_retention(*, today: date) -> QuerySet:
    """Closed cases, not anonymised, not on hold, not yet queued, whose programme's period has run out by `today`.

    Each comes with `retention_due_on`: the day it last closed plus the programme's months.
    """
    closed_at = Subquery(CaseEvent.objects.filter(case=OuterRef("pk"), to_status__in=CLOSED_STATUSES)
                         .values("case").annotate(at=Max("at")).values("at")[:1], output_field=DateTimeField())
    hold = LegalHold.objects.filter(case=OuterRef("pk"), released_at__isnull=True)
    queued = ReviewItem.objects.filter(case=OuterRef("pk"))
    return (Case.objects.filter(status__in=CLOSED_STATUSES, anonymised_at__isnull=True)
            .annotate(retention_due_on=Cast(Cast(closed_at, DateField()) + Months(F("programme__retention_months")),
                                            DateField()))
            .filter(retention_due_on__lte=today)
            .exclude(Exists(hold)).exclude(Exists(queued)))


def review_queue_for_user(user) -> QuerySet:
    """Pending reviews of the cases the user may anonymise: every case for an admin, their scope for a supervisor."""
    items = ReviewItem.objects.filter(status=ReviewStatus.PENDING).select_related("case", "case__programme")
    roles = user_roles(user)
    if Role.ADMIN in roles:
        return items
    if Role.SUPERVISOR in roles:
        return items.filter(case__in=Case.objects.filter(role_scope_q(user, Role.SUPERVISOR)))
    return items.none()


def certificates_for_user(user) -> QuerySet:
    """The erasure certificates the user may read: all for an admin, those of their scope's cases for a supervisor."""
    roles = user_roles(user)
    if Role.ADMIN in roles:
        return ErasureCertificate.objects.all()
    if Role.SUPERVISOR in roles:
        ids = Case.objects.filter(role_scope_q(user, Role.SUPERVISOR)).values_list("pk", flat=True)
        return ErasureCertificate.objects.filter(case_ids__overlap=list(ids))
    return ErasureCertificate.objects.none()
