"""The audit log keeps which columns changed; a case's values are sealed with its key, readable only with a reason."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, InternalError, ProgrammingError, connection, transaction

from accounts.choices import OfficeKind
from audit.models import AuditEvent, CaseKey
from audit.services import audit_actor_set, audit_values_read, case_audit_key_destroy
from cases.models import Member
from cases.registration import MemberInput
from screening.models import Vulnerability
from tests.factories import OfficeFactory, household
from travel.models import TravelDocument

pytestmark = pytest.mark.django_db

# Characters that base64 never produces: the sentinel cannot turn up inside sealed text by chance.
SENTINEL = "Centinela-ñ-7731"
REASON = "Subject access request ticket 42"
REFUSED = (InternalError, ProgrammingError, IntegrityError)


def clear_lines_with(text: str) -> int:
    """Audit lines whose stored changes hold `text` in clear, read straight from the table."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM audit_auditevent WHERE changes::text ILIKE %s", [f"%{text}%"])
        return cursor.fetchone()[0]


def sentinel_household(caseworker, caravan, tij):
    person = MemberInput(given_names=SENTINEL, family_names="Hernández López", sex="female",
                         date_of_birth=date(1990, 3, 14), nationality="HN", document_type="passport",
                         document_number="PSENT1", place_of_origin="San Pedro Sula")
    return household(actor=caseworker, programme=caravan, office=tij, people=[person])


def line(object_type: str, action: str, object_id) -> AuditEvent:
    return AuditEvent.objects.filter(object_type=object_type, action=action, object_id=str(object_id)).latest("id")


def test_a_members_name_is_sealed_on_insert_update_and_delete_and_its_columns_are_named(
        caseworker, caravan, tij, admin_user):
    case = sentinel_household(caseworker, caravan, tij)
    member = case.members.get()
    Member.objects.filter(pk=member.pk).update(phone="+504 9999-" + "7731")
    inserted, updated = line("cases_member", "insert", member.pk), line("cases_member", "update", member.pk)
    Member.objects.filter(pk=member.pk).delete()
    deleted = line("cases_member", "delete", member.pk)

    assert clear_lines_with(SENTINEL) == 0
    assert clear_lines_with("9999-7731") == 0
    assert "given_names" in inserted.changes["columns"] and "given_names" in deleted.changes["columns"]
    assert updated.changes["columns"] == ["phone"]
    assert {inserted.changes["case"], updated.changes["case"], deleted.changes["case"]} == {case.pk}
    assert audit_values_read(actor=admin_user, entry=inserted, reason=REASON)["after"]["given_names"] == SENTINEL
    assert audit_values_read(actor=admin_user, entry=updated, reason=REASON) == {
        "before": {"phone": ""}, "after": {"phone": "+504 9999-7731"}}
    assert audit_values_read(actor=admin_user, entry=deleted, reason=REASON)["before"]["given_names"] == SENTINEL


def test_screening_and_travel_records_are_sealed_with_their_members_case_key(caseworker, caravan, tij, admin_user):
    case = sentinel_household(caseworker, caravan, tij)
    member = case.members.get()
    vulnerability = Vulnerability.objects.create(member=member, kind="gbv", severity="high", note=SENTINEL)
    document = TravelDocument.objects.create(member=member, type="passport", number="DOC-ñ-7731", status="ready",
                                             recorded_by=caseworker)
    TravelDocument.objects.filter(pk=document.pk).delete()

    assert clear_lines_with(SENTINEL) == 0
    assert clear_lines_with("DOC-ñ-7731") == 0
    for entry in (line("screening_vulnerability", "insert", vulnerability.pk),
                  line("travel_traveldocument", "insert", document.pk),
                  line("travel_traveldocument", "delete", document.pk)):
        assert entry.changes["case"] == case.pk
        assert "sealed" in entry.changes
    values = audit_values_read(actor=admin_user, entry=line("screening_vulnerability", "insert", vulnerability.pk),
                               reason=REASON)
    assert values["after"]["note"] == SENTINEL


def test_each_case_has_its_own_key(caseworker, caravan, tij):
    first = household(actor=caseworker, programme=caravan, office=tij)
    second = household(actor=caseworker, programme=caravan, office=tij)

    keys = {k.case_id: bytes(k.key) for k in CaseKey.objects.filter(case_id__in=[first.pk, second.pk])}
    assert set(keys) == {first.pk, second.pk}
    assert keys[first.pk] != keys[second.pk] and len(keys[first.pk]) == 32


def test_an_office_change_keeps_its_values_in_clear(db):
    office = OfficeFactory(code="TIJ2", name="Tijuana booth", kind=OfficeKind.REGISTRATION_BOOTH)
    office.name = "Tijuana booth (north)"
    office.save()

    change = line("accounts_office", "update", office.pk)
    assert change.changes == {"columns": ["name"], "before": {"name": "Tijuana booth"},
                              "after": {"name": "Tijuana booth (north)"}}


def test_a_caseworker_may_not_read_audit_values_and_the_attempt_leaves_no_view_line(caseworker, caravan, tij):
    case = sentinel_household(caseworker, caravan, tij)
    entry = line("cases_member", "insert", case.members.get().pk)
    before = AuditEvent.objects.count()

    with pytest.raises(PermissionDenied):
        audit_values_read(actor=caseworker, entry=entry, reason=REASON)

    assert AuditEvent.objects.count() == before


def test_an_admin_without_a_reason_reads_nothing_and_nothing_is_logged(caseworker, caravan, tij, admin_user):
    case = sentinel_household(caseworker, caravan, tij)
    entry = line("cases_member", "insert", case.members.get().pk)
    before = AuditEvent.objects.count()

    with pytest.raises(ValidationError):
        audit_values_read(actor=admin_user, entry=entry, reason="   because ")

    assert AuditEvent.objects.count() == before


def test_an_admins_reading_is_itself_logged_with_the_reason(caseworker, caravan, tij, admin_user):
    case = sentinel_household(caseworker, caravan, tij)
    entry = line("cases_member", "insert", case.members.get().pk)

    audit_values_read(actor=admin_user, entry=entry, reason=REASON)

    read = AuditEvent.objects.get(action="view", object_type="audit.auditevent", object_id=str(entry.pk))
    assert read.actor == admin_user
    assert read.reason == REASON


def test_the_management_command_shows_the_values_to_an_admin_and_refuses_anyone_else(
        caseworker, caravan, tij, admin_user, capsys):
    case = sentinel_household(caseworker, caravan, tij)
    entry = line("cases_member", "insert", case.members.get().pk)

    call_command("audit_values", str(entry.pk), actor=admin_user.username, reason=REASON)
    assert SENTINEL in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("audit_values", str(entry.pk), actor=caseworker.username, reason=REASON)
    assert SENTINEL not in capsys.readouterr().out
    assert AuditEvent.objects.filter(action="view", object_type="audit.auditevent").count() == 1


def test_destroying_a_cases_key_makes_its_values_unreadable_and_keeps_every_line(
        caseworker, caravan, tij, admin_user):
    case = sentinel_household(caseworker, caravan, tij)
    other = household(actor=caseworker, programme=caravan, office=tij)
    entry = line("cases_member", "insert", case.members.get().pk)
    other_entry = line("cases_member", "insert", other.members.get().pk)
    lines_before = list(AuditEvent.objects.filter(changes__case=case.pk).order_by("id").values_list("id", "changes"))

    case_audit_key_destroy(case_id=case.pk, actor=admin_user)

    assert len(lines_before) >= 3  # the case, its member, its consent, its events
    assert audit_values_read(actor=admin_user, entry=entry, reason=REASON) is None
    assert CaseKey.objects.get(case_id=case.pk).key is None
    assert list(AuditEvent.objects.filter(changes__case=case.pk).order_by("id").values_list("id", "changes")) == lines_before
    assert audit_values_read(actor=admin_user, entry=other_entry, reason=REASON) is not None
    assert AuditEvent.objects.filter(action="shred", object_id=str(case.pk), actor=admin_user).exists()


def test_after_the_key_is_destroyed_later_changes_keep_names_only_and_no_new_key_is_made(caseworker, caravan, tij):
    case = sentinel_household(caseworker, caravan, tij)
    case_audit_key_destroy(case_id=case.pk)

    Member.objects.filter(case=case).update(given_names="Anónima-ñ-0")

    change = AuditEvent.objects.filter(object_type="cases_member", action="update").latest("id")
    assert change.changes == {"columns": ["given_names"], "case": case.pk}
    assert clear_lines_with("Anónima-ñ-0") == 0
    assert CaseKey.objects.get(case_id=case.pk).key is None


def test_after_the_key_is_destroyed_the_log_still_refuses_update_and_delete(caseworker, caravan, tij):
    case = sentinel_household(caseworker, caravan, tij)
    case_audit_key_destroy(case_id=case.pk)
    entry = line("cases_member", "insert", case.members.get().pk)

    for statement in ("UPDATE audit_auditevent SET changes = NULL WHERE id = %s",
                      "DELETE FROM audit_auditevent WHERE id = %s"):
        with pytest.raises(REFUSED, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement, [entry.pk])

    assert AuditEvent.objects.get(pk=entry.pk).changes == entry.changes


def test_the_writer_of_a_sealed_change_is_still_named(caseworker, caravan, tij):
    case = household(actor=caseworker, programme=caravan, office=tij)

    with transaction.atomic():
        audit_actor_set(actor=caseworker)
        Member.objects.filter(case=case).update(phone="+52 664 000 0000")

    change = AuditEvent.objects.filter(object_type="cases_member", action="update").latest("id")
    assert change.actor == caseworker and change.changes["columns"] == ["phone"]


def test_the_sql_cipher_matches_hmac_sha256_in_counter_mode():
    import hashlib
    import hmac

    key, nonce, data = b"k" * 32, b"n" * 16, ("María José " * 9).encode()
    stream = b"".join(hmac.new(key, nonce + n.to_bytes(4, "big"), hashlib.sha256).digest() for n in range(4))
    expected = bytes(a ^ b for a, b in zip(data, stream))

    with connection.cursor() as cursor:
        cursor.execute("SELECT avr_audit_cipher(%s, %s, %s), avr_audit_cipher(%s, %s, avr_audit_cipher(%s, %s, %s))",
                       [key, nonce, data, key, nonce, key, nonce, data])
        sealed, roundtrip = cursor.fetchone()
    assert bytes(sealed) == expected
    assert bytes(roundtrip) == data


def test_the_migration_seals_the_lines_written_in_clear_before_it(caseworker, caravan, tij, admin_user):
    import importlib

    case = sentinel_household(caseworker, caravan, tij)
    member = case.members.get()
    old_update = AuditEvent.objects.create(action="update", object_type="cases_member", object_id=str(member.pk),
                                           changes={"phone": ["", SENTINEL]})
    old_insert = AuditEvent.objects.create(action="insert", object_type="cases_member", object_id=str(member.pk),
                                           changes={"after": {"id": member.pk, "case_id": case.pk,
                                                              "given_names": SENTINEL, "phone": None}})
    old_user = AuditEvent.objects.create(action="update", object_type="accounts_user", object_id=str(caseworker.pk),
                                         changes={"last_name": ["", SENTINEL], "is_active": [True, False]})
    migration = importlib.import_module("audit.migrations.0004_sealed_values")

    with connection.cursor() as cursor:
        cursor.execute(migration.RESEAL_FUNCTION + migration.RESEAL_SQL)

    assert clear_lines_with(SENTINEL) == 0
    for entry in (old_update, old_insert, old_user):
        entry.refresh_from_db()
    assert old_update.changes["columns"] == ["phone"] and old_update.changes["case"] == case.pk
    assert audit_values_read(actor=admin_user, entry=old_update, reason=REASON) == {
        "before": {"phone": ""}, "after": {"phone": SENTINEL}}
    assert old_insert.changes["columns"] == ["case_id", "given_names", "id"]
    assert audit_values_read(actor=admin_user, entry=old_insert, reason=REASON)["after"]["given_names"] == SENTINEL
    assert old_user.changes == {"columns": ["is_active", "last_name"], "before": {"is_active": True},
                                "after": {"is_active": False}}
    with pytest.raises(REFUSED, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=old_user.pk).update(reason="tampered")
