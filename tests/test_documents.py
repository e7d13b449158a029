"""Documents attached to a case or member: the declaration scans' upload checks, read under the field group of
their kind (identity documents as identity, medical certificates for the medically cleared case team only), stored
privately, every download audited, deleted with a reason, and gone with the person on erasure or anonymisation."""

import hashlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditAction, AuditEvent
from cases.choices import CaseStatus
from cases.models import Case
from documents.models import Document
from documents.services import document_upload
from tests.conftest import api_as
from tests.screening_steps import family
from tests.test_uploads import EXE, FAKE_PNG, JPEG, MB, PDF, PNG, REFUSED

pytestmark = pytest.mark.django_db

NOT_A_SCAN = "Solo se pueden adjuntar archivos PDF, JPEG o PNG."
TWICE = "Este archivo ya está adjunto al caso."


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def case(caseworker, caravan, tij, media):
    return family(actor=caseworker, programme=caravan, office=tij)


@pytest.fixture
def ana(case):
    return case.members.get(given_names="Ana Lucía")


@pytest.fixture
def jorge(case):
    return case.members.get(given_names="Jorge")


@pytest.fixture
def medical_caseworker(caseworker):
    caseworker.is_medical_cleared = True
    caseworker.save()
    return caseworker


def files_in(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def pdf(name="pasaporte.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def api_url(case) -> str:
    return f"/api/v1/cases/{case.pk}/documents/"


def api_upload(user, case, file, kind="identity_document", member=None, **extra):
    body = {"kind": kind, "file": file, **({"member": member.pk} if member else {}), **extra}
    return api_as(user).post(api_url(case), body, format="multipart", HTTP_ACCEPT_LANGUAGE="es")


def page_upload(client, user, case, file, kind="identity_document", member=None):
    client.force_login(user)
    body = {"kind": kind, "file": file, "member": member.pk if member else ""}
    return client.post(reverse("document_upload", args=[case.pk]), body, follow=True)


def attached(user, case, kind="identity_document", member=None, content=PDF, name="pasaporte.pdf") -> Document:
    return document_upload(actor=user, case_id=case.pk, kind=kind, file=pdf(name, content), member_id=getattr(
        member, "pk", None), note="copia")


# Attaching, at each door


def test_the_caseworker_attaches_an_identity_document_to_a_member_through_the_api(caseworker, case, ana, media):
    response = api_upload(caseworker, case, pdf(), member=ana, note="copia del pasaporte")

    assert response.status_code == 201, response.content
    body = response.json()
    document = Document.objects.get()
    assert body | {"id": 0, "uploaded_at": ""} == {
        "id": 0, "uploaded_at": "", "kind": "identity_document", "member": ana.pk, "original_name": "pasaporte.pdf",
        "content_type": "application/pdf", "size": len(PDF), "sha256": hashlib.sha256(PDF).hexdigest(),
        "note": "copia del pasaporte", "uploaded_by": "cw_tij",
        "download": f"/api/v1/cases/{case.pk}/documents/{document.pk}/"}
    # stored under a name of our own, never the uploader's
    assert Path(document.file.name).name.startswith("document-") and document.file.name.endswith(".pdf")
    assert len(files_in(media)) == 1


def test_the_caseworker_attaches_a_document_from_the_case_page_and_sees_it_listed(client, caseworker, case, ana):
    response = page_upload(client, caseworker, case, SimpleUploadedFile("cédula.png", PNG, "image/png"), member=ana)

    page = response.content.decode()
    assert "Documento adjuntado." in page
    document = Document.objects.get()
    assert (document.kind, document.member, document.content_type) == ("identity_document", ana, "image/png")
    assert reverse("document_download", args=[case.pk, document.pk]) in page and "cédula.png" in page


def test_a_3_mb_scan_is_taken_and_one_over_the_limit_is_refused_on_both_doors(client, caseworker, case, media,
                                                                                settings):
    three_mb = PDF[:-6] + b"0" * (3 * MB) + b"\n%%EOF\n"

    assert api_upload(caseworker, case, pdf("grande.pdf", three_mb)).status_code == 201
    assert Document.objects.get().size == len(three_mb)

    settings.AVR_UPLOAD_MAX_MB = 2
    api = api_upload(caseworker, case, pdf("otro.pdf", three_mb + b" "))
    page = page_upload(client, caseworker, case, pdf("otro.pdf", three_mb + b"  "))

    assert api.status_code == 400 and api.json()["fields"]["file"] == ["El archivo pesa más de 2 MB."]
    assert "El archivo pesa más de 2 MB." in page.content.decode()
    assert Document.objects.count() == 1 and len(files_in(media)) == 1


@pytest.mark.parametrize("name,content,content_type", REFUSED)
def test_a_file_lying_about_its_type_is_refused_by_the_api(caseworker, case, media, name, content, content_type):
    response = api_upload(caseworker, case, SimpleUploadedFile(name, content, content_type=content_type))

    assert response.status_code == 400 and response.json()["fields"]["file"] == [NOT_A_SCAN]
    assert not Document.objects.exists() and files_in(media) == []


def test_a_file_lying_about_its_type_is_refused_by_the_page_and_the_service(client, caseworker, case, media):
    page = page_upload(client, caseworker, case, SimpleUploadedFile("foto.png", FAKE_PNG, "image/png"))
    with pytest.raises(ValidationError) as refused:
        attached(caseworker, case, content=EXE, name="pasaporte.pdf")

    assert NOT_A_SCAN in page.content.decode()
    assert refused.value.message_dict == {"file": [NOT_A_SCAN]}
    assert not Document.objects.exists() and files_in(media) == []


def test_a_png_called_pdf_is_kept_as_what_it_is(caseworker, case):
    document = attached(caseworker, case, content=PNG, name="pasaporte.pdf")

    assert document.content_type == "image/png" and document.file.name.endswith(".png")


@pytest.mark.parametrize("name, kept", [("pasa\x00porte.pdf", "pasa porte.pdf"), ("../../etc/passwd.pdf", "passwd.pdf"),
                                        ('C:\\fotos\\"firma"<1>.jpg', "_firma__1_.jpg")])
def test_nul_and_odd_file_names_are_made_safe(caseworker, case, name, kept):
    document = document_upload(actor=caseworker, case_id=case.pk, kind="identity_document",
                               file=SimpleUploadedFile(name, JPEG, "image/jpeg"))

    assert document.original_name == kept
    assert "\x00" not in document.file.name and ".." not in document.file.name


def test_a_nul_in_the_file_name_through_the_api_is_stored_without_it(caseworker, case):
    response = api_upload(caseworker, case, pdf("pasa\x00porte.pdf"))

    assert response.status_code == 201
    assert Document.objects.get().original_name == "pasaporte.pdf"  # the multipart parser drops the NUL


def test_the_same_file_twice_on_one_case_is_refused_at_each_door(client, caseworker, case, jorge, media):
    attached(caseworker, case)

    api = api_upload(caseworker, case, pdf("otra-vez.pdf"), member=jorge)
    page = page_upload(client, caseworker, case, pdf("otra-vez.pdf"))

    assert api.status_code == 400 and api.json()["fields"]["file"] == [TWICE]
    assert TWICE in page.content.decode()
    assert Document.objects.count() == 1 and len(files_in(media)) == 1


def test_the_same_file_may_be_attached_to_another_case(caseworker, case, caravan, tij):
    attached(caseworker, case)
    other = family(actor=caseworker, programme=caravan, office=tij)

    attached(caseworker, other)

    assert Document.objects.count() == 2


def test_a_member_of_another_household_or_no_file_or_kind_is_refused_with_field_messages(caseworker, case, caravan,
                                                                                           tij):
    stranger = family(actor=caseworker, programme=caravan, office=tij).members.first()

    wrong_member = api_upload(caseworker, case, pdf(), member=stranger)
    no_file = api_as(caseworker).post(api_url(case), {"kind": "identity_document"}, format="multipart")
    bad_kind = api_upload(caseworker, case, pdf(), kind="passport_photo")

    assert wrong_member.status_code == 400 and wrong_member.json()["fields"]["member"] == [
        "Elija un miembro de este grupo familiar."]
    assert no_file.status_code == 400 and "file" in no_file.json()["fields"]
    assert bad_kind.status_code == 400 and "kind" in bad_kind.json()["fields"]
    assert not Document.objects.exists()


# Who may attach, read and download which kind


@pytest.mark.parametrize("who, status", [("outsider", 404), ("other_supervisor", 404), ("reception", 404),
                                         ("movement_officer", 404), ("admin_user", 404)])
def test_who_may_not_see_the_case_gets_404_at_every_door(request, client, case, caseworker, who, status):
    document = attached(caseworker, case)
    user = request.getfixturevalue(who)
    client.force_login(user)

    assert api_upload(user, case, pdf("otro.pdf", PDF + b" ")).status_code == status
    assert api_as(user).get(api_url(case)).status_code == status
    assert api_as(user).get(f"{api_url(case)}{document.pk}/").status_code == status
    assert api_as(user).post(f"{api_url(case)}{document.pk}/delete/", {"reason": "x"}).status_code == status
    assert client.get(reverse("document_download", args=[case.pk, document.pk])).status_code == status
    assert client.post(reverse("document_delete", args=[case.pk, document.pk]), {"reason": "x"}).status_code == status
    assert client.post(reverse("document_upload", args=[case.pk]), {"kind": "other"}).status_code == status
    assert Document.objects.count() == 1


def test_a_medical_certificate_is_read_by_the_medically_cleared_case_team_only(
        client, case, caseworker, supervisor, movement_officer):
    cleared = caseworker
    cleared.is_medical_cleared = True
    cleared.save()
    certificate = attached(cleared, case, kind="medical_certificate", content=JPEG, name="certificado.jpg")
    identity = attached(cleared, case, kind="identity_document")
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.APPROVED)  # so the movement officer sees the case

    assert {d["kind"] for d in api_as(cleared).get(api_url(case)).json()} == {"medical_certificate",
                                                                              "identity_document"}
    assert {d["kind"] for d in api_as(supervisor).get(api_url(case)).json()} == {"identity_document"}
    assert {d["kind"] for d in api_as(movement_officer).get(api_url(case)).json()} == {"identity_document"}
    for user in (supervisor, movement_officer):
        assert api_as(user).get(f"{api_url(case)}{certificate.pk}/").status_code == 404
        client.force_login(user)
        assert client.get(reverse("document_download", args=[case.pk, certificate.pk])).status_code == 404
        assert "certificado.jpg" not in client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert api_as(movement_officer).get(f"{api_url(case)}{identity.pk}/").status_code == 200
    assert api_as(cleared).get(f"{api_url(case)}{certificate.pk}/").status_code == 200


def test_a_caseworker_without_medical_clearance_may_not_attach_a_medical_certificate(caseworker, case, media):
    response = api_upload(caseworker, case, pdf(), kind="medical_certificate")

    assert response.status_code == 400
    assert response.json()["fields"]["kind"] == ["No puede adjuntar este tipo de documento a este caso."]
    assert not Document.objects.exists() and files_in(media) == []


def test_other_documents_are_for_the_case_team(case, caseworker, movement_officer):
    attached(caseworker, case, kind="other")
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.APPROVED)

    assert len(api_as(caseworker).get(api_url(case)).json()) == 1
    assert api_as(movement_officer).get(api_url(case)).json() == []


def test_a_movement_officer_who_reads_identity_documents_cannot_attach_or_delete(case, caseworker, movement_officer):
    document = attached(caseworker, case)
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.APPROVED)

    assert api_upload(movement_officer, case, pdf("otro.pdf", PDF + b" ")).status_code == 403
    assert api_as(movement_officer).post(f"{api_url(case)}{document.pk}/delete/", {"reason": "x"}).status_code == 403
    assert Document.objects.count() == 1


# Downloads: private, audited, as attachments


def test_a_download_is_an_attachment_of_its_detected_type_and_is_audited(client, case, caseworker):
    document = attached(caseworker, case, content=PNG, name="cédula.pdf")
    client.force_login(caseworker)

    page = client.get(reverse("document_download", args=[case.pk, document.pk]))
    api = api_as(caseworker).get(f"{api_url(case)}{document.pk}/")

    for response in (page, api):
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        assert response["Content-Disposition"].startswith("attachment;") and "c%C3%A9dula.png" in response[
            "Content-Disposition"]
        assert b"".join(response.streaming_content) == PNG
    downloads = AuditEvent.objects.filter(action=AuditAction.DOWNLOAD, object_type="documents.document",
                                          object_id=str(document.pk))
    assert downloads.count() == 2 and {e.actor for e in downloads} == {caseworker}


def test_the_stored_file_is_not_under_a_public_url(client, case, caseworker):
    document = attached(caseworker, case)
    client.force_login(caseworker)

    assert client.get(f"/media/{document.file.name}").status_code == 404


# Deleting


def test_the_case_team_deletes_a_document_with_a_reason_kept_in_the_timeline(client, case, caseworker, media,
                                                                             django_capture_on_commit_callbacks):
    document = attached(caseworker, case)
    client.force_login(caseworker)

    refused = client.post(reverse("document_delete", args=[case.pk, document.pk]), {"reason": " "}, follow=True)
    assert "Indique el motivo." in refused.content.decode() and Document.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("document_delete", args=[case.pk, document.pk]),
                               {"reason": "era de otra persona"}, follow=True)

    assert "Documento eliminado." in response.content.decode()
    assert not Document.objects.exists() and files_in(media) == []
    assert "era de otra persona" in case.events.order_by("-id").first().note
    assert AuditEvent.objects.filter(action=AuditAction.DELETE, object_type="documents.document",
                                     object_id=str(document.pk), actor=caseworker).exists()


def test_deleting_through_the_api_answers_204(case, caseworker, media, django_capture_on_commit_callbacks):
    document = attached(caseworker, case)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(caseworker).post(f"{api_url(case)}{document.pk}/delete/", {"reason": "duplicado"})

    assert response.status_code == 204 and not Document.objects.exists() and files_in(media) == []
    assert api_as(caseworker).post(f"{api_url(case)}{document.pk}/delete/", {"reason": "x"}).status_code == 404


# Gone with the person


def test_a_members_erasure_deletes_their_documents_and_keeps_the_households(case, caseworker, jorge, ana, media):
    from rights.services import member_erasure_request

    own = attached(caseworker, case, member=jorge)
    household = attached(caseworker, case, content=PNG, name="acta.png")

    member_erasure_request(actor=caseworker, member_id=jorge.pk, reason="Me pidió borrar sus datos personales.")

    own.refresh_from_db()
    assert (own.file.name, own.original_name, own.sha256, own.note) == ("", "", "", "")
    assert [path.name for path in files_in(media)] == [Path(household.file.name).name]
    assert [d["id"] for d in api_as(caseworker).get(api_url(case)).json()] == [household.pk]


def test_anonymising_a_case_deletes_every_document_file(case, caseworker, media):
    from retention.services import cases_anonymise

    attached(caseworker, case)
    attached(caseworker, case, content=PNG, name="acta.png")
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED)

    summary = cases_anonymise(case_ids=[case.pk], actor=None)

    assert files_in(media) == []
    assert summary.removed["documents.Document"]["rows"] == 2
    assert set(Document.objects.values_list("file", "original_name", "sha256")) == {("", "", "")}
    assert document_refused_on_anonymised(caseworker, case)


def document_refused_on_anonymised(caseworker, case) -> bool:
    with pytest.raises(ValidationError) as refused:
        attached(caseworker, case, content=JPEG, name="nuevo.jpg")
    return "__all__" in refused.value.message_dict


def test_a_member_that_is_not_a_number_is_a_field_message_on_the_page(client, caseworker, case):
    client.force_login(caseworker)

    response = client.post(reverse("document_upload", args=[case.pk]), {"kind": "identity_document",
                                                                        "member": "uno", "file": pdf()}, follow=True)

    assert "Elija un miembro de este grupo familiar." in response.content.decode()
    assert not Document.objects.exists()


def test_an_emergency_grant_reads_no_document(case, caseworker):
    from django.utils import timezone

    from cases.permissions import CaseAccess
    from documents.selectors import documents_readable

    attached(caseworker, case)
    emergency = CaseAccess(roles=frozenset(), shared=False, emergency_until=timezone.now())

    assert documents_readable(case=case, access=emergency) == []


# The person's own export


def test_the_person_s_own_export_lists_their_documents_and_withholds_a_certificate_from_the_uncleared(
        case, ana, caseworker, supervisor):
    from rights.selectors import member_export, member_for_export

    caseworker.is_medical_cleared = True
    caseworker.save()
    attached(caseworker, case, kind="medical_certificate", member=ana, content=JPEG, name="certificado.jpg")
    attached(caseworker, case, kind="identity_document", member=ana)
    attached(caseworker, case, kind="other", name="carta.pdf", content=PDF + b"%household")

    def documents_of(user):
        member, access = member_for_export(user=user, member_id=ana.pk)
        return member_export(member=member, access=access, actor=user)["documents"]

    cleared = documents_of(caseworker)
    uncleared = documents_of(supervisor)

    assert [d["original_name"] for d in cleared] == ["certificado.jpg", "pasaporte.pdf", "carta.pdf"]
    assert [d["original_name"] for d in uncleared] == [None, "pasaporte.pdf", "carta.pdf"]
    assert uncleared[0]["kind"] is None and {"kind", "original_name"} <= set(uncleared[0]["withheld"])
