"""POST /api/v1/sync/ and its companions: operations applied once, in order, conflicts kept, bad input refused."""

import uuid
from datetime import date, timedelta

import pytest

from cases.models import Case, Consent, Member
from sync.models import Device, SyncConflict, SyncOperation
from tests.conftest import api_as
from tests.factories import household
from tests.test_registration_api import family

pytestmark = pytest.mark.django_db


@pytest.fixture
def places(tij, tap, caravan):
    return tij


@pytest.fixture
def tablet(caseworker, places):
    response = api_as(caseworker).post("/api/v1/devices/", {"label": "Tableta 1"}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def op(sequence, kind, payload, **extra):
    return {"id": str(uuid.uuid4()), "sequence": sequence, "kind": kind, "form_version": "registration-1",
            "captured_at": "2026-12-01T10:00:00Z", "payload": payload, **extra}


def sync(user, tablet, *operations, **envelope):
    return api_as(user).post("/api/v1/sync/", {"device": tablet["id"], "operations": list(operations), **envelope},
                             format="json")


def test_an_offline_registration_is_applied_once_with_its_slip_reference(caseworker, tablet):
    slip = f"{tablet['reference_block']['prefix']}0001"
    operation = op(1, "register", {**family(), "provisional_reference": slip})

    first = sync(caseworker, tablet, operation)
    again = sync(caseworker, tablet, operation)

    assert first.status_code == 200, first.json()
    result = first.json()["results"][0]
    assert result["status"] == "applied", result
    case = Case.objects.get()
    assert case.provisional_reference == slip and result["case"]["reference"] == case.reference
    assert Consent.objects.filter(case=case, scope="collection").count() == 1
    assert [m["id"] for m in result["case"]["members"]] == list(case.members.order_by("id").values_list("id",
                                                                                                      flat=True))
    replay = again.json()["results"][0]
    assert replay["status"] == "replayed" and replay["case"]["id"] == case.pk
    assert Case.objects.count() == 1 and first.json()["last_sequence"] == 1


def test_the_same_id_with_other_content_is_refused(caseworker, tablet):
    operation = op(1, "register", family())
    sync(caseworker, tablet, operation)
    changed = {**operation, "payload": family(destination_country="SV")}

    result = sync(caseworker, tablet, changed).json()["results"][0]

    assert (result["status"], result["code"]) == ("rejected", "id_reused")
    assert Case.objects.get().destination_country == "HN"


def test_a_document_duplicate_is_registered_and_flagged_never_merged(caseworker, tablet, caravan, tij):
    household(actor=caseworker, programme=caravan, office=tij)
    existing = Member.objects.get()
    body = family()
    body["members"][0]["document_type"] = existing.document_type or "passport"
    body["members"][0]["document_number"] = existing.document_number or "F123456"
    if not existing.document_number:
        Member.objects.filter(pk=existing.pk).update(document_number="F123456", document_type="passport")

    result = sync(caseworker, tablet, op(1, "register", body)).json()["results"][0]

    assert result["status"] == "applied" and result["possible_duplicates"] == 1
    assert Case.objects.count() == 2
    assert SyncOperation.objects.get().possible_duplicates == 1


def test_operations_are_applied_in_sequence_and_may_rest_on_earlier_ones(caseworker, tablet):
    register = op(1, "register", family())
    add = op(2, "member_add", {"case": {"op": register["id"]}, "member": {
        "given_names": "Luis", "family_names": "Cruz", "sex": "male", "date_of_birth": "2019-01-01",
        "nationality": "HN", "relationship": "child", "place_of_origin": "Choloma"}})

    results = sync(caseworker, tablet, add, register).json()["results"]

    assert [r["status"] for r in results] == ["applied", "applied"]
    assert Case.objects.get().members.count() == 4


def test_an_offline_edit_of_a_field_changed_on_the_server_becomes_a_conflict(caseworker, tablet):
    applied = sync(caseworker, tablet, op(1, "register", family())).json()["results"][0]["case"]
    principal = Member.objects.get(pk=applied["members"][0]["id"])
    seen = {"date_of_birth": "1992-05-01", "phone": "+504 3344-5566"}
    # On the server meanwhile: a supervisor corrects the birth date and the phone.
    api_as(caseworker).patch(f"/api/v1/members/{principal.pk}/", {"version": applied["version"],
                                                                  "date_of_birth": "1990-05-01",
                                                                  "phone": "+504 1111-2222"}, format="json")
    edit = op(2, "member_edit", {"member": principal.pk, "base_version": applied["version"], "base": seen,
                                 "changes": {"date_of_birth": "1993-05-01", "phone": "+504 9999-0000"}})

    result = sync(caseworker, tablet, edit).json()["results"][0]

    assert result["status"] == "conflict", result
    principal.refresh_from_db()
    assert principal.date_of_birth == date(1990, 5, 1)  # the server's value was not overwritten
    assert principal.phone == "+504 9999-0000"  # low risk: merged
    conflict = SyncConflict.objects.get()
    assert (conflict.field, conflict.server_value, conflict.device_value) == ("date_of_birth", "1990-05-01",
                                                                               "1993-05-01")
    listed = api_as(caseworker).get("/api/v1/sync/conflicts/").json()["results"]
    assert [c["id"] for c in listed] == [conflict.pk] and listed[0]["device_value"] == "1993-05-01"

    resolved = api_as(caseworker).post(f"/api/v1/sync/conflicts/{conflict.pk}/resolve/", {"choice": "device"},
                                       format="json")
    assert resolved.status_code == 200, resolved.json()
    principal.refresh_from_db()
    assert principal.date_of_birth == date(1993, 5, 1)
    twice = api_as(caseworker).post(f"/api/v1/sync/conflicts/{conflict.pk}/resolve/", {"choice": "server"},
                                    format="json")
    assert twice.status_code == 409 and twice.json()["code"] == "already_resolved"


def test_someone_who_may_not_see_the_case_sees_no_conflict_and_gets_404(caseworker, outsider, tablet):
    applied = sync(caseworker, tablet, op(1, "register", family())).json()["results"][0]["case"]
    member_id = applied["members"][0]["id"]
    Member.objects.filter(pk=member_id).update(date_of_birth=date(1980, 1, 1))
    sync(caseworker, tablet, op(2, "member_edit", {"member": member_id, "base_version": 0,
                                                   "base": {"date_of_birth": "1992-05-01"},
                                                   "changes": {"date_of_birth": "1993-05-01"}}))
    conflict = SyncConflict.objects.get()

    assert api_as(outsider).get("/api/v1/sync/conflicts/").json()["results"] == []
    response = api_as(outsider).post(f"/api/v1/sync/conflicts/{conflict.pk}/resolve/", {"choice": "device"},
                                     format="json")
    assert response.status_code == 404
    assert SyncConflict.objects.get().status == "open"


def test_an_unknown_form_version_is_refused_and_the_rest_of_the_batch_applies(caseworker, tablet):
    old = op(1, "register", family(), form_version="registration-0")
    good = op(2, "register", family(destination_country="SV"))

    results = sync(caseworker, tablet, old, good).json()["results"]

    assert [(r["status"], r["code"]) for r in results] == [("rejected", "form_version_unknown"), ("applied", "")]
    assert Case.objects.get().destination_country == "SV"


def test_a_revoked_tablet_is_refused_and_nothing_is_applied(caseworker, supervisor, tablet):
    response = api_as(supervisor).post(f"/api/v1/devices/{tablet['id']}/revoke/", {"reason": "lost"},
                                       format="json")
    assert response.status_code == 200, response.json()

    refused = sync(caseworker, tablet, op(1, "register", family()))

    assert refused.status_code == 403 and refused.json()["code"] == "device_revoked"
    assert Case.objects.count() == 0
    assert api_as(caseworker).get(f"/api/v1/devices/{tablet['id']}/key/").status_code == 403


def test_malformed_operations_are_refused_one_by_one(caseworker, tablet):
    results = sync(caseworker, tablet, "junk", {"id": "x"}, op(3, "teleport", {}),
                   op(4, "register", {"members": "x" * 10})).json()["results"]

    assert [r["code"] for r in results] == ["unknown_kind", "invalid", "malformed", "malformed"]  # in sequence order
    assert Case.objects.count() == 0


def test_a_nul_byte_or_an_oversized_batch_is_a_clear_400(caseworker, tablet, settings):
    nul = sync(caseworker, tablet, op(1, "register", family(caseworker_notes="a\x00b")))
    settings.SYNC_BATCH_MAX = 2
    big = sync(caseworker, tablet, *[op(i, "register", family()) for i in range(1, 4)])

    assert nul.status_code == 400 and nul.json()["code"]
    assert big.status_code == 400 and big.json()["code"] == "batch_too_large"
    assert Case.objects.count() == 0


def test_another_users_tablet_is_not_found(outsider, tablet):
    assert sync(outsider, tablet).status_code == 404
    assert api_as(outsider).get(f"/api/v1/devices/{tablet['id']}/key/").status_code == 404


def test_the_tablet_reports_its_queue_for_the_monitor(caseworker, tablet):
    oldest = "2026-11-30T08:00:00Z"
    sync(caseworker, tablet, op(1, "register", family()), pending=5, oldest_pending_at=oldest,
         storage={"usage": 1000, "quota": 50000, "persisted": True})

    device = Device.objects.get()
    assert device.pending == 4 and device.storage_persisted is True and device.last_seen_at is not None
    listed = api_as(caseworker).get("/api/v1/devices/").json()["results"]
    assert listed[0]["pending"] == 4


def test_a_consent_withdrawal_always_wins(caseworker, tablet):
    applied = sync(caseworker, tablet, op(1, "register", family())).json()["results"][0]["case"]
    member = applied["members"][0]["id"]
    record = op(2, "consent_record", {"member": member, "scope": "follow_up", "type": "explicit",
                                      "given_on": date.today().isoformat()})
    sync(caseworker, tablet, record)
    withdraw = op(3, "consent_withdraw", {"consent": {"op": record["id"]}},
                  captured_at=(date.today() + timedelta(days=0)).isoformat() + "T12:00:00Z")

    result = sync(caseworker, tablet, withdraw).json()["results"][0]

    assert result["status"] == "applied", result
    assert Consent.objects.get(scope="follow_up").withdrawn_on == date.today()
    again = op(4, "consent_record", {"member": member, "scope": "follow_up", "type": "explicit",
                                     "given_on": date.today().isoformat()},
               captured_at=f"{date.today().isoformat()}T09:00:00Z")
    refused = sync(caseworker, tablet, again).json()["results"][0]
    assert refused["code"] == "consent_withdrawn"
    assert Consent.objects.filter(scope="follow_up").count() == 1


def sealed_export(tablet, user, operations, *, tamper: int | None = None) -> bytes:
    """An export as the booth makes it: each operation AES-GCM under a data key wrapped with the user's key."""
    import json
    import os

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.keywrap import aes_key_wrap

    from sync.keys import b64url, b64url_decode

    data_key = AESGCM.generate_key(bit_length=256)
    sealed = []
    for index, operation in enumerate(operations):
        iv = os.urandom(12)
        ciphertext = bytearray(AESGCM(data_key).encrypt(iv, json.dumps(operation["payload"]).encode(), None))
        if index == tamper:
            ciphertext[0] ^= 1
        sealed.append({"id": operation["id"], "sequence": operation["sequence"], "kind": operation["kind"],
                       "captured_at": operation["captured_at"], "iv": b64url(iv), "ciphertext": b64url(ciphertext)})
    return json.dumps({"format": "avr-booth-export-1", "device": tablet["id"], "user": user.pk,
                       "exported_at": "2026-12-02T10:00:00Z",
                       "wrapped_key": b64url(aes_key_wrap(b64url_decode(tablet["key"]), data_key)),
                       "operations": sealed}).encode()


def upload(user, raw: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return api_as(user).post("/api/v1/sync/import/", {"file": SimpleUploadedFile("cola.json", raw)},
                             format="multipart")


def test_the_exported_queue_of_a_withdrawn_tablet_is_applied_by_a_supervisor_once(caseworker, supervisor, tablet):
    operations = [op(1, "register", family()), op(2, "register", family(destination_country="SV")),
                  op(3, "register", family(destination_country="GT"))]
    raw = sealed_export(tablet, caseworker, operations, tamper=2)
    api_as(supervisor).post(f"/api/v1/devices/{tablet['id']}/revoke/", {"reason": "stolen"}, format="json")

    first = upload(supervisor, raw)
    again = upload(supervisor, raw)

    assert first.status_code == 200, first.json()
    assert [r["status"] for r in first.json()["results"]] == ["applied", "applied", "rejected"]
    assert first.json()["results"][2]["code"] == "corrupt"
    assert [r["status"] for r in again.json()["results"][:2]] == ["replayed", "replayed"]
    assert sorted(Case.objects.values_list("destination_country", flat=True)) == ["HN", "SV"]
    assert set(Case.objects.values_list("created_by", flat=True)) == {caseworker.pk}


def test_a_file_that_lies_about_being_an_export_touches_no_case(caseworker, outsider, tablet):
    raw = sealed_export(tablet, caseworker, [op(1, "register", family())])
    other_key = {**tablet, "key": "A" * 43}

    for body in (b"%PDF-1.4 not json", b"\x00\x01", b'{"format": "avr-booth-export-1"}',
                 sealed_export(other_key, caseworker, [op(1, "register", family())])):
        response = upload(caseworker, body)
        assert response.status_code == 400 and response.json()["code"] == "export_unreadable", body[:20]
    assert upload(outsider, raw).status_code == 404
    assert Case.objects.count() == 0


def test_anonymising_a_member_removes_the_conflicting_values_kept_for_them(caseworker, tablet):
    from retention.services import member_anonymise

    applied = sync(caseworker, tablet, op(1, "register", family())).json()["results"][0]["case"]
    member = Member.objects.get(pk=applied["members"][0]["id"])
    Member.objects.filter(pk=member.pk).update(date_of_birth=date(1980, 1, 1))
    sync(caseworker, tablet, op(2, "member_edit", {"member": member.pk, "base_version": 0,
                                                   "base": {"date_of_birth": "1992-05-01"},
                                                   "changes": {"date_of_birth": "1993-05-01"}}))
    assert SyncConflict.objects.filter(member=member).exists()

    member_anonymise(member=member)

    assert not SyncConflict.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_uploads_of_one_queue_at_once_apply_each_operation_once(caseworker, places):
    import threading

    from django.db import connection

    tablet = api_as(caseworker).post("/api/v1/devices/", {"label": "Tableta 1"}, format="json").json()
    operations = [op(1, "register", family()), op(2, "register", family(destination_country="SV"))]
    answers = []

    def upload_queue():
        try:
            answers.append(sync(caseworker, tablet, *operations).json()["results"])
        finally:
            connection.close()

    threads = [threading.Thread(target=upload_queue) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Case.objects.count() == 2
    statuses = sorted(r["status"] for results in answers for r in results)
    assert statuses == ["applied"] * 2 + ["replayed"] * 4
    assert len({r["case"]["id"] for results in answers for r in results}) == 2


def test_the_slip_reference_finds_the_case_for_those_who_may_see_it(caseworker, outsider, tablet):
    slip = f"{tablet['reference_block']['prefix']}0002"
    sync(caseworker, tablet, op(1, "register", {**family(), "provisional_reference": slip}))
    sync(caseworker, tablet, op(2, "register", family(destination_country="SV")))

    found = api_as(caseworker).get("/api/v1/cases/", {"q": slip.lower()}).json()["results"]
    hidden = api_as(outsider).get("/api/v1/cases/", {"q": slip}).json()["results"]

    assert [c["id"] for c in found] == [Case.objects.get(destination_country="HN").pk]
    assert hidden == []


def test_a_slip_reference_outside_the_tablets_block_is_kept_in_the_notes(caseworker, tablet):
    result = sync(caseworker, tablet, op(1, "register", {**family(), "provisional_reference": "P-TIJ-ZZZZ-0001"})
                  ).json()["results"][0]

    case = Case.objects.get()
    assert (result["status"], result["code"]) == ("applied", "reference_not_reserved")
    assert case.provisional_reference == "" and "P-TIJ-ZZZZ-0001" in case.caseworker_notes


@pytest.mark.django_db(transaction=True)
def test_a_new_block_of_slip_references_follows_the_last_one(caseworker, places, settings):
    settings.SYNC_REFERENCE_BLOCK_SIZE = 50
    tablet = api_as(caseworker).post("/api/v1/devices/", {"label": "Tableta 1"}, format="json").json()

    response = api_as(caseworker).post(f"/api/v1/devices/{tablet['id']}/references/")

    assert response.status_code == 201, response.content
    assert tablet["reference_block"]["start"] == 1 and tablet["reference_block"]["end"] == 50
    assert (response.json()["start"], response.json()["end"]) == (51, 100)
    slip = f"{tablet['reference_block']['prefix']}0075"
    sync(caseworker, tablet, op(1, "register", {**family(), "provisional_reference": slip}))
    assert Case.objects.get().provisional_reference == slip


def test_enrolling_and_withdrawing_a_tablet_are_audited(caseworker, supervisor, tablet):
    from audit.models import AuditEvent

    api_as(supervisor).post(f"/api/v1/devices/{tablet['id']}/revoke/", {"reason": "robada en Tijuana"},
                            format="json")

    events = AuditEvent.objects.filter(object_type="sync.device", object_id=tablet["id"]).order_by("id")
    assert [(e.action, e.actor_id) for e in events] == [("insert", caseworker.pk), ("update", supervisor.pk)]
    assert "robada" in events[1].reason


def test_only_a_supervisor_withdraws_a_tablet(caseworker, tablet):
    response = api_as(caseworker).post(f"/api/v1/devices/{tablet['id']}/revoke/", {"reason": "x"}, format="json")

    assert response.status_code == 403
    assert Device.objects.get().status == "active"


def test_a_household_withdraws_its_consent_to_collection_offline_and_it_goes_in_whatever_changed(caseworker,
                                                                                               tablet):
    register = op(1, "register", family())
    sync(caseworker, tablet, register)
    case = Case.objects.get()
    Case.objects.filter(pk=case.pk).update(version=case.version + 5)  # saved on the server meanwhile
    withdraw = op(2, "consent_withdraw", {"case": {"op": register["id"]}, "scope": "collection"})

    result = sync(caseworker, tablet, withdraw).json()["results"][0]
    again = sync(caseworker, tablet, op(3, "consent_withdraw", {"case": case.pk, "scope": "collection"})).json()

    assert (result["status"], result["code"]) == ("applied", "erasure_to_request"), result
    assert Consent.objects.get(case=case, scope="collection").withdrawn_on == date.today()
    assert again["results"][0]["status"] == "applied" and again["results"][0]["code"] == ""


def test_a_members_consents_of_one_scope_are_withdrawn_by_scope(caseworker, tablet):
    applied = sync(caseworker, tablet, op(1, "register", family())).json()["results"][0]["case"]
    member = applied["members"][0]["id"]
    sync(caseworker, tablet, op(2, "consent_record", {"member": member, "scope": "follow_up", "type": "explicit",
                                                      "given_on": date.today().isoformat()}))

    result = sync(caseworker, tablet, op(3, "consent_withdraw", {"member": member, "scope": "follow_up"})
                  ).json()["results"][0]

    assert result["status"] == "applied" and len(result["withdrawn"]) == 1
    assert Consent.objects.get(scope="follow_up").withdrawn_on == date.today()
