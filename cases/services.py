"""Every write to a case goes through here."""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm

from accounts.choices import Role
from accounts.models import Office, Programme
from audit.services import audit_actor_set
from cases.dedup import person_keys
from cases.models import Case, CaseEvent, Member, ReferenceCounter
from cases.permissions import case_access
from cases.transitions import NOTE_REQUIRED, allowed_targets


@dataclass
class MemberData:
    given_names: str
    family_names: str
    sex: str
    nationality: str
    relationship: str = "principal"
    date_of_birth: date | None = None
    date_of_birth_estimated: bool = False
    document_type: str = ""
    document_number: str = ""
    phone: str = ""
    needs_medical_attention: bool = False


def case_reference_next(*, office: Office, year: int) -> str:
    """The next reference for the office, e.g. TIJ-2018-00123; the row lock keeps two booths' numbers apart."""
    counter, _ = ReferenceCounter.objects.get_or_create(office=office, year=year)
    counter = ReferenceCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"{office.code}-{year}-{counter.last_number:05d}"


@transaction.atomic
def case_register(
    *, actor, programme: Programme, office: Office, destination_country: str, members: list[MemberData],
    intake_date: date | None = None, caseworker_notes: str = "",
) -> Case:
    """Open a household case with its members."""
    if not actor.has_perm("cases.add_case"):
        raise PermissionDenied
    if not members:
        raise ValidationError({"members": _("A case needs at least one member.")})
    audit_actor_set(actor=actor)
    intake_date = intake_date or date.today()
    case = Case.objects.create(
        reference=case_reference_next(office=office, year=intake_date.year),
        programme=programme, registering_office=office, registration_country=office.country,
        destination_country=destination_country, intake_date=intake_date, created_by=actor,
        assigned_caseworker=actor, caseworker_notes=caseworker_notes,
    )
    Member.objects.bulk_create(member_with_keys(Member(case=case, **vars(m))) for m in members)
    CaseEvent.objects.create(case=case, actor=actor, from_status="", to_status=case.status)
    return case


def member_with_keys(member: Member) -> Member:
    """Fill the member's duplicate-detection keys from what was typed."""
    keys = person_keys(given_names=member.given_names, family_names=member.family_names,
                       date_of_birth=member.date_of_birth, document_number=member.document_number, phone=member.phone)
    for field, value in vars(keys).items():
        setattr(member, field, value)
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


@transaction.atomic
def case_transition(*, case_id: int, to: str, actor, note: str = "") -> Case:
    """Move a case to `to` with an event (who, when, from, to, why); a no-op if it is already there."""
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    access = case_access(actor, case) if case else None
    if access is None:
        raise Http404
    if case.status == to:
        return case
    roles = allowed_targets(case.status).get(to)
    if roles is None:
        raise InvalidTransition(case.status, to)
    if not (roles & access.roles):
        raise PermissionDenied
    if to in NOTE_REQUIRED and not note.strip():
        raise ValidationError({"note": _("Please say why.")})
    audit_actor_set(actor=actor)
    CaseEvent.objects.create(case=case, actor=actor, from_status=case.status, to_status=to, note=note.strip())
    case.status = to
    case.version += 1
    case.save(update_fields=["status", "version", "updated_at"])
    return case
