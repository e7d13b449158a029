"""Every write to a case goes through here."""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm

from accounts.choices import Role
from accounts.models import Office, Programme
from audit.services import audit_actor_set
from cases.models import Case, Member, ReferenceCounter
from cases.permissions import case_access


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
    Member.objects.bulk_create(Member(case=case, **vars(m)) for m in members)
    return case


@transaction.atomic
def case_share_with_team(*, actor, case: Case, team: Group) -> None:
    """Let a team outside the case's scope see it (a guardian group grant, never one row per user)."""
    access = case_access(actor, case)
    if access is None or Role.SUPERVISOR not in access.roles:
        raise PermissionDenied
    audit_actor_set(actor=actor)
    assign_perm("cases.view_case", team, case)
