"""Declaration scans are taken by what their bytes are and their size, at the page and the API, and served as
downloads with their real type."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from screening.models import Declaration
from tests.conftest import api_as
from tests.screening_steps import family

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% declaracion firmada\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EXE = b"MZ\x90\x00" + b"\x00" * 60
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><script>alert(document.cookie)</script>"
TEXT = b"just some text, not a scan\n"


@pytest.fixture
def ana(caseworker, caravan, tij, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = family(actor=caseworker, programme=caravan, office=tij)
    return case.members.get(given_names="Ana Lucía")


def page_post(client, user, member, scan):
    client.force_login(user)
    return client.post(reverse("declaration_new", args=[member.case_id, member.pk]), {
        "signed_on": member.case.intake_date.isoformat(), "witness": "Sor Juana Inés", "scan": scan})


def api_post(user, member, scan):
    return api_as(user).post(f"/api/v1/members/{member.pk}/declarations/", {
        "signed_on": member.case.intake_date.isoformat(), "witness": "Sor Juana Inés", "scan": scan},
        format="multipart")


@pytest.mark.parametrize("name,content,content_type", [
    ("firma.pdf", TEXT, "application/pdf"), ("firma.pdf", EXE, "application/pdf"),
    ("firma.exe", EXE, "application/octet-stream"), ("firma.svg", SVG, "image/svg+xml"),
    ("firma.html", HTML, "text/html"), ("firma.png", SVG, "image/png")])
def test_a_file_that_is_not_a_pdf_jpeg_or_png_by_its_content_is_refused_at_the_page_and_the_api(
        client, caseworker, ana, name, content, content_type):
    page = page_post(client, caseworker, ana, SimpleUploadedFile(name, content, content_type=content_type))
    api = api_post(caseworker, ana, SimpleUploadedFile(name, content, content_type=content_type))

    assert page.status_code == 200 and 'id="id_scan_error"' in page.content.decode()
    assert api.status_code == 400 and "scan" in api.json()["fields"]
    assert not Declaration.objects.exists()


def test_a_scan_larger_than_the_configured_limit_is_refused_at_both_doors(client, caseworker, ana, settings):
    settings.AVR_UPLOAD_MAX_MB = 1
    big = PDF + b"0" * (1024 * 1024)

    page = page_post(client, caseworker, ana, SimpleUploadedFile("firma.pdf", big, content_type="application/pdf"))
    api = api_post(caseworker, ana, SimpleUploadedFile("firma.pdf", big, content_type="application/pdf"))

    assert page.status_code == 200 and "1 MB" in page.content.decode()
    assert api.status_code == 400 and "scan" in api.json()["fields"]
    assert not Declaration.objects.exists()


def test_a_png_named_pdf_is_stored_and_served_as_a_png_attachment_that_is_not_sniffed(client, caseworker, ana):
    created = api_post(caseworker, ana, SimpleUploadedFile("../../evil.pdf", PNG, content_type="application/pdf"))
    declaration = Declaration.objects.get()
    client.force_login(caseworker)

    page = client.get(reverse("declaration_scan", args=[ana.case_id, declaration.pk]))
    api = api_as(caseworker).get(f"/api/v1/declarations/{declaration.pk}/scan/")

    assert created.status_code == 201 and declaration.scan.name.endswith(".png")
    assert "evil" not in declaration.scan.name
    for response in (page, api):
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"] == f'attachment; filename="declaration-scan-{declaration.pk}.png"'
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == PNG
