"""Anonymising closed cases (crypto-shredding their audit values), legal holds, and the retention review queue."""

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import Role
from audit.services import audit_actor_set, case_audit_key_destroy
from cases.choices import OPEN_STATUSES
from cases.models import Case, DuplicateDecision, Member
from cases.permissions import case_access, user_roles
from retention.models import ErasureCertificate, LegalHold, ReviewItem, ReviewStatus
from retention.plan import anonymisation_plan

MANUAL_POLICY = "request"


class AnonymisationRefused(Exception):
    """A case that may not be anonymised now; `code` is stable (API 409), `message` is for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class AnonymisationSummary:
    """What a run removes (or, in a dry run, would remove); the certificate keeps the same."""

    case_ids: list[int]
    case_references: list[str]
    removed: dict = field(default_factory=dict)
    dry_run: bool = False
    certificate: ErasureCertificate | None = None


def may_anonymise(actor, case: Case) -> bool:
    """An admin, or a supervisor whose scope holds the case (a share does not count)."""
    if Role.ADMIN in user_roles(actor):
        return True
    access = case_access(actor, case)
    return access is not None and Role.SUPERVISOR in access.roles


def legal_hold_standing(case_id: int) -> LegalHold | None:
    return LegalHold.objects.filter(case_id=case_id, released_at__isnull=True).first()


def anonymisation_refusal(case: Case) -> AnonymisationRefused | None:
    """Why this case may not be anonymised now, or None."""
    if case.anonymised_at is not None:
        return AnonymisationRefused("already_anonymised", _("Case %(ref)s was already anonymised.")
                                    % {"ref": case.reference})
    if case.status in OPEN_STATUSES:
        return AnonymisationRefused("case_not_closed", _(
            "Case %(ref)s is not closed (it is %(status)s): only a closed, withdrawn or referred-out case can be "
            "anonymised.") % {"ref": case.reference, "status": case.get_status_display()})
    if legal_hold_standing(case.pk) is not None:
        return AnonymisationRefused("legal_hold", _(
            "Case %(ref)s is under a legal hold: release the hold before anonymising it.") % {"ref": case.reference})
    return None


def _scope(*, case_ids: list[int] | None = None, member_id: int | None = None) -> list:
    """Each plan with the rows it overwrites: those of whole cases, or those about one member only."""
    plans = anonymisation_plan()
    if member_id is not None:
        return [(plan, plan.member_rows(member_id)) for plan in plans if plan.member_lookup is not None]
    return [(plan, plan.rows(case_ids)) for plan in plans]


def _decisions(*, case_ids: list[int] | None = None, member_id: int | None = None):
    if member_id is not None:
        return DuplicateDecision.objects.filter(Q(member_id=member_id) | Q(candidate_id=member_id))
    return DuplicateDecision.objects.filter(Q(member__case_id__in=case_ids) | Q(candidate__case_id__in=case_ids))


def _sync_conflicts(*, case_ids: list[int] | None = None, member_id: int | None = None):
    """A tablet's conflicting values are copies of the person's data: they go with it, resolved or not."""
    from sync.models import SyncConflict

    if member_id is not None:
        return SyncConflict.objects.filter(member_id=member_id)
    return SyncConflict.objects.filter(case_id__in=case_ids)


def _removed(case_ids: list[int] | None = None, *, member_id: int | None = None) -> dict:
    """Per model, how many rows are overwritten and which fields; files to delete; audit keys to destroy."""
    removed: dict = {}
    files = 0
    for plan, rows in _scope(case_ids=case_ids, member_id=member_id):
        count = rows.count()
        if count:
            removed[plan.label] = {"rows": count, "fields": sorted(plan.values)}
        for name in plan.files:
            files += rows.exclude(**{name: ""}).count()
    decisions = _decisions(case_ids=case_ids, member_id=member_id)
    removed["cases.DuplicateDecision"] = {"rows": decisions.count(), "fields": ["deleted"]}
    removed["sync.SyncConflict"] = {"rows": _sync_conflicts(case_ids=case_ids, member_id=member_id).count(),
                                    "fields": ["deleted"]}
    removed["files"] = files
    # One member's erasure keeps the case's key: it protects the rest of the household (see audit_values_read).
    removed["audit_keys"] = 0 if member_id is not None else len(case_ids)
    return removed


def _age_at_return_keep(case_ids: list[int], *, member_id: int | None = None) -> None:
    """Keep each returnee's age on the day they left, before the birth date loses its day and month."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_member m SET age_at_return = date_part('year', age("
            "(COALESCE(mv.departed_at, mv.departure_at) AT TIME ZONE %s)::date, m.date_of_birth)) "
            "FROM travel_booking b JOIN travel_movement mv ON mv.id = b.movement_id "
            "WHERE b.member_id = m.id AND b.status = 'boarded' AND m.date_of_birth IS NOT NULL "
            "AND m.case_id = ANY(%s) AND (%s::bigint IS NULL OR m.id = %s::bigint)",
            [timezone.get_current_timezone_name(), case_ids, member_id, member_id])


def _overwrite(case_ids: list[int] | None = None, *, member_id: int | None = None) -> None:
    for plan, rows in _scope(case_ids=case_ids, member_id=member_id):
        for name in plan.files:
            for stored in rows.exclude(**{name: ""}):
                getattr(stored, name).delete(save=False)
        rows.update(**plan.values)
    _decisions(case_ids=case_ids, member_id=member_id).delete()
    _sync_conflicts(case_ids=case_ids, member_id=member_id).delete()
    manifest_builds_forget(case_ids=case_ids, member_id=member_id)
    return_facts_unlink(case_ids=case_ids, member_id=member_id)
    # Another household's member marked as this person no longer points at them.
    if member_id is not None:
        Member.objects.filter(same_person_as_id=member_id).update(same_person_as=None)
    else:
        Member.objects.filter(same_person_as__case_id__in=case_ids).update(same_person_as=None)


def manifest_builds_forget(*, case_ids: list[int] | None = None, member_id: int | None = None) -> None:
    """Delete the rendered manifest PDFs of the movements that carried them: a PDF still holds the names."""
    from travel.models import ManifestBuild

    on_board = {"movement__bookings__member_id": member_id} if member_id is not None else {
        "movement__bookings__case_id__in": case_ids}
    ManifestBuild.objects.filter(pk__in=ManifestBuild.objects.filter(**on_board).values("pk")).delete()


def return_facts_unlink(*, case_ids: list[int] | None = None, member_id: int | None = None) -> None:
    """The donor report keeps its facts of who returned (categories only) but no longer knows whose they were."""
    from reports.models import ReturnFact

    whose = {"booking__member_id": member_id} if member_id is not None else {"booking__case_id__in": case_ids}
    ReturnFact.objects.filter(**whose).update(booking=None)


def member_removed(*, member: Member) -> dict:
    """What erasing one member overwrites: their own rows only, never the household's (for a dry run too)."""
    return {**_removed(member_id=member.pk), "members": [member.pk]}


def member_anonymise(*, member: Member) -> None:
    """Overwrite one member's rows through the case plan; the caller holds the case's row lock and checked why not."""
    _age_at_return_keep([member.case_id], member_id=member.pk)
    _overwrite(member_id=member.pk)
    Member.objects.filter(pk=member.pk).update(erased_at=timezone.now())
    Case.objects.filter(pk=member.case_id).update(version=F("version") + 1)


@transaction.atomic
def cases_anonymise(*, case_ids: list[int], actor, policy: str = MANUAL_POLICY, automatic: bool = False,
                    dry_run: bool = False) -> AnonymisationSummary:
    """Anonymise closed cases in one run with one certificate; refuses the whole run if one case may not go."""
    cases = list(Case.objects.select_for_update().filter(pk__in=case_ids).order_by("pk"))
    for case in cases:
        if refusal := anonymisation_refusal(case):
            raise refusal
    ids = [case.pk for case in cases]
    summary = AnonymisationSummary(case_ids=ids, case_references=[c.reference for c in cases],
                                   removed=_removed(ids), dry_run=dry_run)
    if dry_run or not ids:
        return summary
    if actor is not None:
        audit_actor_set(actor=actor)
    # The keys go first: the overwrite's own audit lines then name the columns, never the values they held.
    for case_id in ids:
        case_audit_key_destroy(case_id=case_id, actor=actor)
    _age_at_return_keep(ids)
    _overwrite(ids)
    Case.objects.filter(pk__in=ids).update(anonymised_at=timezone.now(), version=F("version") + 1)
    summary.certificate = ErasureCertificate.objects.create(
        actor=actor, actor_username=getattr(actor, "username", "") or "", policy=policy, automatic=automatic,
        case_ids=ids, case_references=summary.case_references, removed=summary.removed)
    ReviewItem.objects.filter(case_id__in=ids).update(status=ReviewStatus.ANONYMISED,
                                                      certificate=summary.certificate)
    return summary


def case_anonymise(*, case_id: int, actor, dry_run: bool = False) -> AnonymisationSummary:
    """Anonymise one closed case at a person's request (`dry_run`: say what would go, write nothing)."""
    case = Case.objects.select_related("programme").get(pk=case_id)
    if not may_anonymise(actor, case):
        raise PermissionDenied
    return cases_anonymise(case_ids=[case.pk], actor=actor, dry_run=dry_run, policy=programme_policy(case.programme))


def programme_policy(programme) -> str:
    return f"programme {programme.code}: {programme.retention_months} months after closure"


@transaction.atomic
def legal_hold_place(*, case_id: int, actor, reason: str) -> LegalHold:
    """Suspend retention for a case; one standing hold per case, placing it again keeps the first."""
    case = Case.objects.select_for_update().get(pk=case_id)
    if not may_anonymise(actor, case):
        raise PermissionDenied
    hold = legal_hold_standing(case.pk)
    if hold is None:
        hold = LegalHold.objects.create(case=case, reason=reason.strip(), placed_by=actor)
    ReviewItem.objects.filter(case=case, status=ReviewStatus.PENDING).update(status=ReviewStatus.SKIPPED)
    return hold


@transaction.atomic
def legal_hold_release(*, case_id: int, actor) -> None:
    """Lift the standing hold; the next nightly sweep queues the case again if it is due."""
    case = Case.objects.get(pk=case_id)
    if not may_anonymise(actor, case):
        raise PermissionDenied
    LegalHold.objects.filter(case=case, released_at__isnull=True).update(released_by=actor,
                                                                        released_at=timezone.now())
    ReviewItem.objects.filter(case=case, status=ReviewStatus.SKIPPED).delete()


def retention_queue_fill(*, today: date | None = None) -> list[int]:
    """Put every closed case past its programme's retention period into the review queue (safe to run twice).

    Returns the ids of the cases queued now.
    """
    from retention.selectors import cases_due_for_retention

    due = list(cases_due_for_retention(today=today or timezone.localdate()))
    new = [ReviewItem(case_id=case.pk, due_on=case.retention_due_on) for case in due]
    ReviewItem.objects.bulk_create(new, ignore_conflicts=True)
    return [case.pk for case in due]


def retention_automatic_run() -> list[int]:
    """Anonymise the queued cases of programmes that opted in to automatic runs, one certificate per programme."""
    done = []
    items = (ReviewItem.objects.filter(status=ReviewStatus.PENDING, case__programme__retention_automatic=True)
             .select_related("case__programme"))
    by_programme: dict = {}
    for item in items:
        by_programme.setdefault(item.case.programme, []).append(item.case_id)
    for programme, ids in by_programme.items():
        ready = [pk for pk in ids if anonymisation_refusal(Case.objects.get(pk=pk)) is None]
        if ready:
            cases_anonymise(case_ids=ready, actor=None, policy=programme_policy(programme), automatic=True)
            done += ready
    return done


@transaction.atomic
def review_items_confirm(*, item_ids: list[int], actor) -> list[int]:
    """A person confirms queued cases for anonymisation; each is anonymised by the worker, through the outbox."""
    from outbox.services import outbox_enqueue

    items = list(ReviewItem.objects.select_for_update().filter(pk__in=item_ids, status=ReviewStatus.PENDING)
                 .select_related("case"))
    confirmed = [item for item in items if may_anonymise(actor, item.case)]
    if len(confirmed) != len(items):
        raise PermissionDenied
    ReviewItem.objects.filter(pk__in=[i.pk for i in confirmed]).update(
        status=ReviewStatus.CONFIRMED, confirmed_by=actor, confirmed_at=timezone.now())
    for item in confirmed:
        outbox_enqueue("retention.tasks.review_item_anonymise_task", item.pk, key=f"retention-review-{item.pk}")
    return [item.pk for item in confirmed]


def review_item_anonymise(*, item_id: int) -> None:
    """Anonymise one confirmed case, as the person who confirmed it; a hold placed since then skips it."""
    item = ReviewItem.objects.select_related("case__programme", "confirmed_by").get(pk=item_id)
    if item.status != ReviewStatus.CONFIRMED:
        return  # done already, or skipped: running twice is harmless
    refusal = anonymisation_refusal(item.case)
    if refusal is not None:
        ReviewItem.objects.filter(pk=item.pk).update(status=ReviewStatus.SKIPPED)
        return
    cases_anonymise(case_ids=[item.case_id], actor=item.confirmed_by, policy=programme_policy(item.case.programme))
