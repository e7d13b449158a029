"""The import pages: the batches, the upload, a batch's page with its errors, duplicates and the second person."""

import io

import pytest
from django.utils import translation
from openpyxl import load_workbook

from accounts.choices import Role
from audit.models import AuditAction, AuditEvent
from cases.models import Case
from imports.models import BatchStatus, ImportBatch
from tests.factories import staff
from tests.import_steps import (
    household_row,
    households_file,
    member_row,
    upload,
    workbook_bytes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def signed_in(client, user):
    user.language = "en"
    user.save()
    client.force_login(user)
    return client


@pytest.fixture
def post_upload(client, caseworker, caravan, tij, django_capture_on_commit_callbacks):
    def run(content, name="lista.xlsx"):
        signed_in(client, caseworker)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/imports/new/", {"programme": caravan.pk, "office": tij.pk,
                                                 "file": upload(content, name)})
    return run


WITH_ERRORS = workbook_bytes([household_row(1), household_row(2, country="Atlantis")],
                             [member_row(1), member_row(2, sex="robot")])


def test_a_caseworker_uploads_a_file_and_lands_on_its_page_with_the_counts_and_errors(post_upload, client):
    response = post_upload(WITH_ERRORS)

    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{batch.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert batch.status == BatchStatus.VALIDATED and (batch.rows, batch.valid, batch.invalid) == (2, 1, 1)
    assert 'data-count="invalid"><div class="fs-4 fw-semibold">1<' in page
    assert "Country of return: “Atlantis” is not one of this column’s choices." in page
    assert "Members, row 3 · Sex: “robot” is not one of this column’s choices." in page
    assert f'href="/imports/{batch.pk}/errors.xlsx"' in page
    assert "another person must approve or refuse it" in page  # the uploader is told why there is no button
    assert 'data-testid="approve"' not in page


def test_the_marked_file_downloads_from_the_page_and_is_audited(post_upload, client, caseworker):
    post_upload(WITH_ERRORS)
    batch = ImportBatch.objects.get()

    response = client.get(f"/imports/{batch.pk}/errors.xlsx")

    book = load_workbook(io.BytesIO(response.content))
    assert book["Households"]["B3"].comment.text == "“Atlantis” is not one of this column’s choices."
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, actor=caseworker, object_id=str(batch.pk)).exists()


def test_an_upload_without_a_file_shows_the_errors_next_to_the_fields(client, caseworker):
    signed_in(client, caseworker)

    page = client.post("/imports/new/", {}).content.decode()

    assert 'data-testid="error-file">Choose the file to import.' in page
    assert 'data-testid="error-programme">Choose a programme.' in page
    assert not ImportBatch.objects.exists()


def test_the_same_file_again_says_so_and_links_to_the_earlier_batch(post_upload, client):
    post_upload(WITH_ERRORS)
    earlier = ImportBatch.objects.get()

    page = post_upload(WITH_ERRORS, "otra.xlsx").content.decode()

    assert f"This file was uploaded already (import {earlier.pk})" in page
    assert f'href="/imports/{earlier.pk}/" data-testid="earlier-import"' in page
    assert ImportBatch.objects.count() == 1


def test_the_upload_page_offers_the_template_in_the_pages_language(client, caseworker, caravan):
    signed_in(client, caseworker)

    page = client.get("/imports/new/").content.decode()
    response = client.get("/imports/template.xlsx", {"programme": caravan.code})
    client.post("/i18n/setlang/", {"language": "es"})
    spanish = client.get("/imports/template.xlsx", {"programme": caravan.code})

    assert f'href="/imports/template.xlsx?programme={caravan.code}"' in page
    assert "Households" in load_workbook(io.BytesIO(response.content)).sheetnames
    assert "Hogares" in load_workbook(io.BytesIO(spanish.content)).sheetnames
    assert client.get("/imports/template.xlsx", {"programme": "NOPE"}).status_code == 404


def test_a_supervisor_who_did_not_upload_approves_and_the_cases_are_made(post_upload, client, supervisor,
                                                                        django_capture_on_commit_callbacks):
    post_upload(households_file(3))
    batch = ImportBatch.objects.get()
    signed_in(client, supervisor)

    assert 'data-testid="approve"' in client.get(f"/imports/{batch.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{batch.pk}/approve/")

    batch.refresh_from_db()
    assert response.status_code == 302 and batch.status == BatchStatus.MERGED and Case.objects.count() == 3
    assert "3 households were merged into cases." in client.get(f"/imports/{batch.pk}/").content.decode()


def test_the_uploader_posting_approve_is_refused_with_the_reason_and_nothing_merges(post_upload, client):
    post_upload(households_file(2))
    batch = ImportBatch.objects.get()

    response = client.post(f"/imports/{batch.pk}/approve/", follow=True)

    assert "You uploaded this file: another person must approve or refuse it." in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.VALIDATED and not Case.objects.exists()


def test_a_supervisor_refuses_with_a_reason(post_upload, client, supervisor):
    post_upload(households_file(2))
    batch = ImportBatch.objects.get()
    signed_in(client, supervisor)

    client.post(f"/imports/{batch.pk}/refuse/", {"reason": "Lista equivocada."})

    batch.refresh_from_db()
    assert batch.status == BatchStatus.REFUSED and batch.refusal_reason == "Lista equivocada." and not batch.file


def test_a_likely_duplicate_is_shown_side_by_side_and_decided_on_the_page(post_upload, client):
    content = workbook_bytes([household_row(1), household_row(2)],
                             [member_row(1), member_row(2, doc="P0000001", given="Otra")])
    post_upload(content)
    batch = ImportBatch.objects.get()
    row = batch.household_rows.get(household_key="HH-2")

    page = client.get(f"/imports/{batch.pk}/").content.decode()
    client.post(f"/imports/{batch.pk}/rows/{row.pk}/decide/", {"decision": "skip"})

    assert "data-testid=\"imported-person\"" in page and "Earlier in this file (row 2)" in page
    assert "<dd class=\"col-7\">Honduras</dd>" in page  # the nationality by its name
    assert f'action="/imports/{batch.pk}/rows/{row.pk}/decide/"' in page
    row.refresh_from_db()
    assert row.status == "skipped"


def test_the_circuit_breaker_asks_whether_it_is_a_re_upload_and_takes_the_answer(
        post_upload, client, supervisor, django_capture_on_commit_callbacks):
    post_upload(households_file(3))
    first = ImportBatch.objects.get()
    signed_in(client, supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{first.pk}/approve/")
    post_upload(workbook_bytes([household_row(n, notes="otra vez") for n in (1, 2, 3)],
                               [member_row(n) for n in (1, 2, 3)]), "de-nuevo.xlsx")
    again = ImportBatch.objects.exclude(pk=first.pk).get()

    page = client.get(f"/imports/{again.pk}/").content.decode()
    client.post(f"/imports/{again.pk}/continue/")

    assert again.status == BatchStatus.CONFIRM and "Is this a re-upload?" in page
    assert 'data-testid="not-reupload"' in page and "leave it: a supervisor refuses it" in page
    again.refresh_from_db()
    assert again.status == BatchStatus.VALIDATED and again.reupload_denied_by is not None


def test_a_batch_being_read_polls_its_progress_and_a_finished_one_does_not(post_upload, client):
    post_upload(households_file(1))
    batch = ImportBatch.objects.get()
    ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.PARSING, progress=40)

    working = client.get(f"/imports/{batch.pk}/progress/").content.decode()
    ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.VALIDATED)
    done = client.get(f"/imports/{batch.pk}/progress/").content.decode()

    assert f'hx-get="/imports/{batch.pk}/progress/"' in working and "40%" in working
    assert "hx-get" not in done


def test_another_offices_batch_does_not_exist_for_its_caseworkers(post_upload, client, outsider):
    post_upload(WITH_ERRORS)
    batch = ImportBatch.objects.get()
    signed_in(client, outsider)

    for path in ("", "progress/", "errors.xlsx"):
        assert client.get(f"/imports/{batch.pk}/{path}").status_code == 404
    assert client.post(f"/imports/{batch.pk}/approve/").status_code == 404
    assert str(batch.pk) not in client.get("/imports/").content.decode().split('data-testid="imports"')[-1]
    assert batch.status == ImportBatch.objects.get().status


def test_the_list_shows_the_batches_of_the_booth_and_a_supervisor_sees_them_too(post_upload, client, supervisor):
    post_upload(WITH_ERRORS)
    batch = ImportBatch.objects.get()

    mine = client.get("/imports/").content.decode()
    signed_in(client, supervisor)
    supervised = client.get("/imports/").content.decode()

    assert f'data-import="{batch.pk}"' in mine and 'data-testid="new-import"' in mine
    assert f'data-import="{batch.pk}"' in supervised and 'data-testid="new-import"' not in supervised
    assert 'data-nav="import_list"' in supervised


@pytest.mark.parametrize("path", ["/imports/", "/imports/new/"])
def test_the_pages_do_not_exist_for_reception_staff(path, client, reception):
    signed_in(client, reception)

    assert client.get(path).status_code == 404


def test_a_supervisor_cannot_upload(client, supervisor):
    signed_in(client, supervisor)

    assert client.get("/imports/new/").status_code == 404


def test_a_second_caseworker_of_the_booth_still_cannot_approve(post_upload, client, tij):
    post_upload(households_file(1))
    batch = ImportBatch.objects.get()
    signed_in(client, staff("cw_tij_2", Role.CASEWORKER, office=tij))

    page = client.get(f"/imports/{batch.pk}/").content.decode()
    client.post(f"/imports/{batch.pk}/approve/")

    assert "A supervisor of the office approves or refuses the import." in page
    assert ImportBatch.objects.get().status == BatchStatus.VALIDATED


def test_a_supervisor_answering_yes_it_is_a_re_upload_refuses_it(post_upload, client, supervisor,
                                                                 django_capture_on_commit_callbacks):
    post_upload(households_file(2))
    first = ImportBatch.objects.get()
    signed_in(client, supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{first.pk}/approve/")
    post_upload(workbook_bytes([household_row(n, notes="otra vez") for n in (1, 2)], [member_row(n) for n in (1, 2)]),
                "de-nuevo.xlsx")
    again = ImportBatch.objects.exclude(pk=first.pk).get()
    signed_in(client, supervisor)

    page = client.get(f"/imports/{again.pk}/").content.decode()
    client.post(f"/imports/{again.pk}/refuse/", {"reason": "A re-upload of households already registered."})

    assert 'data-testid="is-reupload"' in page
    again.refresh_from_db()
    assert again.status == BatchStatus.REFUSED and Case.objects.count() == 2
