"""Anonymising a closed case: no personal value left anywhere in the database, the audit log's values unreadable,
the donor report's numbers unchanged, and a case not closed or under a legal hold refused."""

import os
from datetime import date

import pytest
from django.utils import translation
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from audit.models import CaseKey
from cases.models import Case, Member
from cases.services import case_transition
from reception import services as reception_services
from reports.data import donor_report_data, report_json
from retention.models import ErasureCertificate, LegalHold
from retention.plan import MARKER
from retention.services import AnonymisationRefused, case_anonymise
from screening.models import Declaration
from tests.test_reports import PERIOD, returned  # noqa: F401  (the report test's dataset, as a fixture)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
PDF = b"%PDF-1.4\n% declaracion firmada\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def closed(case, reception):
    """Arrived (everyone checked in) and closed as a completed return."""
    case_transition(case_id=case.pk, to="arrived", actor=reception)
    case_transition(case_id=case.pk, to="closed", actor=reception, choices={"closure_reason": "completed"})
    case.refresh_from_db()
    return case


@pytest.fixture
def personal(returned, supervisor, reception, settings, tmp_path):  # noqa: F811
    """The report's family and girl, closed; the mother's phone and notes typed everywhere; her declaration scanned;
    the girl 17 on the day of travel and 18 by her birth year alone (her age band must not move)."""
    settings.MEDIA_ROOT = tmp_path
    the_family, girl = returned
    Member.objects.filter(case=girl).update(date_of_birth=date(TODAY.year - 18, 12, 31))
    ana = the_family.members.get(given_names="Ana Lucía")
    Member.objects.filter(pk=ana.pk).update(phone="+504 9988 7766", place_of_origin="Choloma")
    Case.objects.filter(pk=the_family.pk).update(caseworker_notes="Ana Lucía Reyes Paz llamó desde Choloma")
    declaration = Declaration.objects.filter(member=ana).first()
    declaration.scan.save("firma.pdf", ContentFile(PDF), save=True)
    reception_services.handover_record(actor=reception, member_id=girl.members.get().pk, data={
        "authority": "dinaf", "official_name": "Licda. Karla Mejía", "official_position": "Oficial de protección",
        "handed_over_at": timezone.now(), "goes_to": "family", "goes_to_name": "Abuela materna"})
    for case in (the_family, girl):
        closed(case, reception)
    return the_family, girl, declaration


def secrets_of(cases) -> list[str]:
    values = []
    for member in Member.objects.filter(case__in=cases):
        values += [member.given_names, member.family_names, member.document_number, member.phone]
    return [v for v in values if v and len(v) > 3]


def text_columns() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT c.table_name, c.column_name FROM information_schema.columns c
            JOIN information_schema.tables t ON t.table_name = c.table_name AND t.table_schema = c.table_schema
            WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
              AND c.data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY', 'bytea')""")
        return cursor.fetchall()


def places_holding(values: list[str]) -> list[tuple[str, str, str]]:
    """Every (table, column, value) where one of the values appears, in any text, JSON or array column."""
    found = []
    with connection.cursor() as cursor:
        for table, column in text_columns():
            for value in values:
                cursor.execute(f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE %s',
                               [f"%{value}%"])
                if cursor.fetchone()[0]:
                    found.append((table, column, value))
    return found


def report_numbers(programme) -> dict:
    data = report_json(donor_report_data(programme=programme, generated_at=timezone.now(), suppressed=False,
                                         **PERIOD))
    data.pop("generated_at")
    return data


def test_the_search_finds_the_members_values_before_anonymising(personal):
    the_family, girl, _ = personal

    found = {(table, column) for table, column, _ in places_holding(secrets_of([the_family, girl]))}

    assert ("cases_member", "given_names") in found
    assert ("cases_member", "document_number") in found
    assert ("cases_case", "caseworker_notes") in found


# Typed about these households elsewhere: the town they come from, the child's views, who received her.
FREE_TEXT = ["Choloma", "Volver con su abuela", "Abuela materna", "Karla Mejía", "llamó desde"]


def test_anonymising_leaves_no_name_document_or_phone_anywhere_in_the_database(personal, supervisor):
    the_family, girl, declaration = personal
    secrets = secrets_of([the_family, girl]) + FREE_TEXT
    assert {value for _, _, value in places_holding(FREE_TEXT)} == set(FREE_TEXT)
    scan_path = declaration.scan.path

    for case in (the_family, girl):
        case_anonymise(case_id=case.pk, actor=supervisor)

    assert places_holding(secrets) == []
    ana = Member.objects.get(pk=the_family.members.get(relationship="principal").pk)
    assert (ana.given_names, ana.family_names, ana.document_number, ana.phone) == (MARKER, MARKER, "", "")
    assert ana.date_of_birth == date(1991, 1, 1) and ana.place_of_origin == "HN"
    assert Case.objects.get(pk=the_family.pk).caseworker_notes == ""
    declaration.refresh_from_db()
    assert declaration.scan.name == "" and not os.path.exists(scan_path)


def test_the_audit_log_stays_and_its_values_for_the_case_cannot_be_read(personal, supervisor, admin_user):
    from audit.models import AuditEvent
    from audit.services import audit_values_read

    the_family, _, _ = personal
    lines = AuditEvent.objects.filter(changes__case=the_family.pk)
    sealed = list(lines.filter(changes__has_key="sealed").values_list("pk", flat=True))
    assert sealed, "the case's history was sealed with its key"
    count = lines.count()

    case_anonymise(case_id=the_family.pk, actor=supervisor)

    assert CaseKey.objects.get(case_id=the_family.pk).key is None
    assert AuditEvent.objects.filter(pk__in=sealed).count() == len(sealed)  # nothing edited or deleted
    assert lines.count() > count  # the overwrite itself is logged, by column names
    entry = AuditEvent.objects.get(pk=sealed[0])
    assert audit_values_read(actor=admin_user, entry=entry, reason="retention check after anonymising") is None


def test_the_donor_report_gives_the_same_numbers_before_and_after(personal, supervisor, caravan):
    the_family, girl, _ = personal
    before = report_numbers(caravan)
    assert {r["age_band"] for r in before["tables"]["returned_by_age_band"]} == {"5-11", "12-17", "25-59"}

    for case in (the_family, girl):
        case_anonymise(case_id=case.pk, actor=supervisor)

    assert Member.objects.get(case=girl).date_of_birth == date(TODAY.year - 18, 1, 1)  # 18 by the year alone
    assert report_numbers(caravan) == before


def test_a_dry_run_says_what_would_go_and_changes_nothing(personal, supervisor):
    the_family, _, declaration = personal
    members = list(Member.objects.filter(case=the_family).values())

    summary = case_anonymise(case_id=the_family.pk, actor=supervisor, dry_run=True)

    assert summary.dry_run and summary.certificate is None
    assert summary.removed["cases.Member"]["rows"] == 3
    assert "given_names" in summary.removed["cases.Member"]["fields"]
    assert summary.removed["files"] == 1
    assert list(Member.objects.filter(case=the_family).values()) == members
    assert CaseKey.objects.filter(case_id=the_family.pk, key__isnull=False).exists()
    assert ErasureCertificate.objects.count() == 0
    declaration.refresh_from_db()
    assert declaration.scan.name


def test_a_run_leaves_a_certificate_of_what_was_removed_by_whom_under_which_policy(personal, supervisor):
    the_family, _, _ = personal

    case_anonymise(case_id=the_family.pk, actor=supervisor)

    certificate = ErasureCertificate.objects.get()
    assert certificate.actor == supervisor and certificate.case_references == [the_family.reference]
    assert certificate.policy == f"programme {the_family.programme.code}: 24 months after closure"
    assert certificate.removed["cases.Member"]["rows"] == 3 and certificate.removed["audit_keys"] == 1
    assert Case.objects.get(pk=the_family.pk).anonymised_at is not None


def test_a_case_that_is_not_closed_is_refused_and_nothing_changes(ready_family, supervisor):
    names = list(Member.objects.filter(case=ready_family).values_list("given_names", flat=True))

    with pytest.raises(AnonymisationRefused) as refused:
        case_anonymise(case_id=ready_family.pk, actor=supervisor)

    assert refused.value.code == "case_not_closed" and ready_family.reference in refused.value.message
    assert list(Member.objects.filter(case=ready_family).values_list("given_names", flat=True)) == names
    assert ErasureCertificate.objects.count() == 0
    assert not CaseKey.objects.filter(case_id=ready_family.pk, key__isnull=True).exists()


def test_a_case_under_legal_hold_is_refused_and_nothing_changes(personal, supervisor):
    the_family, _, _ = personal
    LegalHold.objects.create(case=the_family, reason="Fiscalía: investigación abierta", placed_by=supervisor)

    with pytest.raises(AnonymisationRefused) as refused, translation.override("es"):
        case_anonymise(case_id=the_family.pk, actor=supervisor)

    assert refused.value.code == "legal_hold" and "retención legal" in refused.value.message
    assert Member.objects.filter(case=the_family, given_names="Ana Lucía").exists()
    assert Case.objects.get(pk=the_family.pk).anonymised_at is None
    assert ErasureCertificate.objects.count() == 0


def test_a_certificate_cannot_be_edited_or_removed_even_by_the_application(personal, supervisor):
    from django.db import DatabaseError, transaction

    the_family, _, _ = personal
    case_anonymise(case_id=the_family.pk, actor=supervisor)
    certificate = ErasureCertificate.objects.get()

    for change in (lambda: ErasureCertificate.objects.filter(pk=certificate.pk).update(policy="none"),
                   lambda: ErasureCertificate.objects.filter(pk=certificate.pk).delete()):
        with pytest.raises(DatabaseError), transaction.atomic():
            change()

    assert ErasureCertificate.objects.get().policy == certificate.policy
