"""Bulk import: a file is read, checked, deduplicated and staged, approved by a second person, then merged once."""

import os
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from accounts.models import Assignment
from audit.models import AuditEvent
from cases.models import Case, Member
from imports import services
from imports.models import BatchStatus, ImportBatch, ImportRow, RowStatus
from imports.services import BatchIdentical, SameUploader
from tests.factories import Role, household
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
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def uploaded(content, caseworker, caravan, tij, capture, name="registros.xlsx") -> ImportBatch:
    with capture(execute=True):
        batch = services.batch_upload(actor=caseworker, programme=caravan, office=tij, file=upload(content, name))
    return ImportBatch.objects.get(pk=batch.pk)


@pytest.fixture
def imported(caseworker, caravan, tij, django_capture_on_commit_callbacks):
    def run(content, name="registros.xlsx"):
        return uploaded(content, caseworker, caravan, tij, django_capture_on_commit_callbacks, name)
    return run


@pytest.fixture
def approve(supervisor, django_capture_on_commit_callbacks):
    def run(batch):
        with django_capture_on_commit_callbacks(execute=True):
            services.batch_approve(actor=supervisor, batch_id=batch.pk)
        return ImportBatch.objects.get(pk=batch.pk)
    return run


def test_a_2000_household_file_imports_once_and_each_case_points_at_its_row(imported, approve, supervisor):
    batch = imported(households_file(2000))

    assert (batch.status, batch.rows, batch.valid, batch.invalid, batch.new) == (
        BatchStatus.VALIDATED, 2000, 2000, 0, 2000), batch.error
    assert Case.objects.count() == 0  # staged, never written straight into cases
    batch = approve(batch)

    assert (batch.status, batch.merged) == (BatchStatus.MERGED, 2000)
    assert Case.objects.count() == 2000 and Member.objects.count() == 2000
    rows = ImportRow.objects.filter(batch=batch).select_related("case")
    assert all(row.case.import_row == row and row.status == RowStatus.MERGED for row in rows)
    assert all(row.data == {} for row in rows)  # the case holds the household now, and is what anonymising clears
    assert Case.objects.filter(import_row__batch=batch).count() == 2000
    assert not batch.file  # the file holds personal data: gone once merged
    assert AuditEvent.objects.filter(reason="import_upload", object_id=str(batch.pk)).exists()
    assert AuditEvent.objects.filter(reason="import_approve", object_id=str(batch.pk), actor=supervisor).exists()
    audited = AuditEvent.objects.filter(object_type="cases.case", reason=f"import_batch:{batch.pk}").get()
    assert sorted(audited.object_ids) == sorted(Case.objects.values_list("pk", flat=True))


def test_the_same_file_again_is_refused_at_once_and_nothing_is_stored(imported, caseworker, caravan, tij):
    content = households_file(3)
    first = imported(content)

    with pytest.raises(BatchIdentical) as refused:
        services.batch_upload(actor=caseworker, programme=caravan, office=tij, file=upload(content, "copia.xlsx"))

    assert refused.value.earlier == first
    assert str(first.pk) in refused.value.message
    assert ImportBatch.objects.count() == 1


def test_a_file_with_errors_keeps_the_invalid_rows_quarantined_and_merges_the_rest(imported, approve):
    content = workbook_bytes(
        [household_row(1), household_row(2, country="Atlantis"), household_row(3), household_row(4, consent="")],
        [member_row(1), member_row(2), member_row(3, born="someday", sex="robot"), member_row(4)])

    batch = imported(content)

    assert (batch.status, batch.rows, batch.valid, batch.invalid) == (BatchStatus.VALIDATED, 4, 1, 3)
    errors = {row.household_key: row.errors for row in ImportRow.objects.filter(status=RowStatus.INVALID)}
    assert "country_of_return" not in errors["HH-2"]["households"]
    assert errors["HH-2"]["households"]["destination_country"] == ["“Atlantis” is not one of this column’s choices."]
    assert set(errors["HH-3"]["members"]["4"]) == {"date_of_birth", "sex"}  # the members sheet's row 4
    assert "consent_type" in errors["HH-4"]["households"]
    batch = approve(batch)

    assert batch.status == BatchStatus.MERGED and batch.merged == 1
    assert list(Case.objects.values_list("import_row__household_key", flat=True)) == ["HH-1"]
    assert ImportRow.objects.filter(status=RowStatus.INVALID, case__isnull=True).count() == 3


def test_the_uploader_cannot_approve_and_a_caseworker_cannot_either(imported, caseworker, caravan, outsider):
    Assignment.objects.create(user=caseworker, role=Role.SUPERVISOR, programme=caravan, country="MX")
    batch = imported(households_file(2))
    from accounts.models import User

    uploader = User.objects.get(pk=caseworker.pk)

    with pytest.raises(SameUploader):
        services.batch_approve(actor=uploader, batch_id=batch.pk)
    with pytest.raises(services.Http404):
        services.batch_approve(actor=outsider, batch_id=batch.pk)

    batch.refresh_from_db()
    assert batch.status == BatchStatus.VALIDATED and batch.approved_by is None and Case.objects.count() == 0


def test_a_caseworker_of_the_office_who_is_no_supervisor_cannot_approve(imported, tij, caravan):
    from tests.factories import staff

    colleague = staff("cw_tij_2", Role.CASEWORKER, office=tij)
    batch = imported(households_file(1))

    with pytest.raises(PermissionDenied):
        services.batch_approve(actor=colleague, batch_id=batch.pk)
    assert Case.objects.count() == 0


def test_a_batch_matching_existing_cases_stops_to_ask_whether_it_is_a_re_upload(imported, approve, supervisor,
                                                                               caseworker, settings):
    first = approve(imported(households_file(4)))
    assert first.status == BatchStatus.MERGED
    # Not byte for byte the same file: a re-export of the same people, with notes added.
    again = workbook_bytes([household_row(n, notes="otra vez") for n in range(1, 5)],
                           [member_row(n) for n in range(1, 5)])

    batch = imported(again, "registros-2.xlsx")

    assert batch.status == BatchStatus.CONFIRM and batch.duplicates == 4
    with pytest.raises(services.BatchNotReady):
        services.batch_approve(actor=supervisor, batch_id=batch.pk)
    services.batch_reupload_deny(actor=caseworker, batch_id=batch.pk)
    batch = approve(ImportBatch.objects.get(pk=batch.pk))
    assert batch.status == BatchStatus.VALIDATED and Case.objects.count() == 4  # duplicates wait for a decision


def test_duplicates_within_the_batch_and_against_existing_cases_wait_for_a_decision(
        imported, approve, caseworker, supervisor, caravan, tij, django_capture_on_commit_callbacks):
    from cases.registration import MemberInput

    existing = household(actor=caseworker, programme=caravan, office=tij, people=[MemberInput(
        given_names="Rosa", family_names="Pérez Gómez", sex="female", nationality="HN",
        date_of_birth=date(1985, 1, 1), document_type="passport", document_number="PX12345",
        place_of_origin="Choloma")])
    content = workbook_bytes(
        [household_row(n) for n in range(1, 6)],
        [member_row(1), member_row(2), member_row(3, doc="P0000001", given="Otra"), member_row(4),
         member_row(5, doc="PX12345", given="Rosa", family="Pérez Gómez", born=date(1985, 1, 1))])

    batch = imported(content)

    rows = {row.household_key: row for row in ImportRow.objects.filter(batch=batch)}
    assert batch.status == BatchStatus.VALIDATED and batch.duplicates == 2 and batch.new == 3
    assert rows["HH-3"].status == RowStatus.DUPLICATE
    assert rows["HH-3"].candidates[0]["in_batch"] and rows["HH-3"].candidates[0]["sheet_row"] == 2
    assert rows["HH-5"].status == RowStatus.DUPLICATE
    assert rows["HH-5"].candidates[0]["case_id"] == existing.pk and "document" in rows["HH-5"].candidates[0]["reasons"]

    batch = approve(batch)
    assert batch.status == BatchStatus.VALIDATED and Case.objects.count() == 4
    with django_capture_on_commit_callbacks(execute=True):
        services.row_duplicate_decide(actor=caseworker, row_id=rows["HH-3"].pk, decision="new")
    with django_capture_on_commit_callbacks(execute=True):
        services.row_duplicate_decide(actor=supervisor, row_id=rows["HH-5"].pk, decision="skip")

    batch.refresh_from_db()
    assert batch.status == BatchStatus.MERGED and Case.objects.count() == 5
    assert ImportRow.objects.get(pk=rows["HH-5"].pk).status == RowStatus.SKIPPED


def test_a_refused_batch_loses_its_file_and_its_rows_data(imported, supervisor):
    batch = imported(households_file(2))
    path = batch.file.path

    services.batch_refuse(actor=supervisor, batch_id=batch.pk, reason="Lista equivocada")

    batch.refresh_from_db()
    assert batch.status == BatchStatus.REFUSED and not batch.file
    assert not os.path.exists(path)
    assert ImportRow.objects.count() == 2
    assert all(row.data == {} and row.candidates == [] for row in ImportRow.objects.all())
    assert AuditEvent.objects.filter(reason="import_refuse", object_id=str(batch.pk)).exists()
    assert Case.objects.count() == 0


@pytest.mark.parametrize(("name", "content", "message"), [
    ("lista.xlsx", b"nombre,apellido\nAna,Reyes\n", "not an XLSX"),
    ("lista.xlsx", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "not an XLSX"),
    ("lista.xlsx", b"PK\x03\x04garbage", "not an XLSX"),
])
def test_a_file_that_is_no_xlsx_is_refused_with_a_message_and_touches_nothing(
        name, content, message, caseworker, caravan, tij):
    with pytest.raises(ValidationError) as refused:
        services.batch_upload(actor=caseworker, programme=caravan, office=tij, file=upload(content, name))

    assert message in refused.value.message_dict["file"][0]
    assert ImportBatch.objects.count() == 0 and Case.objects.count() == 0


def test_a_missing_sheet_fails_the_batch_with_its_name(imported):
    batch = imported(workbook_bytes([household_row(1)], [], sheets=("Households",)))

    assert batch.status == BatchStatus.FAILED
    assert batch.error == "The file has no “Members” sheet."
    assert ImportRow.objects.count() == 0 and Case.objects.count() == 0


def test_a_file_that_failed_may_be_sent_again_and_a_failed_batch_keeps_no_file(imported):
    content = workbook_bytes([household_row(1)], [], sheets=("Households",))
    failed = imported(content)
    assert failed.status == BatchStatus.FAILED and not failed.file

    again = imported(content, "otra-vez.xlsx")

    assert again.pk != failed.pk and again.status == BatchStatus.FAILED


def test_a_missing_required_column_fails_the_batch_naming_it(imported):
    headers = ["Household ID", "Intake date", "Consent to collect data"]
    batch = imported(workbook_bytes([["HH-1", None, "explicit"]], [member_row(1)], household_headers=headers))

    assert batch.status == BatchStatus.FAILED
    assert "Country of return" in batch.error and "Households" in batch.error


def test_spanish_sheets_headers_and_labels_are_read_as_well(imported):
    from imports.columns import (
        HOUSEHOLD_COLUMNS,
        HOUSEHOLDS_SHEET,
        MEMBER_COLUMNS,
        MEMBERS_SHEET,
    )

    with translation.override("es"):
        household_headers = [str(c.label) for c in HOUSEHOLD_COLUMNS]
        member_headers = [str(c.label) for c in MEMBER_COLUMNS]
        sheets = (str(HOUSEHOLDS_SHEET), str(MEMBERS_SHEET))
    content = workbook_bytes([household_row(1, how="Difusión en un módulo", consent="Explícito")],
                             [member_row(1, sex="Mujer", relationship="Principal")], sheets=sheets,
                             household_headers=household_headers, member_headers=member_headers)

    batch = imported(content)

    row = ImportRow.objects.get(batch=batch)
    assert batch.status == BatchStatus.VALIDATED, (batch.error, row.errors)
    assert row.data["consent"]["type"] == "explicit" and row.data["members"][0]["sex"] == "female"


def test_sheets_of_other_names_are_read_by_their_position(imported):
    batch = imported(workbook_bytes([household_row(1)], [member_row(1)], sheets=("Hoja1", "Hoja2")))

    assert batch.status == BatchStatus.VALIDATED and batch.rows == 1


def test_100000_empty_rows_cost_no_minute(imported):
    import time

    started = time.monotonic()
    batch = imported(workbook_bytes([household_row(1)], [member_row(1)], empty_rows=100_000))

    assert batch.status == BatchStatus.VALIDATED and batch.rows == 1
    assert time.monotonic() - started < 30


def test_formulas_are_refused_never_run_and_nul_bytes_too(imported, approve):
    content = workbook_bytes(
        [household_row(1), household_row(2, notes="=HYPERLINK(\"http://x\",\"y\")"), household_row(3)],
        [member_row(1), member_row(2), member_row(3, given="Ana_x0000_Lucía")])  # a NUL, as the file writes one

    batch = imported(content)

    rows = {row.household_key: row for row in ImportRow.objects.filter(batch=batch)}
    assert rows["HH-2"].status == RowStatus.INVALID
    assert "formula" in rows["HH-2"].errors["households"]["caseworker_notes"][0]
    assert "control characters" in rows["HH-3"].errors["members"]["4"]["given_names"][0]
    approve(batch)
    assert Case.objects.count() == 1 and not Case.objects.filter(caseworker_notes__startswith="=").exists()


def test_more_households_than_allowed_fail_the_batch_with_a_clear_message(imported, settings):
    settings.IMPORT_MAX_HOUSEHOLDS = 3

    batch = imported(households_file(5))

    assert batch.status == BatchStatus.FAILED and "more than 3 households" in batch.error
    assert ImportRow.objects.count() == 0


def test_a_file_too_large_is_refused_before_it_is_read(caseworker, caravan, tij, settings):
    settings.IMPORT_MAX_BYTES = 1000

    with pytest.raises(ValidationError) as refused:
        services.batch_upload(actor=caseworker, programme=caravan, office=tij, file=upload(households_file(50)))

    assert "larger than" in refused.value.message_dict["file"][0]


def test_a_caseworker_of_another_booth_cannot_upload_for_this_one(outsider, caravan, tij):
    with pytest.raises(ValidationError) as refused:
        services.batch_upload(actor=outsider, programme=caravan, office=tij, file=upload(households_file(1)))

    assert "office" in refused.value.message_dict and ImportBatch.objects.count() == 0


def test_batches_are_visible_to_their_booth_and_supervisors_only(imported, caseworker, supervisor, outsider,
                                                                 other_supervisor):
    batch = imported(households_file(1))

    assert list(services.batches_visible_to(caseworker)) == [batch]
    assert list(services.batches_visible_to(supervisor)) == [batch]
    assert not services.batches_visible_to(outsider).exists()
    assert not services.batches_visible_to(other_supervisor).exists()


def test_a_merge_run_twice_makes_each_case_once(imported, approve):
    from imports.merge import batch_merge

    batch = approve(imported(households_file(5)))
    ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.MERGING)

    batch_merge(batch.pk)

    assert Case.objects.count() == 5


def test_an_orphaned_batch_is_queued_again(imported, settings):
    from datetime import timedelta

    from django.utils import timezone

    from outbox.models import OutboxMessage

    batch = imported(households_file(1))
    ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.QUEUED, heartbeat_at=None,
                                                   uploaded_at=timezone.now() - timedelta(hours=1))
    OutboxMessage.objects.all().delete()

    assert services.batches_orphaned_requeue() == [batch.pk]
    assert OutboxMessage.objects.filter(key=f"import-parse:{batch.pk}").exists()
    assert services.batches_orphaned_requeue() == []  # its message is open now: nothing twice
    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "imports.tasks.batches_orphaned_requeue_task" in beat


def kobo_body(notes: str = "", phone: str = "") -> dict:
    return {"destination_country": "HN", "intake_date": "2018-11-19", "how_heard": "shelter",
            "consent": {"type": "explicit", "reason": "", "date": "2018-11-19"}, "caseworker_notes": notes,
            "members": [{"relationship": "principal", "given_names": "Rosa", "family_names": "Zelaya Cruz",
                         "sex": "female", "date_of_birth": "1989-04-02", "estimated_age": None, "nationality": "HN",
                         "document_type": "", "document_number": "", "document_issuing_country": "",
                         "phone": phone, "country_of_residence": "", "languages": "", "place_of_origin": "Choloma",
                         "intended_destination": ""}]}


def kobo_batch(caseworker, caravan, tij, digest: str, body: dict) -> ImportBatch:
    from imports.models import BatchKind
    from imports.staging import StagedHousehold, batch_stage

    batch = ImportBatch.objects.create(kind=BatchKind.KOBO, programme=caravan, office=tij, uploaded_by=caseworker,
                                       file_digest=digest, language="en")
    return batch_stage(batch, [StagedHousehold(household_key="a1b2", sheet_row=1, member_rows=[1], data=body,
                                               kobo_uuid="0c4f-a1b2")])


def test_a_kobo_submission_amended_since_its_merge_updates_its_case_and_makes_none(caseworker, caravan, tij,
                                                                                  approve):
    first = approve(kobo_batch(caseworker, caravan, tij, "kobo-1", kobo_body()))
    case = Case.objects.get()
    assert first.status == BatchStatus.MERGED and case.import_row.kobo_uuid == "0c4f-a1b2"

    amended = kobo_batch(caseworker, caravan, tij, "kobo-2", kobo_body(notes="Llegó con fiebre.",
                                                                       phone="+504 9999 1234"))
    row = ImportRow.objects.get(batch=amended)
    assert (row.status, row.updates_case_id, amended.new) == (RowStatus.UPDATE, case.pk, 0)
    approve(amended)

    case.refresh_from_db()
    assert Case.objects.count() == 1
    assert case.caseworker_notes == "Llegó con fiebre." and case.members.get().phone == "+504 9999 1234"
    assert ImportRow.objects.get(pk=row.pk).status == RowStatus.MERGED


def test_an_upload_past_the_upload_handlers_limit_is_refused_with_that_limit(caseworker, caravan, tij, settings):
    from screening.uploads import OversizedUpload

    settings.AVR_UPLOAD_MAX_MB = 10
    too_big = OversizedUpload(name="enorme.xlsx", content_type="application/octet-stream", size=15 * 1024 * 1024)

    with pytest.raises(ValidationError) as refused:
        services.batch_upload(actor=caseworker, programme=caravan, office=tij, file=too_big)

    assert refused.value.message_dict["file"] == ["The file is larger than 10 MB."]
    assert ImportBatch.objects.count() == 0
