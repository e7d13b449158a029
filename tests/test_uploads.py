"""Declaration scans are taken by what their bytes are and their size, at the page, the API and the service alike,
and served back as downloads of their detected type under the uploader's file name."""

import io
import tracemalloc
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.urls import reverse
from PIL import Image

from screening import services
from screening.models import Declaration
from screening.uploads import OversizedUpload, UploadLimitHandler, scan_file_name
from tests.conftest import api_as
from tests.screening_steps import family

pytestmark = pytest.mark.django_db

# The site speaks Spanish unless the user chose English.
NOT_A_SCAN = "Solo se pueden adjuntar archivos PDF, JPEG o PNG."
TOO_LARGE = "El archivo pesa más de 10 MB."
MB = 1024 * 1024


def image_bytes(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(out, kind)
    return out.getvalue()


PDF = b"%PDF-1.4\n% declaracion firmada\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"This program cannot be run in DOS mode."
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><script>alert(document.cookie)</script>"
TEXT = b"just some text, not a scan\n"
PDF_WITHOUT_END = b"%PDF-1.4\n" + b"<script>alert(1)</script>\n" * 100  # a header glued onto something else
FAKE_PNG = b"\x89PNG\r\n\x1a\n" + b"<html><script>alert(1)</script></html>"  # the signature and nothing of a PNG
FAKE_JPEG = b"\xff\xd8\xff\xe0" + HTML

REFUSED = [
    ("scan.pdf", EXE, "application/pdf"), ("scan.exe", EXE, "application/octet-stream"),
    ("firma.svg", SVG, "image/svg+xml"), ("firma.png", SVG, "image/png"), ("firma.html", HTML, "text/html"),
    ("firma.pdf", TEXT, "application/pdf"), ("firma.pdf", PDF_WITHOUT_END, "application/pdf"),
    ("firma.png", FAKE_PNG, "image/png"), ("firma.jpg", FAKE_JPEG, "image/jpeg"),
    ("firma.png", PNG[:len(PNG) // 2], "image/png"), ("firma.jpg", JPEG[:len(JPEG) // 2], "image/jpeg"),
]


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def ana(caseworker, caravan, tij, media):
    case = family(actor=caseworker, programme=caravan, office=tij)
    return case.members.get(given_names="Ana Lucía")


def files_in(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def fields(member) -> dict:
    return {"signed_on": member.case.intake_date.isoformat(), "witness": "Sor Juana Inés"}


def page_url(member) -> str:
    return reverse("declaration_new", args=[member.case_id, member.pk])


def api_url(member) -> str:
    return f"/api/v1/members/{member.pk}/declarations/"


def page_post(client, user, member, scan):
    client.force_login(user)
    return client.post(page_url(member), {**fields(member), "scan": scan})


def api_post(user, member, scan):
    return api_as(user).post(api_url(member), {**fields(member), "scan": scan}, format="multipart")


def service_record(user, member, scan):
    return services.declaration_record(actor=user, member_id=member.pk, signed_on=member.case.intake_date,
                                       witness="Sor Juana Inés", scan=scan)


def page_error(response) -> str:
    return response.context["form"].errors["scan"][0]


# Refused by content


@pytest.mark.parametrize("name,content,content_type", REFUSED)
def test_a_file_that_is_not_a_pdf_jpeg_or_png_by_its_content_is_refused_at_the_page(
        client, caseworker, ana, media, name, content, content_type):
    response = page_post(client, caseworker, ana, SimpleUploadedFile(name, content, content_type=content_type))

    assert response.status_code == 200
    assert page_error(response) == NOT_A_SCAN and NOT_A_SCAN in response.content.decode()
    assert not Declaration.objects.exists() and files_in(media) == []


@pytest.mark.parametrize("name,content,content_type", REFUSED)
def test_a_file_that_is_not_a_pdf_jpeg_or_png_by_its_content_is_refused_by_the_api(
        caseworker, ana, media, name, content, content_type):
    response = api_post(caseworker, ana, SimpleUploadedFile(name, content, content_type=content_type))

    assert response.status_code == 400
    assert response.json()["fields"]["scan"] == [NOT_A_SCAN]
    assert not Declaration.objects.exists() and files_in(media) == []


@pytest.mark.parametrize("name,content,content_type", REFUSED)
def test_a_file_that_is_not_a_pdf_jpeg_or_png_by_its_content_is_refused_by_the_service(
        caseworker, ana, media, name, content, content_type):
    with pytest.raises(ValidationError) as refused:
        service_record(caseworker, ana, SimpleUploadedFile(name, content, content_type=content_type))

    assert refused.value.message_dict == {"scan": [NOT_A_SCAN]}
    assert not Declaration.objects.exists() and files_in(media) == []


def test_the_refusals_are_in_english_for_who_asks_in_english(client, caseworker, ana, media, settings):
    caseworker.language = "en"
    caseworker.save()
    settings.AVR_UPLOAD_MAX_MB = 1

    page = page_post(client, caseworker, ana, SimpleUploadedFile("scan.pdf", EXE))
    api = api_as(caseworker).post(api_url(ana), {**fields(ana), "scan": SimpleUploadedFile("f.pdf", PDF + b"0" * MB)},
                                  format="multipart", HTTP_ACCEPT_LANGUAGE="en")

    assert page.status_code == 200 and page_error(page) == "Only PDF, JPEG or PNG files can be attached."
    assert api.status_code == 400 and api.json()["fields"]["scan"] == ["The file is larger than 1 MB."]
    assert not Declaration.objects.exists() and files_in(media) == []


# Refused by size


class SparseBody:
    """A multipart body with one large file part whose bytes are made as they are read, never held whole."""

    def __init__(self, fields: dict, file_name: str, size: int, boundary: str = "SparseBoundary"):
        parts = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
                         for key, value in fields.items())
        head = (parts + f'--{boundary}\r\nContent-Disposition: form-data; name="scan"; filename="{file_name}"\r\n'
                f"Content-Type: application/pdf\r\n\r\n%PDF-1.4\n".encode())
        tail = f"\n%%EOF\n\r\n--{boundary}--\r\n".encode()
        self.segments = [(head, len(head)), (None, size - len(b"%PDF-1.4\n") - len(b"\n%%EOF\n")), (tail, len(tail))]
        self.length = sum(length for _content, length in self.segments)
        self.content_type = f"multipart/form-data; boundary={boundary}"

    def read(self, size: int = -1) -> bytes:
        out = b""
        while self.segments and (size < 0 or len(out) < size):
            content, length = self.segments[0]
            take = length if size < 0 else min(length, size - len(out))
            out += b"0" * take if content is None else content[:take]
            if take == length:
                self.segments.pop(0)
            else:
                self.segments[0] = (None if content is None else content[take:], length - take)
        return out

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)

    def environ(self, path: str) -> dict:
        return {"REQUEST_METHOD": "POST", "PATH_INFO": path, "CONTENT_TYPE": self.content_type,
                "CONTENT_LENGTH": str(self.length), "wsgi.input": self}


def streamed(client, path: str, member, size: int):
    """POST a `size`-byte scan without holding it in memory, with the peak memory the request took."""
    body = SparseBody(fields(member), "firma.pdf", size)
    tracemalloc.start()
    try:
        response = client.request(**body.environ(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return response, peak


def test_a_50_mb_scan_is_refused_at_the_page_before_its_body_is_read(client, caseworker, ana, media):
    client.force_login(caseworker)

    response, peak = streamed(client, page_url(ana), ana, 50 * MB)

    assert response.status_code == 413
    assert "La solicitud es demasiado grande" in response.content.decode()
    assert peak < 20 * MB
    assert not Declaration.objects.exists() and files_in(media) == []


def test_a_50_mb_scan_is_refused_by_the_api_before_its_body_is_read(caseworker, ana, media):
    response, peak = streamed(api_as(caseworker), api_url(ana), ana, 50 * MB)

    assert response.status_code == 413 and response.json()["code"] == "too_large"
    assert peak < 20 * MB
    assert not Declaration.objects.exists() and files_in(media) == []


def test_a_scan_over_the_limit_but_within_the_request_allowance_is_counted_not_kept_and_named_by_the_form(
        client, caseworker, ana, media, settings):
    settings.AVR_UPLOAD_MAX_MB = 10
    client.force_login(caseworker)

    page, page_peak = streamed(client, page_url(ana), ana, 11 * MB)
    api, api_peak = streamed(api_as(caseworker), api_url(ana), ana, 11 * MB)

    assert page.status_code == 200 and page_error(page) == TOO_LARGE
    assert api.status_code == 400 and api.json()["fields"]["scan"] == [TOO_LARGE]
    assert max(page_peak, api_peak) < 8 * MB
    assert not Declaration.objects.exists() and files_in(media) == []


class Unread(io.RawIOBase):
    """A 50 MB file (sparse on disk) that counts what is read of it."""

    def __init__(self, path: Path):
        with open(path, "wb") as file:
            file.truncate(50 * MB)
        self.file, self.read_bytes = open(path, "rb"), 0

    def readable(self):
        return True

    def readinto(self, buffer):
        count = self.file.readinto(buffer)
        self.read_bytes += count
        return count

    def seek(self, *args):
        return self.file.seek(*args)


def test_a_50_mb_scan_is_refused_by_the_service_before_any_of_it_is_read(caseworker, ana, media, tmp_path):
    source = Unread(tmp_path / "big.pdf")

    with pytest.raises(ValidationError) as refused:
        service_record(caseworker, ana, UploadedFile(source, name="big.pdf", content_type="application/pdf",
                                                     size=50 * MB))

    assert refused.value.message_dict == {"scan": [TOO_LARGE]}
    assert source.read_bytes == 0
    assert not Declaration.objects.exists() and files_in(media) == []


def test_the_limit_follows_the_setting(client, caseworker, ana, media, settings):
    settings.AVR_UPLOAD_MAX_MB = 1
    just_over = PDF[:-6] + b"0" * MB + b"\n%%EOF\n"

    page = page_post(client, caseworker, ana, SimpleUploadedFile("firma.pdf", just_over))
    api = api_post(caseworker, ana, SimpleUploadedFile("firma.pdf", just_over))

    assert page.status_code == 200 and page_error(page) == "El archivo pesa más de 1 MB."
    assert api.status_code == 400 and api.json()["fields"]["scan"] == ["El archivo pesa más de 1 MB."]
    assert not Declaration.objects.exists() and files_in(media) == []


def test_past_the_limit_the_upload_handler_passes_no_more_bytes_on_and_reports_the_size(settings):
    settings.AVR_UPLOAD_MAX_MB = 1
    handler = UploadLimitHandler()
    handler.new_file("scan", "firma.pdf", "application/pdf", None)
    chunk = b"0" * (64 * 1024)

    passed = [handler.receive_data_chunk(chunk, start) for start in range(0, 2 * MB, len(chunk))]
    upload = handler.file_complete(2 * MB)

    assert sum(len(c) for c in passed if c) == MB and passed[16:] == [None] * 16
    assert isinstance(upload, OversizedUpload) and upload.size == 2 * MB and upload.name == "firma.pdf"


def test_under_the_limit_the_upload_handler_leaves_the_file_to_the_next_handler(settings):
    handler = UploadLimitHandler()
    handler.new_file("scan", "firma.pdf", "application/pdf", None)

    assert handler.receive_data_chunk(PDF, 0) == PDF
    assert handler.file_complete(len(PDF)) is None


# Accepted, kept and served back


def downloads(client, user, declaration):
    client.force_login(user)
    return [client.get(reverse("declaration_scan", args=[declaration.member.case_id, declaration.pk])),
            api_as(user).get(f"/api/v1/declarations/{declaration.pk}/scan/")]


@pytest.mark.parametrize("door", ["page", "api", "service"])
def test_a_png_named_pdf_is_kept_as_a_png_and_served_as_one_under_its_own_name(client, caseworker, ana, media, door):
    scan = SimpleUploadedFile("../../firma.pdf", PNG, content_type="application/pdf")
    if door == "page":
        assert page_post(client, caseworker, ana, scan).status_code == 302
    elif door == "api":
        assert api_post(caseworker, ana, scan).status_code == 201
    else:
        service_record(caseworker, ana, scan)
    declaration = Declaration.objects.get()

    assert (declaration.scan_name, declaration.scan_type) == ("firma.pdf", "image/png")
    assert declaration.scan.name.endswith(".png") and "firma" not in declaration.scan.name
    assert [path.read_bytes() for path in files_in(media)] == [PNG]
    for response in downloads(client, caseworker, declaration):
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"] == "attachment; filename=\"firma.png\"; filename*=UTF-8''firma.png"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == PNG
    listed = client.get(reverse("case_screening", args=[ana.case_id])).content.decode()
    assert f'data-testid="declaration-scan-{declaration.pk}">firma.pdf</a>' in listed


@pytest.mark.parametrize("name,content,content_type,served_as", [
    ("Declaración firmada.pdf", PDF, "application/pdf", "Declaraci%C3%B3n%20firmada.pdf"),
    ("foto \"firma\".JPEG", JPEG, "image/jpeg", "foto%20_firma_.JPEG"),
])
def test_an_accepted_scan_is_served_with_its_detected_type_and_original_name(
        client, caseworker, ana, media, name, content, content_type, served_as):
    page = page_post(client, caseworker, ana, SimpleUploadedFile(name, content, content_type="text/html"))
    declaration = Declaration.objects.get()

    assert page.status_code == 302 and declaration.scan_type == content_type
    for response in downloads(client, caseworker, declaration):
        assert response["Content-Type"] == content_type
        assert response["Content-Disposition"].endswith(f"filename*=UTF-8''{served_as}")
        assert response["X-Content-Type-Options"] == "nosniff"


def test_a_scan_kept_before_its_type_was_recorded_is_typed_by_its_bytes(client, caseworker, ana, media):
    service_record(caseworker, ana, SimpleUploadedFile("firma.jpg", JPEG))
    Declaration.objects.update(scan_name="", scan_type="")
    declaration = Declaration.objects.get()

    for response in downloads(client, caseworker, declaration):
        assert response["Content-Type"] == "image/jpeg"
        assert response["Content-Disposition"].endswith(f"filename*=UTF-8''declaration-scan-{declaration.pk}.jpg")


@pytest.mark.parametrize("given,kept", [
    ("../../etc/passwd.pdf", "passwd.pdf"), ("C:\\Users\\ana\\firma.pdf", "firma.pdf"),
    ("fir\x00ma\r\n.pdf", "fir ma .pdf"), ('a"b<c>|?*.pdf', "a_b_c____.pdf"), ("...", "scan"), ("", "scan"),
    (".htaccess", "htaccess"), ("x" * 300 + ".pdf", "x" * 156 + ".pdf"), ("Declaración.pdf", "Declaración.pdf"),
])
def test_the_uploaders_file_name_is_kept_without_folders_control_characters_or_excess(given, kept):
    assert scan_file_name(given) == kept
