"""The case page's documents section: attach an identity document, download it, be told when the same file comes
twice or a file is not what it claims, and delete it with a reason."""

import pytest
from playwright.sync_api import expect

from cases.models import Case
from documents.models import Document
from tests.browser.conftest import sign_in

PDF = b"%PDF-1.4\n% pasaporte\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def upload(page, name: str, content: bytes, mime: str = "application/pdf"):
    form = page.get_by_test_id("document-upload")
    form.locator("select[name=kind]").select_option("identity_document")
    form.locator("input[name=file]").set_input_files({"name": name, "mimeType": mime, "buffer": content})
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.browser
def test_a_caseworker_attaches_downloads_and_deletes_an_identity_document(page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    case = Case.objects.filter(registering_office__code="TIJ").order_by("id").first()
    sign_in(page, "caseworker_tij")
    page.goto(f"/cases/{case.pk}/")
    expect(page.get_by_test_id("documents")).to_contain_text("No hay documentos adjuntos.")

    # attach
    upload(page, "pasaporte.pdf", PDF)
    expect(page.locator("body")).to_contain_text("Documento adjuntado.")
    expect(page.get_by_test_id("document")).to_contain_text("pasaporte.pdf")

    # download: an attachment, the same bytes
    with page.expect_download() as download:
        page.get_by_test_id("document-download").click()
    assert download.value.suggested_filename == "pasaporte.pdf"
    assert open(download.value.path(), "rb").read() == PDF

    # the same file again, and a text file that calls itself a PDF, are refused with a message
    upload(page, "otra-vez.pdf", PDF)
    expect(page.locator("body")).to_contain_text("Este archivo ya está adjunto al caso.")
    upload(page, "falso.pdf", b"no soy un PDF\n")
    expect(page.locator("body")).to_contain_text("Solo se pueden adjuntar archivos PDF, JPEG o PNG.")
    assert Document.objects.filter(case=case).count() == 1

    # delete, with a reason
    page.get_by_test_id("document").locator("summary").click()
    page.get_by_test_id("document-delete").locator("input[name=reason]").fill("Era de otra persona.")
    page.get_by_test_id("document-delete").locator("button[type=submit]").click()
    expect(page.locator("body")).to_contain_text("Documento eliminado.")
    expect(page.get_by_test_id("documents")).to_contain_text("No hay documentos adjuntos.")
    assert not Document.objects.filter(case=case).exists()
