"""One queued operation, applied once: the kinds a tablet may queue, each through the online form's service."""

import logging
import uuid
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework import serializers

from audit.services import audit_actor_set
from cases.api.registration import (
    MemberInputSerializer,
    RegistrationSerializer,
    registration_input,
)
from cases.choices import ConsentScope, ConsentType
from cases.models import Case, Consent, Member
from cases.registration import (
    HouseholdClosed,
    MemberInput,
    RegistrationInvalid,
    case_member_add,
    case_register,
    member_as_input,
    member_update,
)
from cases.services import StaleVersion, case_for_team_update, case_update
from screening.choices import CounsellingOutcome, CounsellingTopic
from screening.services import (
    counselling_session_record,
    member_consent_record,
    member_consent_withdraw,
)
from sync.merge import MERGEABLE_CASE_FIELDS, MERGEABLE_MEMBER_FIELDS, edit_merge
from sync.models import Device, OperationStatus, SyncConflict, SyncOperation
from sync.services import (
    FORM_VERSIONS,
    operation_digest,
    operation_recorded,
    reference_reserved,
)

logger = logging.getLogger(__name__)


class Refused(Exception):
    """The operation cannot be applied as it stands; nothing of it was saved."""

    def __init__(self, code: str, message: str, errors: dict | None = None):
        super().__init__(message)
        self.code, self.message, self.errors = code, message, errors or {}


def refused_result(operation: dict, code: str, message: str, errors: dict | None = None) -> dict:
    result = {"id": str(operation.get("id", "")), "sequence": operation.get("sequence"), "status": "rejected",
              "code": code, "message": message}
    if errors:
        result["errors"] = errors
    return result


def shape_problem(operation) -> str | None:
    if not isinstance(operation, dict):
        return _("An operation is a JSON object.")
    try:
        uuid.UUID(str(operation.get("id")))
    except ValueError:
        return _("An operation needs its id (a UUID).")
    if not isinstance(operation.get("sequence"), int) or not 0 < operation["sequence"] < 2**62:
        return _("An operation needs its sequence number (a positive whole number).")
    if not isinstance(operation.get("kind"), str) or not isinstance(operation.get("payload"), dict):
        return _("An operation needs its kind and its payload.")
    return None


def operation_apply(*, actor, device: Device, operation) -> dict:
    """Apply one operation exactly once; a replay answers with the stored result."""
    problem = shape_problem(operation)
    if problem:
        return refused_result(operation if isinstance(operation, dict) else {}, "malformed", problem)
    try:
        with transaction.atomic():
            return _apply_locked(actor=actor, device=device, operation=operation)
    except Exception:
        # Nothing of it was saved; the monitor shows the device's last error until a sync goes through.
        logger.exception("sync: operation %s not applied", operation["id"])
        return {"id": str(operation["id"]), "sequence": operation["sequence"], "status": "retry",
                "code": "server_error", "message": _("The server could not apply this now; it stays queued.")}


def _apply_locked(*, actor, device: Device, operation: dict) -> dict:
    Device.objects.select_for_update().filter(pk=device.pk).first()  # one operation of a tablet at a time
    stored = SyncOperation.objects.filter(pk=operation["id"]).first()
    if stored is not None:
        if stored.device_id != device.pk or stored.payload_digest != operation_digest(operation):
            return refused_result(operation, "id_reused", _(
                "This operation id was already used for different content. Nothing was saved: queue it again as "
                "a new operation."))
        return {**stored.result, "status": "replayed", "replayed": True, "applied_as": stored.status}
    base = {"id": str(operation["id"]), "sequence": operation["sequence"]}
    try:
        with transaction.atomic():  # a refusal leaves nothing of the operation behind
            if operation.get("form_version") not in FORM_VERSIONS:
                raise Refused("form_version_unknown", _(
                    "This was captured with a form the server no longer knows. Nothing was lost: export the queue "
                    "and give the file to your supervisor."))
            applier = APPLIERS.get(operation["kind"])
            if applier is None:
                raise Refused("unknown_kind", _("The server does not know this kind of operation."))
            outcome = applier(actor=actor, device=device, operation=operation)
    except Refused as exc:
        result = refused_result(operation, exc.code, exc.message, exc.errors)
        operation_recorded(device=device, actor=actor, operation=operation, status=OperationStatus.REJECTED,
                           code=exc.code, result=result)
        return result
    result = {**base, **outcome.result, "status": outcome.status, "code": outcome.code,
              "message": outcome.message}
    operation_recorded(device=device, actor=actor, operation=operation, status=outcome.status, code=outcome.code,
                       result=result, case=outcome.case, possible_duplicates=outcome.possible_duplicates)
    if outcome.conflicts:
        stored = SyncOperation.objects.get(pk=operation["id"])
        for conflict in outcome.conflicts:
            conflict.operation = stored
        SyncConflict.objects.bulk_create(outcome.conflicts)
        stored.result["conflicts"] = [{"id": c.pk, "field": c.field, "member": c.member_id}
                                      for c in outcome.conflicts]
        stored.save(update_fields=["result"])
        result["conflicts"] = stored.result["conflicts"]
    return result


class Outcome:
    def __init__(self, *, case, result: dict, conflicts: list | None = None, possible_duplicates: int = 0,
                 code: str = "", message: str = ""):
        self.case, self.result, self.conflicts = case, result, conflicts or []
        self.possible_duplicates, self.code, self.message = possible_duplicates, code, message
        self.status = OperationStatus.CONFLICT if self.conflicts else OperationStatus.APPLIED


def case_summary(case: Case, *, members: list[Member] | None = None) -> dict:
    members = members if members is not None else list(case.members.order_by("id"))
    return {"case": {"id": case.pk, "reference": case.reference, "provisional_reference": case.provisional_reference,
                     "version": case.version,
                     "members": [{"index": index, "id": member.pk} for index, member in enumerate(members)]}}


# References to what the same tablet queued before


def _earlier(device: Device, reference: dict) -> SyncOperation:
    try:
        earlier = SyncOperation.objects.filter(pk=uuid.UUID(str(reference.get("op"))), device=device).first()
    except ValueError:
        earlier = None
    if earlier is None or earlier.status == OperationStatus.REJECTED:
        raise Refused("not_found", _("This rests on an operation the server did not apply; fix that one first."))
    return earlier


def case_id_of(device: Device, reference) -> int:
    if isinstance(reference, dict):
        earlier = _earlier(device, reference)
        if earlier.case_id is None:
            raise Refused("not_found", _("The case this refers to was not found."))
        return earlier.case_id
    if isinstance(reference, int):
        return reference
    raise Refused("invalid", _("Some fields are not valid."), {"case": [_("Say which case.")]})


def member_id_of(device: Device, reference) -> int:
    if isinstance(reference, dict):
        earlier = _earlier(device, reference)
        members = earlier.result.get("case", {}).get("members", [])
        if "member" in earlier.result:
            members = [{"index": 0, "id": earlier.result["member"]["id"]}]
        index = reference.get("index", 0)
        found = [m["id"] for m in members if m["index"] == index]
        if not found:
            raise Refused("not_found", _("The member this refers to was not found."))
        return found[0]
    if isinstance(reference, int):
        return reference
    raise Refused("invalid", _("Some fields are not valid."), {"member": [_("Say which member.")]})


def consent_id_of(device: Device, reference) -> int:
    if isinstance(reference, dict):
        earlier = _earlier(device, reference)
        if "consent" not in earlier.result:
            raise Refused("not_found", _("The consent this refers to was not found."))
        return earlier.result["consent"]["id"]
    if isinstance(reference, int):
        return reference
    raise Refused("invalid", _("Some fields are not valid."), {"consent": [_("Say which consent.")]})


def valid(serializer) -> dict:
    if not serializer.is_valid():
        raise Refused("invalid", _("Some fields are not valid."), serializer.errors)
    return serializer.validated_data


def service_call(fn, **kwargs):
    """The online service's refusals, as an operation's."""
    try:
        return fn(**kwargs)
    except RegistrationInvalid as exc:
        raise Refused("invalid", _("Some fields are not valid."), exc.errors) from None
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        raise Refused("invalid", _("Some fields are not valid."), errors) from None
    except (Http404, PermissionDenied):
        raise Refused("not_found", _("The case was not found, or you may not change it.")) from None
    except HouseholdClosed:
        raise Refused("household_closed", _(
            "The household was already submitted for approval: members can no longer join it.")) from None


# The kinds


class SyncRegistrationSerializer(RegistrationSerializer):
    provisional_reference = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")


def register(*, actor, device: Device, operation: dict) -> Outcome:
    data = valid(SyncRegistrationSerializer(data=operation["payload"]))
    registration, errors = registration_input(actor, data)
    if errors:
        raise Refused("invalid", _("Some fields are not valid."), errors)
    # The booth could not ask: the household is registered and the likely duplicates wait for a person.
    result = service_call(case_register, actor=actor, data=registration, confirm_duplicates=True)
    case, code, message = result.case, "", ""
    slip = data["provisional_reference"].strip()
    if slip and reference_reserved(device, slip):
        case.provisional_reference = slip
        case.save(update_fields=["provisional_reference"])
    elif slip:
        code = "reference_not_reserved"
        message = _("The slip's reference was not reserved for this tablet; the case has its own reference and "
                    "the slip's is kept in the notes.")
        note = _("Reference on the slip handed out offline: %(reference)s") % {"reference": slip}
        case.caseworker_notes = f"{case.caseworker_notes}\n{note}".strip()
        case.save(update_fields=["caseworker_notes"])
    members = list(case.members.order_by("id"))
    summary = case_summary(case, members=members)
    summary["possible_duplicates"] = len({c["for_member"] for c in result.possible_duplicates})
    return Outcome(case=case, result=summary, possible_duplicates=summary["possible_duplicates"], code=code,
                   message=message)


def member_add(*, actor, device: Device, operation: dict) -> Outcome:
    payload = operation["payload"]
    case_id = case_id_of(device, payload.get("case"))
    member_data = valid(MemberInputSerializer(data=payload.get("member") if isinstance(payload.get("member"), dict)
                                              else {}))
    member, candidates = service_call(case_member_add, actor=actor, case_id=case_id,
                                      data=MemberInput(**member_data))
    case = Case.objects.get(pk=case_id)
    return Outcome(case=case, result={**case_summary(case), "member": {"id": member.pk},
                                      "possible_duplicates": 1 if candidates else 0},
                   possible_duplicates=1 if candidates else 0)


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


def conflicts_of(merge, *, case: Case, member: Member | None) -> list[SyncConflict]:
    return [SyncConflict(case=case, member=member, field=name, base_value=_plain(base), server_value=_plain(server),
                         device_value=_plain(device)) for name, (base, server, device) in merge.conflicts.items()]


def _base(payload: dict) -> tuple[int | None, dict]:
    version = payload.get("base_version")
    base = payload.get("base") if isinstance(payload.get("base"), dict) else {}
    return (version if isinstance(version, int) else None), base


def member_edit(*, actor, device: Device, operation: dict) -> Outcome:
    payload = operation["payload"]
    member_id = member_id_of(device, payload.get("member"))
    raw = payload.get("changes") if isinstance(payload.get("changes"), dict) else {}
    checked = valid(MemberInputSerializer(data=raw, partial=True))
    changes = {name: checked[name] for name in raw if name in checked}
    member = Member.objects.filter(pk=member_id).first()
    if member is None:
        raise Refused("not_found", _("The case was not found, or you may not change it."))
    case = service_call(case_for_team_update, case_id=member.case_id, actor=actor)
    version, base = _base(payload)
    server = vars(member_as_input(member, case.intake_date))
    merge = edit_merge(mergeable=MERGEABLE_MEMBER_FIELDS, base=base, server=server, changes=changes,
                       same_version=version == case.version)
    if merge.apply:
        try:
            service_call(member_update, actor=actor, member_id=member_id, expected_version=case.version,
                         changes=merge.apply)
        except StaleVersion:  # the case is locked: cannot happen, and if it did nothing was saved
            raise Refused("stale", _("The case changed while this was applied; it stays queued.")) from None
    case.refresh_from_db()
    return Outcome(case=case, result=case_summary(case), conflicts=conflicts_of(merge, case=case, member=member))


class CaseChangesSerializer(serializers.Serializer):
    destination_country = serializers.CharField(max_length=2, required=False)
    how_heard = serializers.CharField(max_length=20, required=False, allow_blank=True)
    intake_date = serializers.DateField(required=False)


def case_edit(*, actor, device: Device, operation: dict) -> Outcome:
    payload = operation["payload"]
    case_id = case_id_of(device, payload.get("case"))
    raw = payload.get("changes") if isinstance(payload.get("changes"), dict) else {}
    changes = dict(valid(CaseChangesSerializer(data=raw)))
    notes = payload.get("notes_append") if isinstance(payload.get("notes_append"), str) else ""
    case = service_call(case_for_team_update, case_id=case_id, actor=actor)
    version, base = _base(payload)
    server = {name: getattr(case, name) for name in CaseChangesSerializer().fields}
    merge = edit_merge(mergeable=MERGEABLE_CASE_FIELDS, base=base, server=server, changes=changes,
                       same_version=version == case.version)
    applied = dict(merge.apply)
    if notes.strip():  # notes are appended, never replaced: both sides' words stay
        applied["caseworker_notes"] = f"{case.caseworker_notes}\n{notes.strip()}".strip()
    if applied:
        case = service_call(case_update, case_id=case.pk, actor=actor, expected_version=case.version,
                            changes=applied)
    return Outcome(case=case, result=case_summary(case), conflicts=conflicts_of(merge, case=case, member=None))


class ConsentRecordSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=[c for c in ConsentScope.choices if c[0] != ConsentScope.COLLECTION])
    recipient = serializers.CharField(max_length=160, required=False, allow_blank=True, default="")
    purpose = serializers.CharField(max_length=160, required=False, allow_blank=True, default="")
    type = serializers.ChoiceField(choices=ConsentType.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    given_on = serializers.DateField()


def consent_record(*, actor, device: Device, operation: dict) -> Outcome:
    payload = operation["payload"]
    member_id = member_id_of(device, payload.get("member"))
    data = dict(valid(ConsentRecordSerializer(data=payload)))
    captured = parse_datetime(operation.get("captured_at") or "") if isinstance(operation.get("captured_at"),
                                                                                   str) else None
    # A withdrawal always wins: a consent captured offline before the person withdrew it is not given back.
    withdrawn = Consent.objects.filter(member_id=member_id, scope=data["scope"], recipient=data["recipient"].strip(),
                                       withdrawn_on__isnull=False)
    if captured is not None and withdrawn.filter(withdrawn_on__gte=captured.date()).exists():
        raise Refused("consent_withdrawn", _(
            "The person withdrew this consent after it was recorded on the tablet: the withdrawal stands."))
    consent = service_call(member_consent_record, actor=actor, member_id=member_id, data=data)
    return Outcome(case=consent.case, result={**case_summary(consent.case), "consent": {"id": consent.pk}})


def consent_withdraw(*, actor, device: Device, operation: dict) -> Outcome:
    """Whatever changed on the server since, a withdrawal goes in: no version is checked, nothing merges."""
    payload = operation["payload"]
    if payload.get("scope") == ConsentScope.COLLECTION:
        return collection_consent_withdraw(actor=actor, case_id=case_id_of(device, payload.get("case")))
    if "consent" not in payload and "member" in payload:
        return member_consents_withdraw(actor=actor, member_id=member_id_of(device, payload.get("member")),
                                        scope=payload.get("scope"), recipient=payload.get("recipient"))
    consent = service_call(member_consent_withdraw, actor=actor, consent_id=consent_id_of(device,
                                                                                       payload.get("consent")))
    return Outcome(case=consent.case, result={**case_summary(consent.case), "consent": {"id": consent.pk}})


def collection_consent_withdraw(*, actor, case_id: int) -> Outcome:
    """The household takes back its consent to the collection of its data: recorded at once; removing the data is
    the erasure request a person makes on the case page (rights.services), which this does not decide for them."""
    case = service_call(case_for_team_update, case_id=case_id, actor=actor)
    audit_actor_set(actor=actor)
    withdrawn = Consent.objects.filter(case=case, member__isnull=True, scope=ConsentScope.COLLECTION,
                                       withdrawn_on__isnull=True).update(withdrawn_on=timezone.localdate())
    consent = Consent.objects.filter(case=case, member__isnull=True, scope=ConsentScope.COLLECTION).first()
    message = _("The consent to collect the household's data was withdrawn. If they want their data removed, "
                "request the erasure on the case page.") if withdrawn else ""
    return Outcome(case=case, result={**case_summary(case), "consent": {"id": consent.pk if consent else None}},
                   code="erasure_to_request" if withdrawn else "", message=message)


def member_consents_withdraw(*, actor, member_id: int, scope, recipient) -> Outcome:
    """A member's consents of one scope (and recipient), e.g. follow-up contact: each through the rights service."""
    if scope not in ConsentScope.values:
        raise Refused("invalid", _("Some fields are not valid."), {"scope": [_("Choose a consent scope.")]})
    consents = Consent.objects.filter(member_id=member_id, scope=scope, withdrawn_on__isnull=True)
    if isinstance(recipient, str) and recipient.strip():
        consents = consents.filter(recipient=recipient.strip())
    member = Member.objects.filter(pk=member_id).first()
    if member is None:
        raise Refused("not_found", _("The case was not found, or you may not change it."))
    service_call(case_for_team_update, case_id=member.case_id, actor=actor)
    ids = [service_call(member_consent_withdraw, actor=actor, consent_id=pk).pk
           for pk in consents.values_list("pk", flat=True)]
    case = Case.objects.get(pk=member.case_id)
    return Outcome(case=case, result={**case_summary(case), "withdrawn": ids})


class CounsellingSerializer(serializers.Serializer):
    held_on = serializers.DateField()
    language = serializers.CharField(max_length=60)
    interpreter = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    topics = serializers.ListField(child=serializers.ChoiceField(choices=CounsellingTopic.choices), allow_empty=True)
    questions = serializers.CharField(required=False, allow_blank=True, default="")
    outcome = serializers.ChoiceField(choices=CounsellingOutcome.choices)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


def counselling(*, actor, device: Device, operation: dict) -> Outcome:
    payload = operation["payload"]
    case_id = case_id_of(device, payload.get("case"))
    data = dict(valid(CounsellingSerializer(data=payload)))
    session = service_call(counselling_session_record, actor=actor, case_id=case_id, data=data)
    case = Case.objects.get(pk=case_id)
    return Outcome(case=case, result={**case_summary(case), "counselling": {"id": session.pk}})


APPLIERS = {
    "register": register,
    "member_add": member_add,
    "member_edit": member_edit,
    "case_edit": case_edit,
    "consent_record": consent_record,
    "consent_withdraw": consent_withdraw,
    "counselling": counselling,
}
