"""Everything held about one member, read through the one visibility rule and the one field policy.

The export is for the person (their right of access): a caseworker or supervisor of the case asks for it. A field the
reader's role may not read is never shown; when it holds something, the record names it under `withheld` ("held, not
shown to your role") instead of leaving it silently out. Rooms: this module reads every stage, so it sits above them.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q
from django.db.models.fields.files import FieldFile
from django.http import Http404
from django.utils import timezone

from accounts.choices import Role
from audit.models import AuditAction, AuditEvent
from cases.fields import document_readable, readable
from cases.models import Case, Consent, Member
from cases.permissions import CaseAccess, case_access
from cases.selectors import case_timeline
from documents.models import Document
from reception.models import (
    Assistance,
    CheckIn,
    FollowUp,
    FollowUpAnswer,
    FollowUpAttempt,
    FollowUpFlag,
    Handover,
    Referral,
    SafeguardingTask,
)
from screening.models import (
    BestInterests,
    CounsellingSession,
    Declaration,
    FitnessToTravel,
    ProtectionReferral,
    ProtectionScreening,
    Vulnerability,
)
from travel.models import Booking, TravelDocument

EXPORT_FORMAT_VERSION = 2  # 2: follow-up attempts, answers, flags, safeguarding tasks and documents
CASE_TEAM = frozenset({Role.CASEWORKER, Role.SUPERVISOR})
# The newest lines of the member's audit trail; a longer history is said to be cut, never silently.
AUDIT_TRAIL_LIMIT = 1000
# Who did what with the records, never the values: the log's before/after payloads hold other people's data too.
AUDIT_ACTIONS = [AuditAction.VIEW, AuditAction.LIST, AuditAction.INSERT, AuditAction.UPDATE, AuditAction.DELETE,
                 AuditAction.EXPORT, AuditAction.DOWNLOAD, AuditAction.SHRED, AuditAction.ERASURE]


@dataclass(frozen=True)
class Section:
    """One kind of record held about the member: its model, the fields exported, and how to find its rows."""

    key: str
    model: type[Model]
    fields: tuple[str, ...]
    rows: object  # callable(member) -> iterable of model instances
    about_household: bool = False  # a record of the whole household the member belongs to
    # Whether this reader may read a row at all, beyond its fields' groups (a document is read by its kind).
    row_readable: object = None  # callable(access, row) -> bool


SECTIONS: tuple[Section, ...] = (
    Section("consents", Consent, ("scope", "recipient", "institution", "purpose", "service", "type", "reason",
                                  "given_on", "withdrawn_on"),
            lambda m: Consent.objects.filter(Q(member=m) | Q(case=m.case, member__isnull=True))
            .select_related("institution").order_by("given_on", "id")),
    Section("counselling_sessions", CounsellingSession, ("held_on", "interpreter", "language", "topics", "outcome",
                                                         "questions", "notes"),
            lambda m: m.case.counselling_sessions.order_by("held_on", "id"), about_household=True),
    Section("protection_screening", ProtectionScreening, ("fear_of_return", "pending_asylum_claim", "threats",
                                                          "screened_on", "narrative", "resolved_at",
                                                          "resolution_note"),
            lambda m: ProtectionScreening.objects.filter(member=m)),
    Section("vulnerabilities", Vulnerability, ("kind", "severity", "needs_specialised_assessment", "note"),
            lambda m: m.vulnerabilities.order_by("kind")),
    Section("fitness_to_travel", FitnessToTravel, ("outcome", "assessed_on", "clinician", "detail"),
            lambda m: FitnessToTravel.objects.filter(member=m)),
    Section("best_interests", BestInterests, ("responsible_authority", "guardian_name", "child_views",
                                              "options_considered", "family_tracing_result", "outcome", "decided_on",
                                              "guardian_consent", "guardian_consent_on"),
            lambda m: BestInterests.objects.filter(member=m)),
    Section("declarations", Declaration, ("signed_on", "witness", "scan_name", "withdrawn_on", "withdrawal_reason"),
            lambda m: m.declarations.order_by("recorded_at", "id")),
    Section("protection_referrals", ProtectionReferral, ("referred_to", "referred_on"),
            lambda m: m.case.protection_referrals.order_by("referred_on", "id"), about_household=True),
    Section("travel_documents", TravelDocument, ("type", "number", "issuing_consulate", "requested_on", "issued_on",
                                                 "expires_on", "status"),
            lambda m: m.travel_documents.order_by("recorded_at", "id")),
    Section("bookings", Booking, ("seat", "status", "boarded_at"),
            lambda m: m.bookings.order_by("booked_at", "id")),
    Section("check_ins", CheckIn, ("arrived", "at", "reason"), lambda m: m.check_ins.order_by("at", "id")),
    Section("handover", Handover, ("authority", "authority_other", "official_name", "official_position",
                                   "handed_over_at", "goes_to", "goes_to_name"),
            lambda m: Handover.objects.filter(member=m)),
    Section("assistance", Assistance, ("kind", "amount", "currency", "note", "given_at"),
            lambda m: m.assistance.order_by("given_at", "id")),
    Section("referrals", Referral, ("institution", "service", "status", "sent_on", "due_on", "answered_on",
                                    "completed_on", "note"),
            lambda m: m.referrals.select_related("institution").order_by("sent_on", "id")),
    Section("follow_ups", FollowUp, ("status", "opens_on", "due_on", "closes_on", "call_back_on", "done_on",
                                     "cancelled_on", "reached", "safe", "working", "needs",
                                     "intends_to_migrate_again"),
            lambda m: m.follow_ups.order_by("due_on", "id")),
    Section("follow_up_attempts", FollowUpAttempt, ("at", "channel", "outcome", "call_back_on", "note"),
            lambda m: FollowUpAttempt.objects.filter(member=m).order_by("at", "id")),
    Section("follow_up_answers", FollowUpAnswer, ("follow_up", "item", "value"),
            lambda m: FollowUpAnswer.objects.filter(member=m).select_related("item").order_by("follow_up", "id")),
    Section("follow_up_flags", FollowUpFlag, ("kind", "raised_at"),
            lambda m: m.follow_up_flags.order_by("raised_at", "id")),
    Section("safeguarding_tasks", SafeguardingTask, ("due_on", "closed_at", "note"),
            lambda m: SafeguardingTask.objects.filter(member=m).order_by("due_on", "id")),
    Section("documents", Document, ("kind", "original_name", "content_type", "size", "uploaded_at", "note"),
            lambda m: Document.objects.filter(Q(member=m) | Q(case=m.case, member__isnull=True)).order_by(
                "uploaded_at", "id"),
            row_readable=lambda access, row: document_readable(access, row.kind)),
)

MEMBER_FIELDS = ("relationship", "given_names", "family_names", "sex", "date_of_birth", "date_of_birth_estimated",
                 "nationality", "document_type", "document_number", "document_issuing_country", "phone",
                 "country_of_residence", "languages", "place_of_origin", "intended_destination",
                 "needs_medical_attention", "is_unaccompanied_child", "is_separated_child")
HOUSEHOLD_FIELDS = ("reference", "status", "programme", "registering_office", "registration_country",
                    "destination_country", "reception_centre", "intake_date", "created_at", "submitted_at",
                    "closure_reason")


MEMBER_WITH_HOUSEHOLD = ("case", "case__programme", "case__registering_office", "case__reception_centre")


def member_for_export(*, user, member_id) -> tuple[Member, CaseAccess]:
    """The member whose data the user may export: 404 if they may not see the case, 403 outside its case team."""
    try:
        member = Member.objects.select_related(*MEMBER_WITH_HOUSEHOLD).get(pk=int(member_id))
    except (Member.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    access = case_access(user, member.case)
    if access is None:
        raise Http404
    if not access.roles & CASE_TEAM:
        raise PermissionDenied
    return member, access


def plain(value):
    """A value as JSON carries it: dates as ISO text, amounts as text, a related record by its name."""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, Model):
        return str(value)
    return value


def is_held(value) -> bool:
    return value not in (None, "", [], False)


def record_of(access: CaseAccess, obj: Model, fields: tuple[str, ...], *, row_readable: bool = True) -> dict:
    """One record's fields as the policy lets this reader read them; the unreadable ones that hold something named."""
    label = obj._meta.label
    row, withheld = {"id": obj.pk}, []
    for name in fields:
        value = getattr(obj, name)
        if row_readable and readable(access, f"{label}.{name}"):
            row[name] = plain(value)
        else:
            row[name] = None
            if is_held(value):
                withheld.append(name)
    row["withheld"] = withheld
    return row


def member_on(db: str, member: Member) -> Member:
    """The member as `db` holds it, so that every section is read there; the primary's if `db` has not got it yet."""
    if db == member._state.db:
        return member
    return Member.objects.using(db).select_related(*MEMBER_WITH_HOUSEHOLD).filter(pk=member.pk).first() or member


def member_export(*, member: Member, access: CaseAccess, actor) -> dict:
    """Everything held about the member, section by section, with stable keys (documented in rights.api); read
    from the database the member was read from (`member_on`)."""
    case, db = member.case, member._state.db
    data = {
        "format_version": EXPORT_FORMAT_VERSION,
        "exported_at": plain(timezone.now()),
        "exported_by": actor.username,
        "member": record_of(access, member, MEMBER_FIELDS),
        "household": record_of(access, case, HOUSEHOLD_FIELDS),
    }
    held_rows: dict[str, list[int]] = {Member._meta.db_table: [member.pk]}
    for section in SECTIONS:
        rows = list(section.rows(member).using(db))
        data[section.key] = [record_of(access, row, section.fields, row_readable=section.row_readable is None
                                       or section.row_readable(access, row)) for row in rows]
        held_rows.setdefault(section.model._meta.db_table, []).extend(row.pk for row in rows)
    data["case_events"] = case_events(case, access)
    data["audit_trail"], data["audit_trail_truncated"] = audit_trail(member, held_rows)
    return data


def case_events(case: Case, access: CaseAccess) -> list[dict]:
    """The household's moves: each concerns every member, as they travel together."""
    note_readable = readable(access, "cases.CaseEvent.note")
    return [{"at": plain(event.at), "actor": event.actor.username, "from_status": event.from_status,
             "to_status": event.to_status, "note": event.note if note_readable else None,
             "withheld": [] if note_readable or not event.note else ["note"]}
            for event in case_timeline(case)]


def audit_trail(member: Member, held_rows: dict[str, list[int]]) -> tuple[list[dict], bool]:
    """Who viewed, listed, changed, exported or downloaded the member's records, and when; never the values."""
    case_id = member.case_id
    who = Q(object_type__in=["cases.member", Member._meta.db_table], object_id=str(member.pk))
    who |= Q(object_type__in=["cases.case", Case._meta.db_table], object_id=str(case_id))
    who |= Q(object_type="cases.case", object_ids__contains=[case_id])
    who |= Q(object_type="cases.member", object_ids__contains=[member.pk])
    for table, ids in held_rows.items():
        if ids:
            who |= Q(object_type=table, object_id__in=[str(pk) for pk in ids])
    lines = list(AuditEvent.objects.using(member._state.db).filter(who, action__in=AUDIT_ACTIONS)
                 .order_by("-at", "-id")
                 .values("at", "actor_username", "action", "object_type")[:AUDIT_TRAIL_LIMIT + 1])
    trail = [{"at": plain(line["at"]), "actor": line["actor_username"], "action": line["action"],
              "record": line["object_type"]} for line in lines[:AUDIT_TRAIL_LIMIT]]
    return trail, len(lines) > AUDIT_TRAIL_LIMIT


def member_erasure_requests(*, user, member_id) -> list:
    """The member's erasure requests, newest first, for their case team (the same 404/403 rule as the export)."""
    from rights.models import ErasureRequest
    from rights.services import ErasureOutcome

    member, _access = member_for_export(user=user, member_id=member_id)
    requests = ErasureRequest.objects.filter(member=member).select_related("case", "certificate", "requested_by")
    return [ErasureOutcome(member=member, case=request.case, reason=request.reason, status=request.status,
                           refusal_code=request.refusal_code, request=request,
                           removed=request.certificate.removed if request.certificate else {})
            for request in requests]
