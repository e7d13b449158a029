"""Every write to a case goes through here (registration itself is in cases.registration)."""


from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from guardian.shortcuts import assign_perm

from accounts.choices import Role
from accounts.models import Office, User
from audit.services import audit_actor_set
from cases.choices import CaseStatus, DuplicateDecisionKind, Relationship
from cases.dedup import person_keys
from cases.models import Case, CaseEvent, Consent, DuplicateDecision, Member
from cases.permissions import case_access
from outbox.services import outbox_enqueue
from cases.transitions import (
    EFFECTS,
    HELD_WHEN_UNSAFE,
    SAFEGUARDS,
    Move,
    MoveContext,
    Unmet,
    allowed_targets,
    move_for,
    unmet_conditions,
    unmet_shown,
)

# The statuses whose events someone must hear about (notifications.tasks.case_event_notify).
NOTIFIED_STATUSES = {CaseStatus.PENDING_APPROVAL, CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.ON_HOLD}

NEXT_REFERENCE_SQL = """
    INSERT INTO cases_referencecounter (office_id, year, last_number) VALUES (%s, %s, 1)
    ON CONFLICT (office_id, year) DO UPDATE SET last_number = cases_referencecounter.last_number + 1
    RETURNING last_number
"""


def case_reference_next(*, office: Office, year: int) -> str:
    """The next reference for the office, e.g. TIJ-2018-00123.

    One statement that takes the counter's row lock until commit, so two caseworkers of a booth never get the same
    number; a registration that rolls back gives its number back, since no case ever carried it.
    """
    with connection.cursor() as cursor:
        cursor.execute(NEXT_REFERENCE_SQL, [office.pk, year])
        number = cursor.fetchone()[0]
    return f"{office.code}-{year}-{number:05d}"


def member_with_keys(member: Member) -> Member:
    """Fill the member's duplicate-detection keys from what was typed."""
    keys = person_keys(given_names=member.given_names, family_names=member.family_names,
                       date_of_birth=member.date_of_birth, document_number=member.document_number, phone=member.phone)
    for field in ("name_key", "name_tokens", "family_initials", "birth_year", "document_key", "phone_key"):
        setattr(member, field, getattr(keys, field))
    return member


@transaction.atomic
def case_share_with_team(*, actor, case: Case, team: Group) -> None:
    """Let a team outside the case's scope see it (a guardian group grant, never one row per user)."""
    access = case_access(actor, case)
    if access is None or Role.SUPERVISOR not in access.roles:
        raise PermissionDenied
    audit_actor_set(actor=actor)
    assign_perm("cases.view_case", team, case)


class InvalidTransition(Exception):
    """A move the lifecycle does not allow; the API answers 409 with both status names."""

    def __init__(self, from_status: str, to_status: str):
        super().__init__(f"{from_status} -> {to_status}")
        self.from_status = from_status
        self.to_status = to_status


class TransitionRefused(Exception):
    """The move exists but the case does not meet its conditions yet; nothing was changed.

    `unmet` is what the user may be told: screening matters (a fear of return, a child's decision, fitness) are
    one general line for those who may not read screening, e.g. a movement officer booking the household.
    """

    def __init__(self, to_status: str, unmet: list[Unmet], *, field_groups: frozenset | None = None):
        super().__init__(", ".join(u.code for u in unmet))
        self.to_status = to_status
        self.all_unmet = unmet
        self.unmet = unmet_shown(unmet, field_groups)


@transaction.atomic
def case_transition(*, case_id: int, to: str, actor: User, note: str = "", choices: dict | None = None,
                    movement=None) -> Case:
    """Move a case to `to` with an event (who, when, from, to, why); a no-op if it is already there.

    The move's guards and the safeguards are checked under the case's row lock, on facts read from the database,
    so two supervisors approving at the same moment, or a screening saved while the case is submitted, are seen in
    order. `choices` are the user's choices for the move (referred_to, closure_reason); `movement` is the movement a
    booking is made on (travel.services, which holds its lock).
    """
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    access = case_access(actor, case) if case else None
    if access is None:
        raise Http404
    if case.status == to:
        return case
    move = move_for(case.status, to)
    if move is None:
        raise InvalidTransition(case.status, to)
    if not (move.roles & access.roles):
        raise PermissionDenied
    if move.note and not note.strip():
        raise ValidationError({"note": _("Please say why.")})
    context = MoveContext(case=case, actor=actor, to=to, note=note.strip(), choices=choices or {},
                          movement=movement)
    unmet = unmet_conditions(context, move)
    if unmet:
        raise TransitionRefused(to, unmet, field_groups=access.field_groups)
    audit_actor_set(actor=actor)
    move_make(context, move)
    return case


def move_make(context: MoveContext, move: Move) -> None:
    case_status_move(context.case, to=context.to, actor=context.actor, note=context.note)
    for name in move.effects:
        EFFECTS[name](context)


def case_status_move(case: Case, *, to: str, actor, note: str) -> CaseEvent:
    event = CaseEvent.objects.create(case=case, actor=actor, from_status=case.status, to_status=to, note=note)
    case.status = to
    case.version += 1
    fields = ["status", "version", "updated_at"]
    if to == CaseStatus.PENDING_APPROVAL:
        case.submitted_by, case.submitted_at = actor, timezone.now()
        fields += ["submitted_by", "submitted_at"]
    case.save(update_fields=fields)
    if to in NOTIFIED_STATUSES:
        outbox_enqueue("notifications.tasks.case_event_notify", event.pk)
    return event


# What a hold by the software says in the timeline: the kind of safeguard, never a name or a narrative.
SAFEGUARD_REASONS = {
    "protection_flag_open": gettext_lazy("a fear of return is recorded"),
    "declaration_missing": gettext_lazy("a declaration of voluntary return is missing or was withdrawn"),
    "best_interests_missing": gettext_lazy("a child's best-interests decision or guardian consent is missing"),
    "best_interests_not_return": gettext_lazy("a child's best-interests decision or guardian consent is missing"),
    "guardian_consent_missing": gettext_lazy("a child's best-interests decision or guardian consent is missing"),
    "fitness_missing": gettext_lazy("fitness to travel is not established"),
    "unfit_to_travel": gettext_lazy("fitness to travel is not established"),
    "birth_date_missing": gettext_lazy("a date of birth is missing"),
    "same_person_active": gettext_lazy("the same person is in another active return"),
}
SAFEGUARD_REASON_OTHER = gettext_lazy("a safeguard no longer holds")


def safeguards_unmet(case: Case, actor: User, *, movement=None) -> list[Unmet]:
    """The safeguards that do not hold for the case now, judged on its day of travel."""
    context = MoveContext(case=case, actor=actor, to=case.status, movement=movement)
    return unmet_conditions(context, names=SAFEGUARDS)


def case_safeguards_recheck(*, case: Case, actor: User) -> list[Unmet]:
    """After a fact changed (a late fear of return, a withdrawn declaration, a corrected birth date): an approved or
    booked case whose safeguards no longer hold goes on hold at once. The caller holds the case's row lock."""
    if case.status not in HELD_WHEN_UNSAFE:
        return []
    unmet = safeguards_unmet(case, actor)
    if unmet:
        case_safeguard_hold(case=case, actor=actor, unmet=unmet)
    return unmet


def case_safeguard_hold(*, case: Case, actor: User, unmet: list[Unmet]) -> None:
    """Put the case on hold because a safeguard stopped holding: seats released, the centre's access removed,
    supervisors and movement officers told. Made by the software on anyone's recording, so no role is needed:
    stopping a return is always allowed."""
    reasons = dict.fromkeys(str(SAFEGUARD_REASONS.get(u.code, SAFEGUARD_REASON_OTHER)) for u in unmet)
    note = _("Put on hold by the safeguards: %(reasons)s.") % {"reasons": "; ".join(reasons)}
    context = MoveContext(case=case, actor=actor, to=CaseStatus.ON_HOLD, note=note)
    audit_actor_set(actor=actor)
    move_make(context, move_for(case.status, CaseStatus.ON_HOLD))


class StaleVersion(Exception):
    """Someone else saved the case since the user loaded it; nothing was overwritten."""

    def __init__(self, current: int):
        super().__init__(current)
        self.current = current


EDITABLE_CASE_FIELDS = ("destination_country", "how_heard", "caseworker_notes", "intake_date")


def case_for_team_update(*, case_id: int, actor) -> Case:
    """Lock the case for writing; 404 if the actor may not see it, 403 if they see it but are not its team."""
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    access = case_access(actor, case) if case else None
    if access is None:
        raise Http404
    if not (access.roles & {Role.CASEWORKER, Role.SUPERVISOR}):
        raise PermissionDenied
    return case


@transaction.atomic
def case_update(*, case_id: int, actor, expected_version: int, changes: dict) -> Case:
    """Change a case's own fields, refusing to overwrite a version someone else saved in between."""
    from cases.registration import case_completeness_update

    case = case_for_team_update(case_id=case_id, actor=actor)
    if case.version != expected_version:
        raise StaleVersion(case.version)
    errors = case_update_errors(case, changes)
    if errors:
        raise ValidationError(errors)
    audit_actor_set(actor=actor)
    for name in EDITABLE_CASE_FIELDS:
        if name in changes:
            setattr(case, name, changes[name])
    case.version += 1
    case.save()
    case_completeness_update(case)
    return case


def case_update_errors(case: Case, changes: dict) -> dict:
    from cases.registration import case_field_errors

    errors = case_field_errors(programme=case.programme, fields=changes)
    unknown = set(changes) - set(EDITABLE_CASE_FIELDS)
    if unknown:
        errors["__all__"] = [_("These fields cannot be changed here: %(names)s.") % {"names": ", ".join(sorted(unknown))}]
    return errors

@transaction.atomic
def member_duplicate_decide(*, actor, member_id: int, candidate_id: int, decision: str) -> DuplicateDecision:
    """Record "same person" (and link them) or "different person", so the question is not asked again."""
    from cases.selectors import possible_duplicates_for

    member = Member.objects.select_related("case").filter(pk=member_id).first()
    if member is None:
        raise Http404
    case = case_for_team_update(case_id=member.case_id, actor=actor)
    proposed = {c["member_id"] for c in possible_duplicates_for(user=actor, person=member,
                                                                exclude_case_id=member.case_id, limit=50)}
    if candidate_id not in proposed:
        raise ValidationError({"candidate": [_("This person was not proposed as a possible duplicate.")]})
    if decision not in DuplicateDecisionKind.values:
        raise ValidationError({"decision": [_("Answer “same” or “different”.")]})
    audit_actor_set(actor=actor)
    record = DuplicateDecision.objects.create(member=member, candidate_id=candidate_id, decision=decision,
                                              decided_by=actor)
    if decision == DuplicateDecisionKind.SAME:
        member.same_person_as_id = candidate_id
        member.save(update_fields=["same_person_as"])
        case_safeguards_recheck(case=case, actor=actor)
    return record


@transaction.atomic
def case_member_split(*, actor, case_id: int, member_id: int, withdraw: bool, note: str) -> Case:
    """Move one member to a household of their own (e.g. they withdraw, the others go on); both keep the history."""
    from cases.registration import case_completeness_update, household_flags_update

    case = case_for_team_update(case_id=case_id, actor=actor)
    member = case.members.filter(pk=member_id).first()
    if member is None:
        raise Http404
    if member.relationship == Relationship.PRINCIPAL:
        raise ValidationError({"member": [_("The principal cannot leave the household: make another member the "
                                            "principal first, or withdraw the case.")]})
    if not note.strip():
        raise ValidationError({"note": [_("Please say why.")]})
    if case.status in (CaseStatus.BOOKED, CaseStatus.IN_TRANSIT):
        raise ValidationError({"member": [_("Take the household off its movement before someone leaves it.")]})
    if withdraw and CaseStatus.WITHDRAWN not in allowed_targets(case.status):
        raise InvalidTransition(case.status, CaseStatus.WITHDRAWN)
    audit_actor_set(actor=actor)
    own = Case.objects.create(
        reference=case_reference_next(office=case.registering_office, year=case.intake_date.year),
        programme=case.programme, registering_office=case.registering_office,
        registration_country=case.registration_country, destination_country=case.destination_country,
        intake_date=case.intake_date, created_by=actor, assigned_caseworker=case.assigned_caseworker,
        how_heard=case.how_heard, status=case.status, split_from=case,
    )
    member.case = own
    member.relationship = Relationship.PRINCIPAL
    member.save(update_fields=["case", "relationship"])
    for consent in case.consents.filter(member__isnull=True) | case.consents.filter(member=member):
        Consent.objects.create(case=own, member=consent.member, scope=consent.scope, recipient=consent.recipient,
                               institution_id=consent.institution_id, purpose=consent.purpose,
                               service=consent.service, type=consent.type, reason=consent.reason,
                               given_on=consent.given_on, recorded_by=consent.recorded_by)
    CaseEvent.objects.create(case=case, actor=actor, from_status=case.status, to_status=case.status,
                             note=_("%(name)s left the household (case %(reference)s): %(note)s")
                             % {"name": member.full_name, "reference": own.reference, "note": note.strip()})
    CaseEvent.objects.create(case=own, actor=actor, from_status=case.status, to_status=case.status,
                             note=_("Split from case %(reference)s: %(note)s") % {"reference": case.reference,
                                                                                   "note": note.strip()})
    for household in (case, own):
        household_flags_update(household)
        case_completeness_update(household)
    case.version += 1
    case.save(update_fields=["version", "updated_at"])
    for household in (case, own):
        case_safeguards_recheck(case=household, actor=actor)  # a child may now travel without a parent
    if withdraw:
        return case_transition(case_id=own.pk, to=CaseStatus.WITHDRAWN, actor=actor, note=note)
    return own


@transaction.atomic
def case_principal_change(*, actor, case_id: int, expected_version: int, principal_id: int,
                          relationships: dict[int, str]) -> Case:
    """Make another member the principal; every other member's relationship is restated relative to them."""
    from cases.registration import household_flags_update

    case = case_for_team_update(case_id=case_id, actor=actor)
    if case.version != expected_version:
        raise StaleVersion(case.version)
    members = {m.pk: m for m in case.members.all()}
    errors = principal_change_errors(members, principal_id, relationships)
    if errors:
        raise ValidationError(errors)
    audit_actor_set(actor=actor)
    for member in members.values():
        member.relationship = Relationship.PRINCIPAL if member.pk == principal_id else relationships[member.pk]
        member.save(update_fields=["relationship"])
    household_flags_update(case)
    CaseEvent.objects.create(case=case, actor=actor, from_status=case.status, to_status=case.status,
                             note=_("%(name)s is now the principal.") % {"name": members[principal_id].full_name})
    case.version += 1
    case.save(update_fields=["version", "updated_at"])
    case_safeguards_recheck(case=case, actor=actor)
    return case


def principal_change_errors(members: dict, principal_id: int, relationships: dict[int, str]) -> dict:
    if principal_id not in members:
        return {"member": [_("Choose a member of this household.")]}
    errors = {}
    for pk in members:
        if pk == principal_id:
            continue
        value = relationships.get(pk)
        if value not in Relationship.values or value == Relationship.PRINCIPAL:
            errors[f"relationship_{pk}"] = [_("Say how %(name)s is related to the new principal.")
                                            % {"name": members[pk].full_name}]
    return errors
