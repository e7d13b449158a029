"""Uploaded scans: accepted by what their bytes are (PDF, JPEG, PNG) and their size, never by their name."""

from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class ScanType:
    content_type: str
    extension: str
    magic: bytes


SCAN_TYPES = [
    ScanType("application/pdf", "pdf", b"%PDF-"),
    ScanType("image/jpeg", "jpg", b"\xff\xd8\xff"),
    ScanType("image/png", "png", b"\x89PNG\r\n\x1a\n"),
]
UNKNOWN = ScanType("application/octet-stream", "bin", b"")


def scan_type_of(head: bytes) -> ScanType | None:
    return next((kind for kind in SCAN_TYPES if head.startswith(kind.magic)), None)


def file_head(file) -> bytes:
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    return head


def scan_errors(scan: UploadedFile | None, name: str = "scan") -> dict:
    """Why this upload is refused (too large, or not a PDF, JPEG or PNG by its content); empty when it is fine."""
    if not scan:
        return {}
    limit = settings.AVR_UPLOAD_MAX_MB
    if scan.size > limit * 1024 * 1024:
        return {name: [_("The file is larger than %(limit)d MB.") % {"limit": limit}]}
    if scan_type_of(file_head(scan)) is None:
        return {name: [_("Upload a PDF, JPEG or PNG file (this file is none of them, whatever its name).")]}
    return {}


def scan_named(scan: UploadedFile, stem: str) -> UploadedFile:
    """Store the scan under a name of our own with the extension its content has, never the uploader's name."""
    scan.name = f"{stem}.{scan_type_of(file_head(scan)).extension}"
    return scan


def scan_response(field_file, stem: str) -> FileResponse:
    """A stored scan as a download with its real type, so no browser renders it as a page."""
    handle = field_file.open("rb")
    kind = scan_type_of(file_head(handle)) or UNKNOWN
    response = FileResponse(handle, as_attachment=True, filename=f"{stem}.{kind.extension}",
                            content_type=kind.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
