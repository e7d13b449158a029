"""Registering a household at a booth: validation, duplicate check, consent first, idempotent creation."""

import re
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.choices import Country, OfficeKind, Role
from accounts.models import Office, Programme
from audit.services import audit_actor_set
from avr.idempotency import IdempotencyKeyReused, key_digest, request_digest
from cases.choices import ConsentScope, ConsentType, DocumentType, HowHeard, Relationship, Sex
from cases.household import age_on, birth_date_from_age, child_flags
from cases.models import Case, CaseEvent, Consent, IdempotencyKey, Member
from cases.permissions import user_assignments

DOCUMENT_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9 -]{3,24}[A-Z0-9]$")
PHONE = re.compile(r"^\+?[0-9 ()-]{7,20}$")
OLDEST_AGE = 120
QUICK_FIELDS = ("given_names", "family_names", "sex", "nationality")
# Asked by the full form; quick mode (surges) leaves them for later and the case waits in the "incomplete" queue.
FULL_MEMBER_FIELDS = ("place_of_origin",)
FULL_CASE_FIELDS = ("how_heard",)


@dataclass
class MemberInput:
    given_names: str = ""
    family_names: str = ""
    sex: str = ""
    nationality: str = ""
    relationship: str = Relationship.PRINCIPAL
    date_of_birth: date | None = None
    estimated_age: int | None = None
    document_type: str = ""
    document_number: str = ""
    document_issuing_country: str = ""
    phone: str = ""
    country_of_residence: str = ""
    languages: str = ""
    place_of_origin: str = ""
    intended_destination: str = ""


@dataclass
class ConsentInput:
    type: str = ""
    reason: str = ""
    given_on: date | None = None


@dataclass
class RegistrationInput:
    programme: Programme | None
    office: Office | None
    destination_country: str
    consent: ConsentInput | None
    members: list[MemberInput]
    how_heard: str = ""
    intake_date: date | None = None
    caseworker_notes: str = ""
    quick: bool = False


class RegistrationInvalid(Exception):
    """What is wrong, per field: {"field": [msg]} and {"members": {index: {"field": [msg]}}}."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


class DuplicateDocument(Exception):
    """A member's document number is already registered; the caller must confirm to go on."""

    def __init__(self, candidates: list[dict]):
        super().__init__("duplicate document")
        self.candidates = candidates


@dataclass
class RegistrationResult:
    case: Case
    possible_duplicates: list[dict] = field(default_factory=list)
    replayed: bool = False


def _add(errors: dict, key: str, message: str) -> None:
    errors.setdefault(key, []).append(message)


def member_errors(member: MemberInput, *, intake: date, quick: bool) -> dict:
    """Field errors of one member, in the user's language."""
    errors: dict = {}
    for name in QUICK_FIELDS + (() if quick else FULL_MEMBER_FIELDS):
        if not str(getattr(member, name) or "").strip():
            _add(errors, name, _("This field is required."))
    if member.sex and member.sex not in Sex.values:
        _add(errors, "sex", _("Choose male or female."))
    if member.nationality and member.nationality not in Country.values:
        _add(errors, "nationality", _("“%(value)s” is not a known country code.") % {"value": member.nationality})
    if member.relationship not in Relationship.values:
        _add(errors, "relationship", _("Choose a relationship to the principal."))
    _birth_errors(member, intake, errors)
    _document_errors(member, errors)
    if member.phone and not PHONE.match(member.phone.strip()):
        _add(errors, "phone", _("A phone number has 7 to 20 digits, with an optional + in front."))
    for name in ("country_of_residence", "document_issuing_country"):
        value = getattr(member, name)
        if value and value not in Country.values:
            _add(errors, name, _("“%(value)s” is not a known country code.") % {"value": value})
    return errors


def _birth_errors(member: MemberInput, intake: date, errors: dict) -> None:
    if member.date_of_birth is None and member.estimated_age is None:
        _add(errors, "date_of_birth", _("Give the date of birth or an estimated age."))
    if member.date_of_birth and member.date_of_birth > intake:
        _add(errors, "date_of_birth", _("The date of birth cannot be in the future."))
    if member.date_of_birth and member.date_of_birth.year < intake.year - OLDEST_AGE:
        _add(errors, "date_of_birth", _("The date of birth is more than %(years)s years ago.") % {"years": OLDEST_AGE})
    if member.estimated_age is not None and not 0 <= member.estimated_age <= OLDEST_AGE:
        _add(errors, "estimated_age", _("An age is between 0 and %(years)s.") % {"years": OLDEST_AGE})


def _document_errors(member: MemberInput, errors: dict) -> None:
    number = (member.document_number or "").strip().upper()
    if member.document_type and member.document_type not in DocumentType.values:
        _add(errors, "document_type", _("Choose a document type."))
    if number and not member.document_type:
        _add(errors, "document_type", _("Say which document this number is from."))
    if number and not DOCUMENT_NUMBER.match(number):
        _add(errors, "document_number",
             _("A document number has 5 to 26 letters and digits (spaces and hyphens allowed inside)."))


def registration_errors(data: RegistrationInput, *, actor) -> dict:
    """Every problem with a registration at once, so the form can show them all next to their fields."""
    intake = data.intake_date or date.today()
    errors = case_field_errors(programme=data.programme, how_heard_required=not data.quick, fields={
        "intake_date": intake, "destination_country": data.destination_country,
        "how_heard": data.how_heard})
    _consent_errors(data.consent, errors)
    _place_errors(data, actor, errors)
    if not data.members:
        _add(errors, "members", _("A household needs at least one member."))
    elif len(data.members) > settings.AVR_HOUSEHOLD_MAX_MEMBERS:
        # Checked before each member, so an oversized household costs no more than a small one.
        _add(errors, "members", household_too_big_message())
        return errors
    elif [m.relationship for m in data.members].count(Relationship.PRINCIPAL) != 1:
        _add(errors, "members", _("A household has exactly one principal."))
    per_member = {i: e for i, m in enumerate(data.members) if (e := member_errors(m, intake=intake, quick=data.quick))}
    if per_member:
        errors["member_fields"] = per_member
    return errors


def household_too_big_message() -> str:
    return _("A household has at most %(count)s members; register the others as a household of their own.") % {
        "count": settings.AVR_HOUSEHOLD_MAX_MEMBERS}


def _consent_errors(consent: ConsentInput | None, errors: dict) -> None:
    if consent is None or consent.type not in ConsentType.values:
        _add(errors, "consent", _("Record the consent to collect data first: no consent, no case."))
    elif consent.type != ConsentType.EXPLICIT and not consent.reason.strip():
        _add(errors, "consent_reason", _("Say why the consent is not explicit."))


REGISTERING_KINDS = (OfficeKind.REGISTRATION_BOOTH, OfficeKind.FIELD_OFFICE)


def _place_errors(data: RegistrationInput, actor, errors: dict) -> None:
    if data.programme is None:
        _add(errors, "programme", _("Choose a programme."))
    if data.office is None:
        _add(errors, "office", _("Choose the registering office."))
    elif data.office.kind not in REGISTERING_KINDS or not may_register_at(actor, data.office):
        _add(errors, "office", _("You cannot register cases at this office."))
    if data.programme is not None and data.office is not None \
            and (message := programme_office_error(data.programme, data.office)) is not None:
        _add(errors, "office", message)


def programme_office_error(programme: Programme, office: Office) -> str | None:
    """A programme registers only at offices in its countries of registration."""
    if office.country in programme.registration_countries:
        return None
    return _("The programme %(programme)s does not register people in %(country)s.") % {
        "programme": programme.code, "country": Country(office.country).label}


def case_field_errors(*, programme: Programme | None, fields: dict, how_heard_required: bool = False) -> dict:
    """The rules of a case's own fields, for registration and later edits alike; checks only the keys given."""
    errors: dict = {}
    intake = fields.get("intake_date")
    if intake and intake > date.today():
        _add(errors, "intake_date", _("The intake date cannot be in the future."))
    elif intake and programme:
        _programme_dates_errors(programme, intake, errors)
    if "destination_country" in fields:
        destination = fields["destination_country"]
        if destination not in Country.values:
            _add(errors, "destination_country", _("Choose the country of return."))
        elif programme and destination not in programme.return_countries:
            _add(errors, "destination_country", _("This programme does not return people to that country."))
    how_heard = fields.get("how_heard")
    if "how_heard" in fields and (how_heard or how_heard_required) and how_heard not in HowHeard.values:
        _add(errors, "how_heard", _("Choose how they heard of the programme."))
    return errors


def _programme_dates_errors(programme: Programme, intake: date, errors: dict) -> None:
    """A household is taken in only while its programme runs."""
    if intake < programme.start_date:
        _add(errors, "intake_date", _("The programme %(programme)s starts on %(date)s.") % {
            "programme": programme.code, "date": date_format(programme.start_date)})
    elif programme.end_date and intake > programme.end_date:
        _add(errors, "intake_date", _("The programme %(programme)s ended on %(date)s.") % {
            "programme": programme.code, "date": date_format(programme.end_date)})


def may_register_at(actor, office: Office) -> bool:
    """Caseworkers register at their own booth (the role group's add_case permission follows the same rule)."""
    return any(a.role == Role.CASEWORKER and a.office_id == office.pk for a in user_assignments(actor))


def member_from_input(case: Case, data: MemberInput, intake: date) -> Member:
    estimated = data.date_of_birth is None and data.estimated_age is not None
    return Member(
        case=case, relationship=data.relationship, given_names=data.given_names.strip(),
        family_names=data.family_names.strip(), sex=data.sex, nationality=data.nationality,
        date_of_birth=birth_date_from_age(data.estimated_age, intake) if estimated else data.date_of_birth,
        date_of_birth_estimated=estimated, document_type=data.document_type,
        document_number=data.document_number.strip().upper(), document_issuing_country=data.document_issuing_country,
        phone=data.phone.strip(), country_of_residence=data.country_of_residence, languages=data.languages.strip(),
        place_of_origin=data.place_of_origin.strip(), intended_destination=data.intended_destination.strip(),
    )


def household_flags_set(case: Case, members: list[Member]) -> list[Member]:
    """Set the derived child flags on members and case in memory; returns the members whose flags changed."""
    flags = child_flags(members, case.intake_date)
    changed = []
    for index, member in enumerate(members):
        if (member.is_unaccompanied_child, member.is_separated_child) != flags[index]:
            member.is_unaccompanied_child, member.is_separated_child = flags[index]
            changed.append(member)
    case.has_unaccompanied_child = any(f[0] for f in flags.values())
    case.has_separated_child = any(f[1] for f in flags.values())
    return changed


def household_flags_update(case: Case) -> None:
    """Recompute the derived child flags of every member and of the case, and save them."""
    changed = household_flags_set(case, list(case.members.order_by("id")))
    for member in changed:
        member.save(update_fields=["is_unaccompanied_child", "is_separated_child"])
    case.save(update_fields=["has_unaccompanied_child", "has_separated_child", "updated_at"])


def idempotent_replay(*, actor, key: str | None, data: RegistrationInput) -> tuple[IdempotencyKey | None,
                                                                                  Case | None]:
    """Claim the key; a concurrent retry waits on the unique index until the first request commits."""
    if not key:
        return None, None
    request_hash = request_digest(data)
    claim, created = IdempotencyKey.objects.get_or_create(user=actor, key=key_digest(key),
                                                          defaults={"request_hash": request_hash})
    if not created and claim.request_hash and claim.request_hash != request_hash:
        raise IdempotencyKeyReused()
    if not created and claim.case_id:
        return claim, claim.case
    return claim, None


@transaction.atomic
def case_register(*, actor, data: RegistrationInput, confirm_duplicates: bool = False,
                  idempotency_key: str | None = None) -> RegistrationResult:
    """Register a household: consent first, every member checked for duplicates, one event, a reference."""
    from cases.selectors import possible_duplicates_for_household
    from cases.services import case_reference_next, member_with_keys

    claim, replay = idempotent_replay(actor=actor, key=idempotency_key, data=data)
    if replay is not None:
        return RegistrationResult(case=replay, replayed=True)
    errors = registration_errors(data, actor=actor)
    if errors:
        raise RegistrationInvalid(errors)
    intake = data.intake_date or date.today()
    members = [member_from_input(None, m, intake) for m in data.members]
    found = possible_duplicates_for_household(user=actor, people=members)
    candidates = [{**c, "for_member": i} for i, rows in enumerate(found) for c in rows]
    if any("document" in c["reasons"] for c in candidates) and not confirm_duplicates:
        raise DuplicateDocument(candidates)
    audit_actor_set(actor=actor)
    case = Case(
        reference=case_reference_next(office=data.office, year=intake.year), programme=data.programme,
        registering_office=data.office, registration_country=data.office.country,
        destination_country=data.destination_country, intake_date=intake, created_by=actor,
        assigned_caseworker=actor, caseworker_notes=data.caseworker_notes, how_heard=data.how_heard,
        is_incomplete=data.quick and registration_missing_fields(data),
    )
    household_flags_set(case, members)
    case.save()
    for member in members:
        member.case = case
    Member.objects.bulk_create([member_with_keys(m) for m in members])
    Consent.objects.create(case=case, scope=ConsentScope.COLLECTION, type=data.consent.type,
                           reason=data.consent.reason.strip(), given_on=data.consent.given_on or intake,
                           recorded_by=actor)
    CaseEvent.objects.create(case=case, actor=actor, from_status="", to_status=case.status)
    if claim is not None:
        claim.case = case
        claim.save(update_fields=["case"])
    for candidate in candidates:
        candidate["for_member"] = members[candidate["for_member"]].pk
    return RegistrationResult(case=case, possible_duplicates=candidates)


def registration_missing_fields(data: RegistrationInput) -> bool:
    """Whether a quick-mode registration lacks what the full form asks (the same rule as case_missing_fields)."""
    return any(not getattr(data, name) for name in FULL_CASE_FIELDS) or any(
        not getattr(member, name) for member in data.members for name in FULL_MEMBER_FIELDS)


def case_missing_fields(case: Case) -> list[str]:
    """What the full form asks and this case still lacks (empty for a complete case)."""
    missing = [name for name in FULL_CASE_FIELDS if not getattr(case, name)]
    for member in case.members.all():
        missing += [f"{member.pk}.{name}" for name in FULL_MEMBER_FIELDS if not getattr(member, name)]
    return missing


def case_completeness_update(case: Case) -> None:
    incomplete = bool(case_missing_fields(case))
    if case.is_incomplete != incomplete:
        case.is_incomplete = incomplete
        case.save(update_fields=["is_incomplete", "updated_at"])


ADD_MEMBER_STATUSES = ("registered", "screening")


class HouseholdClosed(Exception):
    """Members can join only before the household is submitted for approval (screening covers each person)."""


@transaction.atomic
def case_member_add(*, actor, case_id: int, data: MemberInput) -> tuple[Member, list[dict]]:
    """Add a member to a household; returns the member and the people it may duplicate."""
    from cases.selectors import possible_duplicates_for
    from cases.services import case_for_team_update, member_with_keys

    case = case_for_team_update(case_id=case_id, actor=actor)
    if case.status not in ADD_MEMBER_STATUSES:
        raise HouseholdClosed(case.status)
    errors = member_errors(data, intake=case.intake_date, quick=case.is_incomplete)
    if case.members.count() >= settings.AVR_HOUSEHOLD_MAX_MEMBERS:
        _add(errors, "members", household_too_big_message())
    if data.relationship == Relationship.PRINCIPAL:
        _add(errors, "relationship", _("The household already has a principal."))
    if errors:
        raise RegistrationInvalid({"member_fields": {0: errors}})
    audit_actor_set(actor=actor)
    member = member_with_keys(member_from_input(case, data, case.intake_date))
    member.save()
    household_flags_update(case)
    case_completeness_update(case)
    case.version += 1
    case.save(update_fields=["version", "updated_at"])
    candidates = possible_duplicates_for(user=actor, person=member, exclude_case_id=case.pk)
    return member, candidates


MEMBER_EDITABLE_FIELDS = ("given_names", "family_names", "sex", "nationality", "relationship", "date_of_birth",
                          "estimated_age", "document_type", "document_number", "document_issuing_country", "phone",
                          "country_of_residence", "languages", "place_of_origin", "intended_destination")


def member_as_input(member: Member, intake: date) -> MemberInput:
    """The member as the form shows it: an estimated birth date goes back to being an age."""
    data = MemberInput(**{name: getattr(member, name) for name in MEMBER_EDITABLE_FIELDS if name != "estimated_age"})
    if member.date_of_birth_estimated and member.date_of_birth:
        data.date_of_birth, data.estimated_age = None, age_on(member.date_of_birth, intake)
    return data


@transaction.atomic
def member_update(*, actor, member_id: int, expected_version: int, changes: dict) -> Member:
    """Correct or complete a member (e.g. a quick-mode registration), refusing to overwrite a newer save."""
    from cases.services import StaleVersion, case_for_team_update, case_safeguards_recheck, member_with_keys

    member = Member.objects.filter(pk=member_id).first()
    if member is None:
        raise Http404
    case = case_for_team_update(case_id=member.case_id, actor=actor)
    if case.version != expected_version:
        raise StaleVersion(case.version)
    data = member_as_input(member, case.intake_date)
    for name, value in changes.items():
        if name in MEMBER_EDITABLE_FIELDS:
            setattr(data, name, value)
    if "estimated_age" in changes and changes["estimated_age"] is not None and "date_of_birth" not in changes:
        data.date_of_birth = None
    errors = member_errors(data, intake=case.intake_date, quick=False)
    others = case.members.exclude(pk=member.pk)
    if (data.relationship == Relationship.PRINCIPAL) != (member.relationship == Relationship.PRINCIPAL) \
            and others.exists():
        _add(errors, "relationship", _("Change who is the principal by splitting the household instead."))
    if errors:
        raise RegistrationInvalid({"member_fields": {0: errors}})
    audit_actor_set(actor=actor)
    updated = member_with_keys(member_from_input(case, data, case.intake_date))
    updated.pk, updated.same_person_as_id = member.pk, member.same_person_as_id
    updated.is_unaccompanied_child, updated.is_separated_child = member.is_unaccompanied_child, member.is_separated_child
    updated.needs_medical_attention = member.needs_medical_attention
    updated.save()
    household_flags_update(case)
    case_completeness_update(case)
    case.version += 1
    case.save(update_fields=["version", "updated_at"])
    # A birth date corrected after approval may make someone a child (a decision needed) or an adult (a declaration).
    case_safeguards_recheck(case=case, actor=actor)
    return updated
