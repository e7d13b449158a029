"""A caseworker imports a partner's list in a real browser: the template, a file with an error, the marked file, the
fix, the new upload; a supervisor (another person) approves and the cases exist.

The page is in Spanish (es-MX), as at the booths; the test finds things by data-testid / data-* attributes. Celery
runs eagerly (tests/conftest.py), so the file is read and merged within the requests that queue the work.
"""

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from cases.models import Member
from imports.models import BatchStatus, ImportBatch
from tests.browser.conftest import sign_in, sign_out

PEOPLE = [("Zoraida", "Quintanilla Ybarra", "Titular", "Mujer", "1987-02-11", "ZQ1987021"),
          ("Eusebio", "Quintanilla Ybarra", "Hijo/a", "Hombre", "2012-09-30", "")]


def downloaded(page, locator) -> bytes:
    with page.expect_download() as info:
        locator.click()
    with open(info.value.path(), "rb") as handle:
        return handle.read()


def saved(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(page, name: str, content: bytes):
    page.locator("nav [data-nav=import_list]").click()
    page.get_by_test_id("new-import").click()
    form = page.get_by_test_id("upload-form")
    form.locator("select[name=programme]").select_option(label="CARAVAN-2018 — Caravans AVR 2018")
    form.locator("input[name=file]").set_input_files(files=[{
        "name": name, "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "buffer": content}])
    form.get_by_test_id("upload").click()
    page.wait_for_load_state()


@pytest.mark.browser
def test_upload_fix_upload_again_and_another_person_approves(page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path

    # given the template of the caravans programme, downloaded by the caseworker from the upload page (in Spanish)
    sign_in(page, "caseworker_tij")
    page.locator("nav [data-nav=import_list]").click()
    page.get_by_test_id("new-import").click()
    book = load_workbook(io.BytesIO(downloaded(page, page.get_by_test_id("template-CARAVAN-2018"))))
    assert {"Hogares", "Integrantes", "Instrucciones"} <= set(book.sheetnames)

    # when they fill in a household of two, with a sex the list does not have, and upload it
    book["Hogares"].append(["Q-1", "Honduras", "2018-11-20", "Consulado", "Explícito"])
    for given, family, relationship, sex, born, document in PEOPLE:
        book["Integrantes"].append(["Q-1", relationship, given, family, sex, born, None, "Honduras",
                                    "Pasaporte" if document else None, document or None, None, None, None, None,
                                    "Choloma"])
    book["Integrantes"]["E3"] = "Robot"
    upload(page, "lista-albergue.xlsx", saved(book))

    # then the batch's page shows the row to correct, and no approval for the uploader
    batch = page.get_by_test_id("import-batch")
    expect(batch).to_have_attribute("data-status", "validated")
    expect(batch.locator("[data-count=invalid] .fs-4")).to_have_text("1")
    expect(batch.get_by_test_id("row-error")).to_have_count(1)
    expect(batch.get_by_test_id("row-error")).to_contain_text("Robot")
    expect(page.get_by_test_id("approve")).to_have_count(0)
    expect(page.get_by_test_id("why-not-approve")).to_be_visible()

    # and the file with the errors marked has the bad cell red, with the message, which they fix
    marked = load_workbook(io.BytesIO(downloaded(page, page.get_by_test_id("errors-file"))))
    cell = marked["Integrantes"]["E3"]
    assert cell.fill.fgColor.rgb == "00FFC7CE" and "Robot" in cell.comment.text
    assert "Robot" in marked["Integrantes"].cell(row=3, column=marked["Integrantes"].max_column).value
    cell.value = "Hombre"
    upload(page, "lista-albergue-corregida.xlsx", saved(marked))

    # then the new batch has nothing to correct
    expect(batch).to_have_attribute("data-status", "validated")
    expect(batch.locator("[data-count=invalid] .fs-4")).to_have_text("0")
    expect(batch.locator("[data-count=valid] .fs-4")).to_have_text("1")
    fixed = ImportBatch.objects.get(file_name="lista-albergue-corregida.xlsx")

    # when a supervisor, another person, approves it
    sign_out(page)
    sign_in(page, "supervisor_mx")
    page.locator("nav [data-nav=import_list]").click()
    page.locator(f"[data-import='{fixed.pk}'] a").click()
    page.get_by_test_id("approve").click()

    # then the household is merged into a case made from the fixed file
    expect(page.get_by_test_id("import-batch")).to_have_attribute("data-status", "merged")
    fixed.refresh_from_db()
    assert fixed.status == BatchStatus.MERGED and fixed.merged == 1
    people = Member.objects.filter(family_names="Quintanilla Ybarra").select_related("case")
    assert sorted((m.given_names, m.sex) for m in people) == [("Eusebio", "male"), ("Zoraida", "female")]
    assert {m.case.import_row.batch_id for m in people} == {fixed.pk}


@pytest.mark.browser
def test_the_batch_page_follows_the_reading_by_itself(page, settings, tmp_path, monkeypatch):
    from imports import services
    from tests.import_steps import households_file

    # given a worker that has not picked the file up yet
    settings.MEDIA_ROOT = tmp_path
    queued = []
    monkeypatch.setattr(services, "batch_parse_enqueue", queued.append)

    # when the caseworker uploads a file
    sign_in(page, "caseworker_tij")
    upload(page, "lista.xlsx", households_file(2, start=900))

    # then the page shows it waiting, and brings in the counts by itself once the file is read
    batch = page.get_by_test_id("import-batch")
    expect(batch).to_have_attribute("data-status", "queued")
    services.batch_parse(queued[0])
    expect(batch).to_have_attribute("data-status", "validated")
    expect(batch.locator("[data-count=valid] .fs-4")).to_have_text("2")
