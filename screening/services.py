"""Every write of counselling, screening, best interests, declarations and sharing consents goes through here."""

import uuid
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from audit.services import audit_actor_set
from cases.choices import ConsentScope, ConsentType
from cases.models import Case, Consent, Member
from cases.people import is_adult
from cases.permissions import FieldGroup, case_access
from cases.services import StaleVersion, case_for_team_update, case_safeguards_recheck
from screening.choices import CounsellingTopic, VulnerabilityKind
from screening.models import (
    BestInterests,
    CounsellingSession,
    Declaration,
    FitnessToTravel,
    ProtectionScreening,
    Vulnerability,
)
from cases.transitions import travel_day_of
from screening.rules import needs_best_interests
from screening.uploads import scan_errors, scan_stored

# Screening stays open until the household is on its way: a fear of return may be disclosed late.
SCREENABLE_STATUSES = {"registered", "screening", "pending_approval", "rejected", "approved", "booked", "on_hold",
                       "no_show"}


def case_for_screening(*, case_id: int, actor) -> Case:
    """Lock the case for a screening write: the case team only, and only before departure."""
    case = case_for_team_update(case_id=case_id, actor=actor)
    if case.status not in SCREENABLE_STATUSES:
        raise ValidationError({"__all__": [_("This case can no longer be changed: it is %(status)s.")
                                           % {"status": case.get_status_display()}]})
    audit_actor_set(actor=actor)
    return case


def member_for_screening(*, member_id: int, actor) -> tuple[Member, Case]:
    member = Member.objects.filter(pk=member_id).only("case_id").first()
    if member is None:
        raise Http404
    case = case_for_screening(case_id=member.case_id, actor=actor)
    return Member.objects.get(pk=member_id), case


def field_groups_of(actor, case: Case) -> frozenset:
    access = case_access(actor, case)
    return access.field_groups if access else frozenset()


def not_in_future(value: date | None, name: str) -> dict:
    if value and value > timezone.localdate():
        return {name: [_("This date is in the future.")]}
    return {}


def not_before_intake(value: date | None, case: Case, name: str) -> dict:
    """A record of the case dated before its intake would fall outside the period the donor figures count it in."""
    if value and value < case.intake_date:
        return {name: [_("This date is before the case's intake date (%(date)s).")
                       % {"date": date_format(case.intake_date, "SHORT_DATE_FORMAT")}]}
    return {}


@transaction.atomic
def counselling_session_record(*, actor, case_id: int, data: dict) -> CounsellingSession:
    """Record one counselling session; the case moves on to screening if it was only registered."""
    from cases.services import case_transition

    case = case_for_screening(case_id=case_id, actor=actor)
    errors = not_in_future(data.get("held_on"), "held_on") or not_before_intake(data.get("held_on"), case, "held_on")
    unknown = set(data.get("topics", [])) - set(CounsellingTopic.values)
    if unknown:
        errors["topics"] = [_("Unknown topic: %(names)s.") % {"names": ", ".join(sorted(unknown))}]
    if errors:
        raise ValidationError(errors)
    fields = {name: value for name, value in data.items() if name != "counsellor"}
    session = CounsellingSession.objects.create(case=case, recorded_by=actor,
                                                counsellor=data.get("counsellor") or actor, **fields)
    if case.status == "registered":
        case_transition(case_id=case.pk, to="screening", actor=actor)
    return session


@transaction.atomic
def member_screening_save(*, actor, member_id: int, expected_version: int | None, protection: dict,
                          vulnerabilities: list[dict], fitness: dict | None,
                          needs_medical_attention: bool | None = None) -> ProtectionScreening:
    """Replace a member's screening: protection answers, vulnerabilities, fitness to travel.

    Restricted fields (the protection narrative, medical detail) are written only by those who may read them, and
    kept as they are when someone who may not read them saves the rest.
    """
    member, case = member_for_screening(member_id=member_id, actor=actor)
    groups = field_groups_of(actor, case)
    current = ProtectionScreening.objects.select_for_update().filter(member=member).first()
    if current is not None and expected_version != current.version:
        raise StaleVersion(current.version)
    errors = screening_errors(groups, protection, vulnerabilities, fitness, member)
    if errors:
        raise ValidationError(errors)
    screening = protection_save(actor, member, current, protection, groups)
    vulnerabilities_replace(member, vulnerabilities)
    if needs_medical_attention is not None or any(v["kind"] == VulnerabilityKind.MEDICAL_CONDITION
                                                  for v in vulnerabilities):
        member.needs_medical_attention = bool(needs_medical_attention) or any(
            v["kind"] == VulnerabilityKind.MEDICAL_CONDITION for v in vulnerabilities)
        member.save(update_fields=["needs_medical_attention"])
    if fitness is not None:
        fitness_save(actor, member, fitness, groups)
    case_screening_flags_update(case)
    case_safeguards_recheck(case=case, actor=actor)
    return screening


def screening_errors(groups, protection, vulnerabilities, fitness, member) -> dict:
    errors = {}
    if protection.get("fear_of_return") is None:
        errors["fear_of_return"] = [_("Ask about fear of return and record the answer.")]
    if protection.get("narrative") and FieldGroup.PROTECTION not in groups:
        errors["narrative"] = [_("Only protection-cleared staff and supervisors record the protection narrative.")]
    errors |= not_in_future(protection.get("screened_on"), "screened_on")
    kinds = [v["kind"] for v in vulnerabilities]
    if len(kinds) != len(set(kinds)):
        errors["vulnerabilities"] = [_("Each vulnerability can be recorded once per person.")]
    if fitness is not None:
        if fitness.get("detail") and FieldGroup.MEDICAL not in groups:
            errors["fitness_detail"] = [_("Only medical-cleared staff record the medical detail.")]
        errors |= not_in_future(fitness.get("assessed_on"), "assessed_on")
    return errors


def protection_save(actor, member, current, protection: dict, groups) -> ProtectionScreening:
    screening = current or ProtectionScreening(member=member, version=0)
    fear_changed = current is None or current.fear_of_return != protection["fear_of_return"]
    screening.fear_of_return = protection["fear_of_return"]
    screening.pending_asylum_claim = protection.get("pending_asylum_claim", False)
    screening.threats = protection.get("threats", False)
    screening.screened_on = protection.get("screened_on") or timezone.localdate()
    screening.screened_by = actor
    if FieldGroup.PROTECTION in groups and "narrative" in protection:
        screening.narrative = protection["narrative"]
    if fear_changed:
        screening.resolved_at, screening.resolved_by, screening.resolution_note = None, None, ""
    screening.version += 1
    screening.save()
    return screening


def vulnerabilities_replace(member: Member, vulnerabilities: list[dict]) -> None:
    kept = {v["kind"] for v in vulnerabilities}
    member.vulnerabilities.exclude(kind__in=kept).delete()
    for item in vulnerabilities:
        Vulnerability.objects.update_or_create(member=member, kind=item["kind"], defaults={
            "severity": item["severity"], "needs_specialised_assessment": item.get("needs_specialised_assessment",
                                                                                   False),
            "note": item.get("note", "")})


def fitness_save(actor, member: Member, fitness: dict, groups) -> FitnessToTravel:
    record = FitnessToTravel.objects.filter(member=member).first() or FitnessToTravel(member=member)
    record.outcome, record.assessed_on, record.clinician = fitness["outcome"], fitness["assessed_on"], fitness[
        "clinician"]
    if FieldGroup.MEDICAL in groups and "detail" in fitness:
        record.detail = fitness["detail"]
    record.recorded_by = actor
    record.save()
    return record


def case_screening_flags_update(case: Case) -> None:
    """Recompute the case's protection flag and vulnerability kinds (what lists filter and show)."""
    members = case.members.all()
    flag = ProtectionScreening.objects.filter(member__in=members, fear_of_return=True,
                                              resolved_at__isnull=True).exists()
    kinds = sorted(set(Vulnerability.objects.filter(member__in=members).values_list("kind", flat=True)))
    if (flag, kinds) != (case.has_protection_flag, case.vulnerability_kinds):
        case.has_protection_flag, case.vulnerability_kinds = flag, kinds
        case.save(update_fields=["has_protection_flag", "vulnerability_kinds", "updated_at"])


@transaction.atomic
def protection_flag_resolve(*, actor, member_id: int, note: str) -> ProtectionScreening:
    """Clear a fear-of-return flag after a protection interview: supervisors and protection-cleared staff only."""
    member, case = member_for_screening(member_id=member_id, actor=actor)
    if FieldGroup.PROTECTION not in field_groups_of(actor, case):
        raise PermissionDenied
    screening = ProtectionScreening.objects.select_for_update().filter(member=member).first()
    if screening is None or not screening.flag_open:
        raise ValidationError({"__all__": [_("This person has no open protection flag.")]})
    if not note.strip():
        raise ValidationError({"note": [_("Please say why.")]})
    screening.resolved_at, screening.resolved_by, screening.resolution_note = timezone.now(), actor, note.strip()
    screening.version += 1
    screening.save()
    case_screening_flags_update(case)
    return screening


@transaction.atomic
def best_interests_save(*, actor, member_id: int, expected_version: int | None, data: dict) -> BestInterests:
    """Record or replace the best-interests determination of a child travelling without a parent."""
    member, case = member_for_screening(member_id=member_id, actor=actor)
    if not needs_best_interests(member, on=travel_day_of(case)):
        raise ValidationError({"__all__": [
            _("A best-interests determination is recorded for children travelling without a parent.")]})
    current = BestInterests.objects.select_for_update().filter(member=member).first()
    if current is not None and expected_version != current.version:
        raise StaleVersion(current.version)
    errors = not_in_future(data.get("decided_on"), "decided_on") | not_in_future(
        data.get("guardian_consent_on"), "guardian_consent_on")
    if data.get("guardian_consent") and not data.get("guardian_consent_on"):
        errors["guardian_consent_on"] = [_("Give the date of the guardian's consent.")]
    if errors:
        raise ValidationError(errors)
    record = current or BestInterests(member=member, version=0)
    for name, value in data.items():
        setattr(record, name, value)
    record.recorded_by = actor
    record.version += 1
    record.save()
    case_safeguards_recheck(case=case, actor=actor)
    return record


@transaction.atomic
def declaration_record(*, actor, member_id: int, signed_on: date, witness: str, scan=None) -> Declaration:
    """Record that an adult signed their declaration of voluntary return (with the scan, if there is one)."""
    member, case = member_for_screening(member_id=member_id, actor=actor)
    errors = not_in_future(signed_on, "signed_on") or not_before_intake(signed_on, case, "signed_on")
    if not is_adult(member, on=travel_day_of(case)):
        errors["__all__"] = [_("Declarations of voluntary return are signed by adults; a child's return needs "
                               "a best-interests determination.")]
    if not witness.strip():
        errors["witness"] = [_("Name the witness.")]
    errors |= scan_errors(scan)
    if errors:
        raise ValidationError(errors)
    stored, scan_name, scan_type = scan_stored(scan, f"declaration-{uuid.uuid4().hex}") if scan else ("", "", "")
    return Declaration.objects.create(member=member, signed_on=signed_on, witness=witness.strip(), scan=stored,
                                      scan_name=scan_name, scan_type=scan_type, recorded_by=actor)


@transaction.atomic
def declaration_withdraw(*, actor, declaration_id: int, reason: str) -> Declaration:
    """The person takes back their declaration (no penalty); the record stays."""
    declaration = Declaration.objects.filter(pk=declaration_id).first()
    if declaration is None:
        raise Http404
    _member, case = member_for_screening(member_id=declaration.member_id, actor=actor)
    declaration = Declaration.objects.select_for_update().get(pk=declaration_id)
    if declaration.withdrawn_on:
        raise ValidationError({"__all__": [_("This declaration was already withdrawn.")]})
    if not reason.strip():
        raise ValidationError({"reason": [_("Please say why.")]})
    declaration.withdrawn_on, declaration.withdrawal_reason = timezone.localdate(), reason.strip()
    declaration.save(update_fields=["withdrawn_on", "withdrawal_reason"])
    case_safeguards_recheck(case=case, actor=actor)
    return declaration


@transaction.atomic
def member_consent_record(*, actor, member_id: int, data: dict) -> Consent:
    """A purpose-bound consent of one member, e.g. sharing with the consulate of Honduras for a travel document."""
    member, case = member_for_screening(member_id=member_id, actor=actor)
    errors = not_in_future(data.get("given_on"), "given_on") or not_before_intake(data.get("given_on"), case,
                                                                                     "given_on")
    if data["scope"] == ConsentScope.SHARING:
        for name in ("recipient", "purpose"):
            if not data.get(name, "").strip():
                errors[name] = [_("Name the recipient and the purpose of the sharing.")]
    if data["type"] != ConsentType.EXPLICIT and not data.get("reason", "").strip():
        errors["reason"] = [_("Say why the consent is not explicit.")]
    if errors:
        raise ValidationError(errors)
    return Consent.objects.create(case=case, member=member, recorded_by=actor, scope=data["scope"],
                                  recipient=data.get("recipient", "").strip(), purpose=data.get("purpose", "").strip(),
                                  type=data["type"], reason=data.get("reason", "").strip(), given_on=data["given_on"])


def member_consent_withdraw(*, actor, consent_id: int) -> Consent:
    """The person takes back a consent, at any status: rights.services stops every use that rested on it."""
    # Imported here: the rights room sits above the stages (it reaches reception's follow-ups and referrals).
    from rights.services import consent_withdraw

    return consent_withdraw(actor=actor, consent_id=consent_id)
