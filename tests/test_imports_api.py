"""The import API: who may upload, see, approve and refuse; each refusal answers with a stable code and a message,
and changes nothing."""

import pytest
from django.utils import translation

from accounts.models import Assignment
from cases.models import Case
from imports.models import BatchStatus, ImportBatch
from outbox.models import OutboxMessage
from tests.conftest import api_as
from tests.factories import Role
from tests.import_steps import households_file

pytestmark = pytest.mark.django_db
THREE = households_file(3)  # built once: a workbook saved again a second later differs in its timestamps


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def post_file(user, content, caravan, tij, language="en", name="lista.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with translation.override(language):
        return api_as(user).post("/api/v1/imports/", {"file": SimpleUploadedFile(name, content),
                                                      "programme": caravan.code, "office": tij.code},
                                 format="multipart", HTTP_ACCEPT_LANGUAGE=language)


@pytest.fixture
def batch(caseworker, caravan, tij, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(caseworker, THREE, caravan, tij)
    assert response.status_code == 202, response.content
    return ImportBatch.objects.get(pk=response.json()["id"])


def test_an_upload_answers_202_and_the_batch_is_read_in_the_background(batch):
    assert batch.status == BatchStatus.VALIDATED and batch.rows == 3
    assert OutboxMessage.objects.filter(key=f"import-parse:{batch.pk}", done_at__isnull=False).exists()


def test_the_same_file_again_answers_409_with_the_earlier_batch(batch, caseworker, caravan, tij):
    response = post_file(caseworker, THREE, caravan, tij, name="otra.xlsx")

    assert response.status_code == 409
    assert response.json()["code"] == "identical_file" and response.json()["earlier"] == batch.pk
    assert ImportBatch.objects.count() == 1


def test_a_renamed_pdf_answers_400_in_spanish(caseworker, caravan, tij):
    response = post_file(caseworker, b"%PDF-1.4\n%%EOF\n", caravan, tij, language="es")

    assert response.status_code == 400
    assert response.json()["fields"]["file"] == [
        "Este archivo no es una hoja de cálculo XLSX. Guárdelo como libro de Excel (.xlsx) y vuelva a subirlo."]
    assert ImportBatch.objects.count() == 0


@pytest.mark.parametrize(("who", "code"), [("uploader", 403), ("colleague", 403), ("outsider", 404),
                                           ("other_supervisor", 404), ("supervisor", 200)])
def test_who_may_approve(who, code, batch, request, caseworker, caravan, tij):
    from tests.factories import staff

    if who == "uploader":
        Assignment.objects.create(user=caseworker, role=Role.SUPERVISOR, programme=caravan, country="MX")
        user = caseworker
    elif who == "colleague":
        user = staff("cw_tij_2", Role.CASEWORKER, office=tij)
    else:
        user = request.getfixturevalue(who)
    user = type(user).objects.get(pk=user.pk)

    response = api_as(user).post(f"/api/v1/imports/{batch.pk}/approve/")

    assert response.status_code == code, response.content
    batch.refresh_from_db()
    if code == 200:
        assert batch.status == BatchStatus.MERGING and batch.approved_by == user
    else:
        assert batch.status == BatchStatus.VALIDATED and batch.approved_by is None
        assert not OutboxMessage.objects.filter(key=f"import-merge:{batch.pk}").exists()
    if who == "uploader":
        assert response.json()["code"] == "same_uploader"
    assert Case.objects.count() == 0


def test_a_batch_cannot_be_approved_twice(batch, supervisor):
    assert api_as(supervisor).post(f"/api/v1/imports/{batch.pk}/approve/").status_code == 200

    response = api_as(supervisor).post(f"/api/v1/imports/{batch.pk}/approve/")

    assert response.status_code == 409 and response.json()["code"] == "batch_not_ready"


def test_an_outsider_sees_no_batch_and_no_rows(batch, outsider):
    client = api_as(outsider)

    assert client.get("/api/v1/imports/").json()["results"] == []
    assert client.get(f"/api/v1/imports/{batch.pk}/").status_code == 404
    assert client.get(f"/api/v1/imports/{batch.pk}/rows/").status_code == 404


def test_a_refusal_needs_a_reason(batch, supervisor):
    response = api_as(supervisor).post(f"/api/v1/imports/{batch.pk}/refuse/", {"reason": ""}, format="json")

    assert response.status_code == 400
    batch.refresh_from_db()
    assert batch.status == BatchStatus.VALIDATED and batch.file
