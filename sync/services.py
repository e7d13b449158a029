"""Booth tablets and what they queued offline: enrolment, reserved references, applying operations exactly once.

Each operation is applied in its own transaction, in the tablet's order, through the same services as the online
forms (registration: consent first, duplicate check). The tablet's row is locked for each operation, so two
uploads of one queue at once apply each operation once.
"""

import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.models import Office
from audit.models import AuditAction
from audit.services import audit_record
from avr.idempotency import request_digest
from cases.permissions import user_assignments
from cases.registration import may_register_at
from sync.keys import device_secret_new, user_key
from sync.models import (
    Device,
    DeviceStatus,
    ReferenceBlock,
    SyncOperation,
)

logger = logging.getLogger(__name__)

# The form definitions a tablet may have cached. A new version is added here; an old one stays while tablets
# may still hold operations captured with it.
FORM_VERSION = "registration-1"
FORM_VERSIONS = frozenset({FORM_VERSION})
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud from a slip


class DeviceRevoked(Exception):
    """The tablet was withdrawn from service: it may not sync nor unlock its queue."""


class BatchInvalid(Exception):
    def __init__(self, code: str, message: str, fields: dict | None = None):
        super().__init__(message)
        self.code, self.message, self.fields = code, message, fields or {}


def device_revoked_message() -> str:
    return _("This tablet was withdrawn from service. Nothing queued on it was lost: export the queue and give the "
             "file to your supervisor.")


# Enrolment and references


def registering_offices(user) -> list[Office]:
    return [a.office for a in user_assignments(user) if a.role == Role.CASEWORKER and a.office]


@transaction.atomic
def device_enrol(*, actor, label: str, office: Office | None) -> Device:
    offices = registering_offices(actor)
    if office is None and len(offices) == 1:
        office = offices[0]
    errors = {}
    if not label.strip():
        errors["label"] = [_("Give the tablet a name people at the booth will recognise.")]
    if office is None:
        errors["office"] = [_("Choose the registering office.")]
    elif not may_register_at(actor, office):
        errors["office"] = [_("You cannot register cases at this office.")]
    if errors:
        raise ValidationError(errors)
    device = Device(label=label.strip()[:80], office=office, enrolled_by=actor, secret=device_secret_new(),
                    last_user=actor)
    for _attempt in range(8):  # 32^4 prefixes per office: a clash is rare, and a retry settles it
        device.reference_prefix = f"P-{office.code}-{''.join(secrets.choice(REFERENCE_ALPHABET) for _ in range(4))}-"
        try:
            with transaction.atomic():
                device.save(force_insert=True)
            break
        except IntegrityError:
            continue
    else:
        raise RuntimeError("no free provisional reference prefix")
    reference_block_reserve(device=device)
    audit_record(actor=actor, action=AuditAction.INSERT, obj=device, reason=f"booth tablet enrolled at {office.code}")
    return device


@transaction.atomic
def reference_block_reserve(*, device: Device) -> ReferenceBlock:
    """The next numbers of the tablet's own series, never handed to another tablet (the prefix is its own)."""
    device = Device.objects.select_for_update().get(pk=device.pk)
    start = device.next_reference
    end = start + settings.SYNC_REFERENCE_BLOCK_SIZE - 1
    device.next_reference = end + 1
    device.save(update_fields=["next_reference"])
    return ReferenceBlock.objects.create(device=device, start=start, end=end)


def reference_reserved(device: Device, reference: str) -> bool:
    if not reference.startswith(device.reference_prefix):
        return False
    number = reference[len(device.reference_prefix):]
    if not (number.isdigit() and len(number) >= 4):
        return False
    return device.reference_blocks.filter(start__lte=int(number), end__gte=int(number)).exists()


def provisional_reference(device: Device, number: int) -> str:
    return f"{device.reference_prefix}{number:04d}"


# Who sees which tablet


def devices_visible_to(user):
    """Caseworkers see the tablets of their booths; supervisors those of the offices they supervise."""
    scope = Q(pk__in=[])
    for assignment in user_assignments(user):
        if assignment.role == Role.CASEWORKER and assignment.office_id:
            scope |= Q(office_id=assignment.office_id)
        elif assignment.role == Role.SUPERVISOR:
            if assignment.office_id:
                scope |= Q(office_id=assignment.office_id)
            elif assignment.country:
                scope |= Q(office__country=assignment.country)
            elif assignment.programme_id:
                scope |= Q(office__country__in=assignment.programme.registration_countries)
    return Device.objects.filter(scope)


def device_for_user(*, user, device_id) -> Device:
    try:
        return devices_visible_to(user).select_related("office").get(pk=device_id)
    except (Device.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def device_key_for(*, user, device: Device) -> bytes:
    if device.status != DeviceStatus.ACTIVE:
        raise DeviceRevoked()
    if not may_register_at(user, device.office):
        raise Http404  # the key is only ever a caseworker's of that booth: for anyone else there is none
    return user_key(secret=device.secret, user_id=user.pk)


def is_supervisor_of(user, device: Device) -> bool:
    return devices_visible_to(user).filter(pk=device.pk).exists() and any(
        a.role == Role.SUPERVISOR for a in user_assignments(user))


@transaction.atomic
def device_revoke(*, actor, device_id, reason: str) -> Device:
    device = device_for_user(user=actor, device_id=device_id)
    if not is_supervisor_of(actor, device):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the tablet is withdrawn (lost, stolen, broken).")]})
    device = Device.objects.select_for_update().get(pk=device.pk)
    if device.status == DeviceStatus.ACTIVE:
        device.status, device.revoked_at, device.revoked_by = DeviceStatus.REVOKED, timezone.now(), actor
        device.revoke_reason = reason.strip()[:300]
        device.save(update_fields=["status", "revoked_at", "revoked_by", "revoke_reason"])
        audit_record(actor=actor, action=AuditAction.UPDATE, obj=device,
                     reason=f"booth tablet withdrawn: {device.revoke_reason}")
    return device


# Applying a batch


@dataclass
class Envelope:
    device_id: str
    operations: list
    pending: int | None
    oldest_pending_at: object
    storage: dict


def envelope_read(data) -> Envelope:
    if not isinstance(data, dict):
        raise BatchInvalid("invalid", _("Send a JSON object with the device and its operations."))
    operations = data.get("operations", [])
    if not isinstance(operations, list):
        raise BatchInvalid("invalid", _("Some fields are not valid."),
                           {"operations": [_("Send the operations as a list.")]})
    if len(operations) > settings.SYNC_BATCH_MAX:
        raise BatchInvalid("batch_too_large", _("Send at most %(count)s operations at a time.")
                           % {"count": settings.SYNC_BATCH_MAX})
    pending = data.get("pending")
    oldest = data.get("oldest_pending_at")
    storage = data.get("storage") if isinstance(data.get("storage"), dict) else {}
    return Envelope(device_id=str(data.get("device") or ""), operations=operations,
                    pending=pending if isinstance(pending, int) and 0 <= pending < 10**7 else None,
                    oldest_pending_at=parse_datetime(oldest) if isinstance(oldest, str) else None,
                    storage=storage)


def sync_batch(*, actor, data) -> dict:
    """Apply a tablet's batch in sequence order; each operation answers for itself."""
    from sync.operations import operation_apply

    envelope = envelope_read(data)
    device = device_for_user(user=actor, device_id=envelope.device_id)
    if device.status != DeviceStatus.ACTIVE:
        device_seen(device, actor, envelope, results=[], error="device_revoked")
        raise DeviceRevoked()
    results = []
    for operation in sorted(envelope.operations, key=operation_order):
        result = operation_apply(actor=actor, device=device, operation=operation)
        results.append(result)
        if result["status"] == "retry":
            break  # later operations may rest on this one: the tablet sends them again after it
    device_seen(device, actor, envelope, results)
    device.refresh_from_db(fields=["last_sequence"])
    return {"results": results, "last_sequence": device.last_sequence}


def operation_order(operation) -> tuple:
    sequence = operation.get("sequence") if isinstance(operation, dict) else None
    return (0, sequence) if isinstance(sequence, int) else (1, 0)


def device_seen(device: Device, actor, envelope: Envelope, results: list, error: str = "") -> None:
    """Write what the tablet said of its queue; the 24-hour alert re-arms when its oldest operation changes."""
    refused = [r for r in results if r["status"] in ("rejected", "retry")]
    values = {"last_seen_at": timezone.now(), "last_user": actor}
    if envelope.pending is not None:
        answered = sum(1 for r in results if r["status"] not in ("rejected", "retry"))
        values["pending"] = max(envelope.pending - answered, 0)
        values["oldest_pending_at"] = envelope.oldest_pending_at if values["pending"] else None
    if refused or error:
        values["last_error"] = error or ", ".join(sorted({r["code"] for r in refused}))[:300]
        values["last_error_at"] = timezone.now()
    storage = envelope.storage
    for name, key in (("storage_usage", "usage"), ("storage_quota", "quota")):
        if isinstance(storage.get(key), int) and 0 <= storage[key] < 2**62:
            values[name] = storage[key]
    if isinstance(storage.get("persisted"), bool):
        values["storage_persisted"] = storage["persisted"]
    current = Device.objects.filter(pk=device.pk).values_list("oldest_pending_at", flat=True).first()
    if "oldest_pending_at" in values and values["oldest_pending_at"] != current:
        values["alerted_at"] = None
    Device.objects.filter(pk=device.pk).update(**values)


def operation_digest(operation: dict) -> str:
    return request_digest({name: operation.get(name) for name in
                           ("sequence", "kind", "form_version", "captured_at", "payload")})


def operation_recorded(*, device: Device, actor, operation: dict, status: str, code: str, result: dict,
                       case=None, possible_duplicates: int = 0) -> None:
    SyncOperation.objects.create(
        id=operation["id"], device=device, user=actor, sequence=operation["sequence"], kind=operation["kind"][:24],
        form_version=str(operation.get("form_version") or "")[:32],
        captured_at=parse_datetime(operation["captured_at"]) if isinstance(operation.get("captured_at"), str)
        else None,
        payload_digest=operation_digest(operation), status=status, code=code, result=result, case=case,
        possible_duplicates=possible_duplicates)
    if operation["sequence"] > device.last_sequence:
        Device.objects.filter(pk=device.pk, last_sequence__lt=operation["sequence"]).update(
            last_sequence=operation["sequence"])


