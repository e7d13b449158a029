"""The way out for a queue that cannot sync from its tablet: its encrypted export, read back by the server.

A tablet that is withdrawn, broken, or held by a user who must sign out exports its queue as a file: the
operations still encrypted, and the queue's key wrapped with the user's key for that tablet. Only the server can
derive that key (sync.keys), so the file is as safe as the tablet was; here it is unwrapped and each operation
applied through the same path as a sync, as the caseworker who captured it, exactly once.
"""

import binascii
import json

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import audit_record
from sync.keys import b64url_decode, user_key
from sync.models import Device
from sync.services import (
    FORM_VERSION,
    BatchInvalid,
    devices_visible_to,
    is_supervisor_of,
)

EXPORT_FORMAT = "avr-booth-export-1"
EXPORT_MAX_BYTES = 20 * 1024 * 1024


def _bytes(text) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not text")
    return b64url_decode(text.strip().replace("+", "-").replace("/", "_").rstrip("="))


def export_refused() -> BatchInvalid:
    return BatchInvalid("export_unreadable", _(
        "This file is not a queue exported from a booth tablet, or it was changed after the export. Nothing was "
        "applied; keep the file and ask for help."))


def export_read(raw: bytes) -> dict:
    if len(raw) > EXPORT_MAX_BYTES:
        raise BatchInvalid("too_large", _("The file is larger than an exported queue can be."))
    try:
        export = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise export_refused() from None
    if not isinstance(export, dict) or export.get("format") != EXPORT_FORMAT \
            or not isinstance(export.get("operations"), list):
        raise export_refused()
    return export


def export_owner(export: dict, importer) -> tuple[Device, object]:
    """The tablet and the caseworker who queued it; the importer is that caseworker or a supervisor of the tablet."""
    try:
        device = Device.objects.select_related("office").get(pk=str(export.get("device")))
        owner = get_user_model().objects.get(pk=int(export.get("user")))
    except (Device.DoesNotExist, get_user_model().DoesNotExist, ValueError, TypeError):
        raise export_refused() from None
    if importer.pk != owner.pk and not is_supervisor_of(importer, device):
        if not devices_visible_to(importer).filter(pk=device.pk).exists():
            raise Http404
        raise PermissionDenied
    return device, owner


def operations_decrypted(export: dict, device: Device, owner) -> list:
    """Each operation in clear; one that does not decrypt is answered as such and the rest still go."""
    try:
        data_key = aes_key_unwrap(user_key(secret=device.secret, user_id=owner.pk), _bytes(export.get("wrapped_key")))
    except (InvalidUnwrap, ValueError, binascii.Error):
        raise export_refused() from None
    cipher = AESGCM(data_key)
    operations = []
    for sealed in export["operations"]:
        operations.append(_opened(cipher, sealed))
    return operations


def _opened(cipher: AESGCM, sealed) -> dict:
    if not isinstance(sealed, dict):
        return {"corrupt": True}
    try:
        clear = json.loads(cipher.decrypt(_bytes(sealed.get("iv")), _bytes(sealed.get("ciphertext")), None))
    except Exception:  # noqa: BLE001 - a changed or truncated record fails its tag: it is refused, not guessed at
        return {"id": sealed.get("id"), "sequence": sealed.get("sequence"), "corrupt": True}
    body = clear if isinstance(clear, dict) and "payload" in clear else {"payload": clear}
    return {"id": sealed.get("id"), "sequence": sealed.get("sequence"), "kind": sealed.get("kind"),
            "captured_at": sealed.get("captured_at"), "form_version": sealed.get("form_version") or FORM_VERSION,
            **{k: v for k, v in body.items() if k in ("payload", "form_version", "kind", "captured_at")}}


def export_import(*, importer, raw: bytes, request=None) -> dict:
    from sync.operations import operation_apply, refused_result

    export = export_read(raw)
    device, owner = export_owner(export, importer)
    operations = operations_decrypted(export, device, owner)
    audit_record(actor=importer, action=AuditAction.INSERT, request=request, obj=device,
                 reason=f"booth queue import: {len(operations)} operations of user {owner.pk}")
    results = []
    for operation in sorted(operations, key=lambda o: o.get("sequence") if isinstance(o.get("sequence"), int)
                            else 2**62):
        if operation.get("corrupt"):
            results.append(refused_result(operation, "corrupt", _(
                "This operation was damaged in the file and cannot be read; the others were applied.")))
            continue
        results.append(operation_apply(actor=owner, device=device, operation=operation))
    return {"results": results, "last_sequence": Device.objects.get(pk=device.pk).last_sequence}
