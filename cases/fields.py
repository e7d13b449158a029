"""The field policy: every personal field of every model tagged once with its field group, read through one helper.

Serializers, pages, manifests, passenger lists, exports and the admin ask `readable(access, "app.Model.field")`
(or a serializer's `FieldPolicyMixin`, a page's `field_context(access)`); which groups a reader holds is decided in
cases.permissions. A field that is neither tagged here nor declared bookkeeping fails a test, so a new column cannot
slip past the policy.
"""

import copy

from django.core.exceptions import ImproperlyConfigured

from cases.permissions import CaseAccess, FieldGroup

G = FieldGroup


def _tag(model: str, group: str, *names: str) -> dict[str, str]:
    return {f"{model}.{name}": group for name in names}


FIELD_GROUPS: dict[str, str] = {
    # cases
    **_tag("cases.Case", G.TRAVEL, "destination_country", "reception_centre", "has_unaccompanied_child",
           "has_separated_child"),
    **_tag("cases.Case", G.CASE_NOTES, "caseworker_notes", "how_heard"),
    **_tag("cases.Case", G.VULNERABILITY, "has_protection_flag", "vulnerability_kinds"),
    **_tag("cases.Member", G.IDENTITY, "relationship", "given_names", "family_names", "sex", "date_of_birth",
           "date_of_birth_estimated", "nationality", "document_type", "document_number", "phone",
           "country_of_residence", "document_issuing_country", "languages", "place_of_origin",
           "intended_destination", "same_person_as",
           # search keys derived from the names, document and phone
           "name_key", "family_initials", "birth_year", "document_key", "phone_key", "name_tokens", "age_at_return"),
    **_tag("cases.Member", G.MEDICAL_FLAG, "needs_medical_attention"),
    **_tag("cases.Member", G.TRAVEL, "is_unaccompanied_child", "is_separated_child"),
    # A supervisor's reason for a move is for the case team: others see when, who, from and to.
    **_tag("cases.CaseEvent", G.CASE_NOTES, "note"),
    **_tag("cases.Consent", G.CASE_NOTES, "recipient", "institution", "purpose", "reason"),
    # screening
    **_tag("screening.CounsellingSession", G.VULNERABILITY, "held_on", "interpreter", "language", "topics",
           "outcome"),
    **_tag("screening.CounsellingSession", G.CASE_NOTES, "questions", "notes"),
    **_tag("screening.ProtectionScreening", G.VULNERABILITY, "fear_of_return", "pending_asylum_claim", "threats",
           "screened_on", "resolved_at"),
    **_tag("screening.ProtectionScreening", G.PROTECTION, "narrative", "resolution_note"),
    **_tag("screening.Vulnerability", G.VULNERABILITY, "kind", "severity", "needs_specialised_assessment", "note"),
    **_tag("screening.FitnessToTravel", G.VULNERABILITY, "outcome", "assessed_on", "clinician"),
    **_tag("screening.FitnessToTravel", G.MEDICAL, "detail"),
    **_tag("screening.BestInterests", G.VULNERABILITY, "responsible_authority", "guardian_name", "child_views",
           "options_considered", "family_tracing_result", "outcome", "decided_on", "guardian_consent",
           "guardian_consent_on"),
    **_tag("screening.Declaration", G.VULNERABILITY, "signed_on", "witness", "scan", "scan_name", "scan_type",
           "withdrawn_on", "withdrawal_reason"),
    **_tag("screening.ProtectionReferral", G.VULNERABILITY, "referred_to", "referred_on"),
    # travel
    **_tag("travel.Booking", G.TRAVEL, "seat", "status", "boarded_at"),
    **_tag("travel.TravelDocument", G.TRAVEL, "type", "number", "issuing_consulate", "requested_on", "issued_on",
           "expires_on", "status"),
    # The rendered manifest: served only to its requester, whose view of each household it was rendered with.
    **_tag("travel.ManifestBuild", G.TRAVEL, "content"),
    # reception
    **_tag("reception.CheckIn", G.RECEPTION, "arrived", "at", "reason"),
    **_tag("reception.Handover", G.RECEPTION, "authority", "authority_other", "official_name", "official_position",
           "handed_over_at", "goes_to", "goes_to_name"),
    **_tag("reception.Assistance", G.RECEPTION, "kind", "amount", "currency", "note", "given_at"),
    **_tag("reception.Referral", G.RECEPTION, "institution", "service", "consent", "status", "sent_on", "due_on",
           "answered_on", "completed_on", "note"),
    **_tag("reception.FollowUp", G.RECEPTION, "due_on", "done_on", "cancelled_on", "reached", "safe", "working",
           "needs", "intends_to_migrate_again", "opens_on", "closes_on", "call_back_on"),
    **_tag("reception.FollowUpAttempt", G.RECEPTION, "at", "channel", "outcome", "call_back_on", "note"),
    # The answers and flags are the centre's, who call: a "health distress" flag is a flag like "needs medical
    # attention", never medical detail (the questionnaire asks no diagnosis), so it needs no stricter group.
    **_tag("reception.FollowUpAnswer", G.RECEPTION, "value"),
    **_tag("reception.FollowUpScore", G.RECEPTION, "dimension", "score"),
    **_tag("reception.FollowUpFlag", G.RECEPTION, "kind", "raised_at"),
    **_tag("reception.SafeguardingTask", G.RECEPTION, "due_on", "closed_at", "note"),
    # A tablet's edit that diverged from the server: copies of the person's values, read through the policy of
    # the field they belong to (sync.conflicts.values_readable); identity is the narrowest group they may be of.
    **_tag("sync.SyncConflict", G.IDENTITY, "base_value", "server_value", "device_value", "note"),
    # Documents attached to a case or member: each row is read under the group of its kind as well
    # (DOCUMENT_KIND_GROUPS, `document_readable`); identity is the widest group any of them is read under.
    **_tag("documents.Document", G.IDENTITY, "file", "original_name", "content_type", "sha256", "note"),
    # The supervisor's reason for giving the case to someone else, for the case team like any reason of a move.
    **_tag("cases.CaseTransfer", G.CASE_NOTES, "reason"),
    # A staged import: the uploaded file and each household as read, until merged (then the case holds it).
    **_tag("imports.ImportBatch", G.IDENTITY, "file"),
    **_tag("imports.ImportRow", G.IDENTITY, "data", "errors", "candidates"),
}

# Models that hold nobody's personal data: keys, counters, grants, the movement's own plan, the directory.
NON_PERSONAL_MODELS = frozenset({
    "cases.CaseUserObjectPermission", "cases.CaseGroupObjectPermission", "cases.ReferenceCounter",
    "cases.IdempotencyKey", "cases.DuplicateDecision", "cases.CaseCount",
    "cases.NameWord",  # words without who has them; a word nobody has any more leaves (cases.models.NameWord)
    "travel.Movement", "travel.MovementLeg", "travel.BorderSupport",
    "reception.KitStock", "reception.KitDelivery", "reception.Institution",
    # The follow-up's plans and questionnaires: programme settings and questions, nobody's answers.
    "reception.FollowUpPlan", "reception.FollowUpStep", "reception.Instrument", "reception.InstrumentVersion",
    "reception.InstrumentItem",
    # Booth tablets and what they uploaded: staff devices, ids, digests and results (no payload is kept).
    "sync.Device", "sync.ReferenceBlock", "sync.SyncOperation",
    "imports.ImportSource",  # a form's address and a sealed token
    "reports.Report",  # a requested donor report: its parameters and the file of aggregates
    # One row per person who left, for the donor report's aggregates only: categories of the day of travel, no name,
    # no birth date, no member; the link to the booking is cut when the person is anonymised or erased.
    "reports.ReturnFact",
})
# Staff who work the movement, named on it and on the manifest: their own work details, not a migrant's data.
STAFF_FIELDS = frozenset({"travel.Escort.name", "travel.Escort.phone", "travel.Escort.kind"})

# Bookkeeping columns of personal records: links, status, versions, who recorded what and when.
NON_PERSONAL: frozenset[str] = frozenset({
    *(f"cases.Case.{f}" for f in ("id", "reference", "programme", "registering_office", "registration_country",
                                  "assigned_caseworker", "status", "is_incomplete", "submitted_by", "submitted_at",
                                  "closure_reason", "intake_date", "split_from", "created_by", "created_at",
                                  "updated_at", "version", "anonymised_at", "provisional_reference")),
    "cases.Member.id", "cases.Member.case", "cases.Member.erased_at",
    *(f"cases.CaseTransfer.{f}" for f in ("id", "case", "kind", "from_office", "to_office", "from_caseworker",
                                          "to_caseworker", "by", "at")),
    *(f"documents.Document.{f}" for f in ("id", "case", "member", "kind", "size", "uploaded_by", "uploaded_at")),
    *(f"cases.CaseEvent.{f}" for f in ("id", "case", "actor", "at", "from_status", "to_status")),
    *(f"cases.Consent.{f}" for f in ("id", "case", "member", "scope", "service", "type", "given_on", "recorded_by",
                                     "recorded_at", "withdrawn_on")),
    *(f"screening.CounsellingSession.{f}" for f in ("id", "case", "counsellor", "recorded_by", "recorded_at")),
    *(f"screening.ProtectionScreening.{f}" for f in ("id", "member", "screened_by", "resolved_by", "version")),
    "screening.Vulnerability.id", "screening.Vulnerability.member",
    *(f"screening.FitnessToTravel.{f}" for f in ("id", "member", "recorded_by")),
    *(f"screening.BestInterests.{f}" for f in ("id", "member", "recorded_by", "version")),
    *(f"screening.Declaration.{f}" for f in ("id", "member", "recorded_by", "recorded_at")),
    *(f"screening.ProtectionReferral.{f}" for f in ("id", "case", "referred_by")),
    *(f"travel.Booking.{f}" for f in ("id", "movement", "case", "member", "booked_by", "booked_at")),
    *(f"travel.TravelDocument.{f}" for f in ("id", "member", "recorded_by", "recorded_at")),
    *(f"travel.Escort.{f}" for f in ("id", "movement", "user", "members")), *STAFF_FIELDS,
    *(f"travel.ManifestBuild.{f}" for f in ("id", "movement", "requested_by", "passengers_version", "language",
                                            "status", "progress", "case_ids", "error", "requested_at",
                                            "finished_at")),
    *(f"reception.CheckIn.{f}" for f in ("id", "booking", "member", "by")),
    *(f"reception.Handover.{f}" for f in ("id", "member", "recorded_by", "recorded_at")),
    *(f"reception.Assistance.{f}" for f in ("id", "member", "centre", "given_by", "request_key")),
    *(f"reception.Referral.{f}" for f in ("id", "member", "created_by", "version")),
    *(f"reception.FollowUp.{f}" for f in ("id", "member", "recorded_by", "step", "instrument_version", "status",
                                          "version")),
    *(f"reception.FollowUpAttempt.{f}" for f in ("id", "follow_up", "member", "by", "request_key")),
    *(f"reception.FollowUpAnswer.{f}" for f in ("id", "follow_up", "member", "item")),
    "reception.FollowUpScore.id", "reception.FollowUpScore.follow_up",
    *(f"reception.FollowUpFlag.{f}" for f in ("id", "follow_up", "member")),
    *(f"reception.SafeguardingTask.{f}" for f in ("id", "flag", "member", "assignee", "closed_by")),
    *(f"sync.SyncConflict.{f}" for f in ("id", "operation", "case", "member", "field", "created_at", "status",
                                         "resolution", "resolved_by", "resolved_at")),
    *(f"imports.ImportBatch.{f}" for f in ("id", "kind", "programme", "office", "source", "uploaded_by",
                                           "uploaded_at", "file_name", "file_digest", "language", "status",
                                           "progress", "heartbeat_at", "error", "rows", "valid", "invalid", "new",
                                           "duplicates", "merged", "reupload_denied_by", "approved_by",
                                           "approved_at", "refused_by", "refused_at", "refusal_reason",
                                           "finished_at")),
    *(f"imports.ImportRow.{f}" for f in ("id", "batch", "household_key", "sheet_row", "member_rows", "status",
                                         "kobo_uuid", "kobo_submission_time", "updates_case", "case",
                                         "merged_at")),
})


# The group a document is read under, by its kind (documents.choices.DocumentKind): a medical certificate is medical
# detail, for the medically cleared case team only; any other attachment is for the case team.
DOCUMENT_KIND_GROUPS = {"identity_document": G.IDENTITY, "medical_certificate": G.MEDICAL, "other": G.CASE_NOTES}


def field_key(model, name: str) -> str:
    return f"{model._meta.label}.{name}"


def is_bookkeeping(key: str) -> bool:
    return key in NON_PERSONAL or key.rsplit(".", 1)[0] in NON_PERSONAL_MODELS


def field_group(key: str) -> str | None:
    """The field's group, None for bookkeeping; an unknown field is a programming error, never readable."""
    if key in FIELD_GROUPS:
        return FIELD_GROUPS[key]
    if is_bookkeeping(key):
        return None
    raise ImproperlyConfigured(f"{key} is in no field group (cases/fields.py)")


def readable(access: CaseAccess | None, key: str) -> bool:
    """May a reader with this access to a case read this field of it?"""
    if access is None:
        return False
    group = field_group(key)
    return group is None or group in access.field_groups


def document_readable(access: CaseAccess | None, kind: str) -> bool:
    """May a reader with this access to a case read its documents of this kind (list, download, delete)?"""
    group = DOCUMENT_KIND_GROUPS.get(kind)
    return (group is not None and readable(access, "documents.Document.file")
            and group in access.field_groups)


def personal_fields(model) -> list[str]:
    """The model's field names that carry a field group (for the admin)."""
    return [f.name for f in model._meta.get_fields() if field_key(model, f.name) in FIELD_GROUPS]


def field_context(access: CaseAccess) -> dict:
    """What a case page may show, for its template: `show_*` flags and `fields.app.Model.field` lookups."""
    return {
        "fields": FieldReader(access),
        "show_identity": readable(access, "cases.Member.given_names"),
        "show_travel": readable(access, "cases.Case.destination_country"),
        "show_notes": readable(access, "cases.Case.caseworker_notes"),
        "show_medical_flag": readable(access, "cases.Member.needs_medical_attention"),
        "show_screening_tab": readable(access, "screening.ProtectionScreening.fear_of_return"),
        "show_event_notes": readable(access, "cases.CaseEvent.note"),
        "emergency_until": access.emergency_until,
    }


class FieldReader:
    """`{% if fields.cases.CaseEvent.note %}` in a template asks `readable(access, "cases.CaseEvent.note")`."""

    def __init__(self, access: CaseAccess | None, path: tuple[str, ...] = ()):
        self.access, self.path = access, path

    def __getitem__(self, name: str):
        path = (*self.path, name)
        if len(path) == 3:
            return readable(self.access, ".".join(path))
        return FieldReader(self.access, path)


class FieldPolicyMixin:
    """A serializer that leaves out every field the reader may not read.

    `context["access"]` is the reader's CaseAccess, or a dict of them by case id; `case_of(instance)` says which
    case an instance belongs to. A serializer field whose source is not a model field names its policy key in
    `policy_keys` (None: a nested serializer that applies the policy itself).
    """

    policy_keys: dict[str, str | None] = {}

    def get_fields(self):
        """The class's fields, built from the models once per process, then copied (building them was a third of
        a case detail request's CPU). DRF builds a ModelSerializer's fields from its class alone."""
        built = type(self).__dict__.get("_avr_built_fields")
        if built is None:
            built = super().get_fields()
            type(self)._avr_built_fields = built
        return copy.deepcopy(built)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        access = self.access_for(instance)
        for name in list(data):
            key = self.policy_key(name)
            if key is not None and not readable(access, key):
                del data[name]
        return data

    def policy_key(self, name: str) -> str | None:
        if name in self.policy_keys:
            return self.policy_keys[name]
        source = self.fields[name].source
        key = field_key(self.Meta.model, "id" if source == "pk" else source)
        field_group(key)  # raises for a field the policy does not know
        return key

    def access_for(self, instance) -> CaseAccess | None:
        access = self.context.get("access")
        if isinstance(access, dict):
            return access.get(self.case_of(instance))
        return access

    def case_of(self, instance) -> int:
        return instance.case_id


class FieldPolicyAdmin:
    """A ModelAdmin mixin: a record's personal fields appear only as the policy lets the user read its case.

    The admin role sees no case, so it reads no personal field; `case_of(obj)` names the record's case.
    """

    def get_fields(self, request, obj=None):
        from cases.permissions import case_access

        case = self.case_of(obj) if obj is not None else None
        access = case_access(request.user, case) if case is not None else None
        label = self.model._meta.label
        return [name for name in super().get_fields(request, obj)
                if f"{label}.{name}" not in FIELD_GROUPS or readable(access, f"{label}.{name}")]

    def case_of(self, obj):
        return obj
