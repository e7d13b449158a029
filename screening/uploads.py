"""Uploaded scans: accepted by what their bytes are (PDF, JPEG, PNG) and their size, never by their name or the type
the browser claims; stored under a name of our own, served back as an attachment of the type they were found to be,
under the uploader's file name."""

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import FileResponse
from django.utils.translation import gettext as _
from PIL import Image


@dataclass(frozen=True)
class ScanType:
    content_type: str
    extensions: tuple[str, ...]
    magic: bytes
    pillow_format: str = ""

    @property
    def extension(self) -> str:
        return self.extensions[0]


PDF = ScanType("application/pdf", ("pdf",), b"%PDF-")
JPEG = ScanType("image/jpeg", ("jpg", "jpeg"), b"\xff\xd8\xff", "JPEG")
PNG = ScanType("image/png", ("png",), b"\x89PNG\r\n\x1a\n", "PNG")
SCAN_TYPES = {kind.content_type: kind for kind in (PDF, JPEG, PNG)}
UNKNOWN = ScanType("application/octet-stream", ("bin",), b"")
# PDF readers look for the end marker in the last 1,024 bytes; a file cut short (or only a header) has none there.
PDF_END, PDF_TAIL = b"%%EOF", 1024
FILE_NAME_MAX = 160
NOT_IN_FILE_NAMES = re.compile(r'["*:<>?|]')


def upload_limit_bytes() -> int:
    return settings.AVR_UPLOAD_MAX_MB * 1024 * 1024


def bytes_at(file, offset: int, size: int) -> bytes:
    file.seek(offset)
    chunk = file.read(size)
    file.seek(0)
    return chunk


def scan_type_of(file, size: int | None = None) -> ScanType | None:
    """What the file is by its bytes: a PDF with its header and end marker, or a JPEG or PNG that Pillow reads as
    one; None for anything else, whatever it is called."""
    head = bytes_at(file, 0, 16)
    kind = next((kind for kind in SCAN_TYPES.values() if head.startswith(kind.magic)), None)
    if kind is PDF:
        size = file.size if size is None else size
        return PDF if PDF_END in bytes_at(file, max(size - PDF_TAIL, 0), PDF_TAIL) else None
    if kind is not None and not is_image(file, kind):
        return None
    return kind


def is_image(file, kind: ScanType) -> bool:
    file.seek(0)
    try:
        with Image.open(file, formats=[kind.pillow_format]) as image:
            image.verify()  # a PNG's chunks and their checksums, up to its end
            if image.format != kind.pillow_format:
                return False
        if kind is JPEG:  # verify() reads nothing of a JPEG: decode it, at an eighth of its size to spare memory
            file.seek(0)
            with Image.open(file, formats=["JPEG"]) as image:
                image.draft("RGB", (image.width // 8 or 1, image.height // 8 or 1))
                image.load()
        return True
    # A damaged or hostile image may fail anywhere in the decoder (a decompression bomb included): it is not a scan.
    except Exception:  # noqa: BLE001
        return False
    finally:
        file.seek(0)


def scan_errors(scan: UploadedFile | None, name: str = "scan") -> dict:
    """Why this upload is refused (too large, or not a PDF, JPEG or PNG by its content); empty when it is fine.
    The size is checked first, from what the upload handlers counted, so a large file is refused unread."""
    if not scan:
        return {}
    if scan.size > upload_limit_bytes():
        return {name: [_("The file is larger than %(max)s MB.") % {"max": settings.AVR_UPLOAD_MAX_MB}]}
    if scan_type_of(scan) is None:
        return {name: [_("Only PDF, JPEG or PNG files can be attached.")]}
    return {}


def scan_file_name(name: str | None) -> str:
    """The uploader's file name fit to be kept and sent back: no folders, control characters or characters file
    systems refuse, at most 160 characters with its extension kept."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    base = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in base)
    base = " ".join(NOT_IN_FILE_NAMES.sub("_", base).split()).strip(". ")
    if len(base) > FILE_NAME_MAX:
        stem, dot, extension = base.rpartition(".")
        extension = extension[:16] if dot else ""
        base = (stem if dot else base)[:FILE_NAME_MAX - len(extension) - 1].rstrip(". ") + (dot + extension)
    return base or "scan"


def scan_stored(scan: UploadedFile, stem: str) -> tuple[UploadedFile, str, str]:
    """The scan renamed for storage (our name, the extension of its content), its sanitised original name and its
    detected type, for the declaration's row."""
    kind = scan_type_of(scan)
    original = scan_file_name(scan.name)
    scan.name = f"{stem}.{kind.extension}"
    return scan, original, kind.content_type


def download_name(name: str, kind: ScanType) -> str:
    """The original name with an extension that says what the file is (a PNG called firma.pdf goes as firma.png)."""
    stem, dot, extension = name.rpartition(".")
    if dot and stem and extension.lower() in kind.extensions:
        return name
    return f"{stem if dot and stem else name}.{kind.extension}"


def attachment_header(name: str) -> str:
    """RFC 6266: an ASCII fallback for old clients and the real name, UTF-8 and percent-encoded, for the rest."""
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().replace("\\", "_")
    fallback = fallback.replace('"', "_").strip() or "scan"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def scan_response(field_file, *, file_name: str, content_type: str) -> FileResponse:
    """A stored scan as a download of its detected type under the uploader's name, so no browser renders it as a
    page; rows from before the type was kept are typed by their bytes again."""
    handle = field_file.open("rb")
    kind = SCAN_TYPES.get(content_type) or scan_type_of(handle, size=field_file.size) or UNKNOWN
    response = FileResponse(handle, content_type=kind.content_type)
    response["Content-Disposition"] = attachment_header(download_name(file_name, kind))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def declaration_scan_response(declaration) -> FileResponse:
    return scan_response(declaration.scan, file_name=declaration.scan_name or f"declaration-scan-{declaration.pk}",
                         content_type=declaration.scan_type)


class OversizedUpload(UploadedFile):
    """A file that went over the upload limit: its size as counted, none of its bytes."""

    def __init__(self, *, name: str, content_type: str, size: int):
        super().__init__(file=None, name=name, content_type=content_type, size=size)

    def open(self, mode=None):
        raise ValueError("An upload over the limit keeps none of its bytes.")


class UploadLimitHandler(FileUploadHandler):
    """First of the upload handlers: past AVR_UPLOAD_MAX_MB it keeps counting but passes no more bytes on, so a
    huge upload never fills the disk or memory, and the service still learns its size and refuses it with a
    message (raising StopUpload here would drop the form's other fields and show no message at all)."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        return raw_data if self.received <= upload_limit_bytes() else None

    def file_complete(self, file_size):
        if self.received <= upload_limit_bytes():
            return None  # the next handler (memory or temporary file) has every byte
        return OversizedUpload(name=self.file_name, content_type=self.content_type, size=self.received)
