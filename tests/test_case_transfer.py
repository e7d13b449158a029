"""A supervisor reassigns a case to another caseworker or transfers it to another office: with a reason, audited,
versioned, and visibility follows at once on every door."""

import pytest
from django.db.models import Q
from django.urls import reverse
from django.utils import translation

from accounts.choices import OfficeKind, Role
from audit.models import AuditAction, AuditEvent
from cases.choices import CaseStatus, CaseTransferKind
from cases.counts import case_counts
from cases.models import Case, CaseTransfer, CaseUserObjectPermission
from cases.permissions import case_access, cases_visible_to
from notifications.messages import notification_text
from notifications.models import Notification, NotificationKind
from outbox.models import OutboxMessage
from tests.conftest import api_as
from tests.factories import OfficeFactory, household, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(caseworker, caravan, tij):
    return household(actor=caseworker, programme=caravan, office=tij)


@pytest.fixture
def tap_caseworker(outsider):
    return outsider  # cw_tap, a caseworker of the Tapachula booth


def api_url(case) -> str:
    return f"/api/v1/cases/{case.pk}/transfers/"


def transfer_body(case, office, caseworker=None, **extra) -> dict:
    body = {"kind": "transfer", "office": office.pk, "reason": "La familia se trasladó a Tapachula.",
            "version": case.version}
    if caseworker is not None:
        body["caseworker"] = caseworker.pk
    return body | extra


def unchanged(case) -> bool:
    fresh = Case.objects.get(pk=case.pk)
    return ((fresh.registering_office_id, fresh.registration_country, fresh.assigned_caseworker_id, fresh.version)
            == (case.registering_office_id, case.registration_country, case.assigned_caseworker_id, case.version)
            and not CaseTransfer.objects.exists()
            and not OutboxMessage.objects.filter(task="notifications.tasks.case_assigned_notify").exists())


def test_a_transfer_takes_the_case_from_the_old_booth_and_gives_it_to_the_new_one_at_once(
        client, case, caseworker, tap_caseworker, supervisor, tij, tap):
    # given the Tijuana caseworker sees the case, the Tapachula one does not
    assert api_as(caseworker).get(f"/api/v1/cases/{case.pk}/").status_code == 200
    assert api_as(tap_caseworker).get(f"/api/v1/cases/{case.pk}/").status_code == 404

    # when the supervisor transfers it to Tapachula, to its caseworker
    response = api_as(supervisor).post(api_url(case), transfer_body(case, tap, tap_caseworker), format="json")

    # then the history row says from, to, who and why, and the case moved with a new version
    assert response.status_code == 201, response.content
    assert response.json() | {"id": 0, "at": ""} == {
        "id": 0, "at": "", "kind": "transfer", "from_office": "TIJ", "to_office": "TAP",
        "from_caseworker": "cw_tij", "to_caseworker": "cw_tap", "reason": "La familia se trasladó a Tapachula.",
        "by": "sup_mx"}
    moved = Case.objects.get(pk=case.pk)
    assert (moved.registering_office, moved.registration_country, moved.assigned_caseworker) == (
        tap, "MX", tap_caseworker)
    assert moved.version == case.version + 1
    # the old booth's caseworker gets 404 on the page and the API, and no longer lists it
    assert api_as(caseworker).get(f"/api/v1/cases/{case.pk}/").status_code == 404
    client.force_login(caseworker)
    assert client.get(reverse("case_detail", args=[case.pk])).status_code == 404
    assert case.pk not in [row["id"] for row in api_as(caseworker).get("/api/v1/cases/").json()["results"]]
    # the new one sees and lists it
    assert api_as(tap_caseworker).get(f"/api/v1/cases/{case.pk}/").status_code == 200
    assert case.pk in [row["id"] for row in api_as(tap_caseworker).get("/api/v1/cases/").json()["results"]]
    client.force_login(tap_caseworker)
    assert client.get(reverse("case_detail", args=[case.pk])).status_code == 200
    # the dashboards' counts follow the office
    assert case_counts(scope=Q(registering_office_id=tij.pk), by=("registering_office_id",)) == []
    assert [row["total"] for row in case_counts(scope=Q(registering_office_id=tap.pk),
                                                by=("registering_office_id",))] == [1]


def test_a_transfer_writes_the_timeline_the_audit_log_and_queues_a_notice_without_personal_data(
        case, tap_caseworker, supervisor, tap, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api_as(supervisor).post(api_url(case), transfer_body(case, tap, tap_caseworker), format="json")

    event = case.events.order_by("-id").first()
    assert (event.from_status, event.to_status, event.actor) == (case.status, case.status, supervisor)
    assert "TIJ" in event.note and "TAP" in event.note and "La familia se trasladó" in event.note
    audit = AuditEvent.objects.filter(action=AuditAction.UPDATE, object_type="cases.case", object_id=str(case.pk),
                                      reason="transfer").get()
    assert audit.actor == supervisor
    [message] = OutboxMessage.objects.filter(task="notifications.tasks.case_assigned_notify")
    assert message.args == [CaseTransfer.objects.get().pk]
    [notice] = Notification.objects.filter(recipient=tap_caseworker)
    assert (notice.kind, notice.params, notice.case_id) == (NotificationKind.CASE_ASSIGNED,
                                                            {"reference": case.reference}, case.pk)
    with translation.override("es"):
        assert notification_text(notice) == f"Se le asignó el caso {case.reference}."
    assert not Notification.objects.filter(recipient=supervisor).exists()


@pytest.mark.parametrize("office", ["honduras_booth", "inactive_booth", "reception_centre", "own_office", "none"])
def test_a_transfer_to_an_office_outside_the_programme_is_refused_with_a_clear_message_and_changes_nothing(
        case, supervisor, sps, office, tij):
    offices = {
        "honduras_booth": lambda: OfficeFactory(code="HN-BOOTH", country="HN"),
        "inactive_booth": lambda: OfficeFactory(code="MTY", country="MX", is_active=False),
        "reception_centre": lambda: sps,
        "own_office": lambda: tij,
        "none": lambda: None,
    }
    target = offices[office]()
    body = transfer_body(case, target or tij) | ({"office": None} if target is None else {})

    response = api_as(supervisor).post(api_url(case), body, format="json", HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 400
    assert response.json()["fields"]["office"] == [
        "Elija un módulo o una oficina de terreno activos en uno de los países de registro del programa (MX, GT), "
        "distinto de la oficina del caso."]
    assert unchanged(case)


def test_the_page_says_why_a_transfer_outside_the_programme_is_refused(client, case, supervisor):
    honduras = OfficeFactory(code="HN-BOOTH", country="HN")
    client.force_login(supervisor)

    response = client.post(reverse("case_transfer", args=[case.pk]), {
        "action": "transfer", "office": honduras.pk, "reason": "mudanza", "version": case.version}, follow=True)

    assert "países de registro del programa (MX, GT)" in response.content.decode()
    assert unchanged(case)


def test_the_supervisor_transfers_from_the_case_page_and_lands_back_on_it(client, case, supervisor, tap,
                                                                          tap_caseworker):
    client.force_login(supervisor)
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="transfer-form"' in page and f'value="{tap.pk}"' in page

    response = client.post(reverse("case_transfer", args=[case.pk]), {
        "action": "transfer", "office": tap.pk, "caseworker": tap_caseworker.pk, "reason": "mudanza",
        "version": case.version})

    assert response.status_code == 302 and response.url == reverse("case_detail", args=[case.pk]) + "#transfer"
    assert Case.objects.get(pk=case.pk).registering_office == tap


def test_a_transfer_out_of_the_supervisors_country_leaves_their_sight_and_the_page_goes_to_the_list(
        client, case, supervisor, tum):
    gt_supervisor = staff("sup_gt", Role.SUPERVISOR, programme=case.programme, country="GT")
    client.force_login(supervisor)

    response = client.post(reverse("case_transfer", args=[case.pk]), {
        "action": "transfer", "office": tum.pk, "reason": "cruzó a Guatemala", "version": case.version})

    assert response.url == reverse("case_list")
    assert api_as(supervisor).get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert Case.objects.get(pk=case.pk).registration_country == "GT"
    assert case_access(gt_supervisor, Case.objects.get(pk=case.pk)).roles == {Role.SUPERVISOR}


def test_a_case_waiting_for_approval_moves_into_the_new_countrys_approval_queue(case, supervisor, tum):
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.PENDING_APPROVAL)
    gt_supervisor = staff("sup_gt", Role.SUPERVISOR, programme=case.programme, country="GT")
    case.refresh_from_db()

    api_as(supervisor).post(api_url(case), transfer_body(case, tum), format="json")

    assert cases_visible_to(gt_supervisor).filter(pk=case.pk, status=CaseStatus.PENDING_APPROVAL).exists()
    assert Case.objects.get(pk=case.pk).assigned_caseworker is None


def test_reassigning_to_a_caseworker_of_another_office_shares_the_case_and_the_next_reassignment_takes_it_back(
        case, caseworker, tap_caseworker, supervisor, tij):
    colleague = staff("cw_tij2", Role.CASEWORKER, office=tij)

    first = api_as(supervisor).post(api_url(case), {"kind": "reassign", "caseworker": tap_caseworker.pk,
                                                    "reason": "habla mixteco", "version": case.version},
                                    format="json")

    assert first.status_code == 201, first.content
    moved = Case.objects.get(pk=case.pk)
    assert (moved.registering_office, moved.assigned_caseworker) == (tij, tap_caseworker)
    assert api_as(tap_caseworker).get(f"/api/v1/cases/{case.pk}/").status_code == 200
    assert case_access(tap_caseworker, moved).shared
    assert api_as(caseworker).get(f"/api/v1/cases/{case.pk}/").status_code == 200  # still the office's case

    second = api_as(supervisor).post(api_url(case), {"kind": "reassign", "caseworker": colleague.pk,
                                                     "reason": "vuelve a Tijuana", "version": moved.version},
                                     format="json")

    assert second.status_code == 201
    assert not CaseUserObjectPermission.objects.filter(user=tap_caseworker).exists()
    assert api_as(tap_caseworker).get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert [t.kind for t in CaseTransfer.objects.order_by("id")] == [CaseTransferKind.REASSIGN] * 2


def test_a_transfer_clears_the_share_of_an_assigned_caseworker_from_outside_the_office(
        case, tap_caseworker, supervisor, tum):
    api_as(supervisor).post(api_url(case), {"kind": "reassign", "caseworker": tap_caseworker.pk,
                                            "reason": "habla mixteco", "version": case.version}, format="json")
    case.refresh_from_db()

    api_as(supervisor).post(api_url(case), transfer_body(case, tum), format="json")

    assert not CaseUserObjectPermission.objects.filter(user=tap_caseworker).exists()
    assert api_as(tap_caseworker).get(f"/api/v1/cases/{case.pk}/").status_code == 404


@pytest.mark.parametrize("who, status", [("caseworker", 403), ("outsider", 404), ("other_supervisor", 404),
                                         ("movement_officer", 404), ("reception", 404), ("admin_user", 404)])
def test_only_a_supervisor_of_the_case_reassigns_or_transfers_it(request, client, case, tap, who, status):
    user = request.getfixturevalue(who)
    for body in (transfer_body(case, tap), {"kind": "reassign", "caseworker": user.pk, "reason": "x",
                                            "version": case.version}):
        assert api_as(user).post(api_url(case), body, format="json").status_code == status
    client.force_login(user)
    page = client.post(reverse("case_transfer", args=[case.pk]), {"action": "transfer", "office": tap.pk,
                                                                  "reason": "x", "version": case.version})
    assert page.status_code == (302 if status == 403 else 404)
    assert unchanged(case)


def test_the_case_page_offers_the_form_to_the_supervisor_only(client, case, caseworker, supervisor):
    client.force_login(caseworker)
    assert 'data-testid="transfer-form"' not in client.get(reverse("case_detail", args=[case.pk])).content.decode()
    client.force_login(supervisor)
    assert 'data-testid="transfer-form"' in client.get(reverse("case_detail", args=[case.pk])).content.decode()


def test_a_transfer_over_a_newer_version_is_refused_and_overwrites_nothing(client, case, supervisor, tap):
    stale = transfer_body(case, tap, version=case.version - 1 if case.version > 1 else case.version + 5)

    response = api_as(supervisor).post(api_url(case), stale, format="json")
    precondition = api_as(supervisor).post(api_url(case), {**stale, "version": None} | {"version": 999},
                                           format="json", HTTP_IF_MATCH='"999"')

    assert response.status_code == 409 and response.json()["code"] == "stale_version"
    assert precondition.status_code == 412
    client.force_login(supervisor)
    page = client.post(reverse("case_transfer", args=[case.pk]), {"action": "transfer", "office": tap.pk,
                                                                  "reason": "x", "version": 999}, follow=True)
    assert "No se cambió nada: mire el caso como está ahora" in page.content.decode()
    assert unchanged(case)


def test_a_transfer_without_a_version_is_refused(case, supervisor, tap):
    body = transfer_body(case, tap)
    del body["version"]

    response = api_as(supervisor).post(api_url(case), body, format="json")

    assert response.status_code == 428
    assert unchanged(case)


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reason_is_required(case, supervisor, tap, reason):
    response = api_as(supervisor).post(api_url(case), transfer_body(case, tap, reason=reason), format="json")

    assert response.status_code == 400 and "reason" in response.json()["fields"]
    assert unchanged(case)


def test_a_caseworker_who_is_not_of_the_new_office_is_refused(case, supervisor, tap, caseworker):
    response = api_as(supervisor).post(api_url(case), transfer_body(case, tap, caseworker), format="json")

    assert response.status_code == 400
    assert response.json()["fields"]["caseworker"] == ["Elija un gestor de casos activo de la nueva oficina."]
    assert unchanged(case)


def test_reassigning_to_an_inactive_or_non_caseworker_is_refused(case, supervisor, movement_officer, tap_caseworker):
    tap_caseworker.is_active = False
    tap_caseworker.save()
    for user in (movement_officer, tap_caseworker):
        response = api_as(supervisor).post(api_url(case), {"kind": "reassign", "caseworker": user.pk, "reason": "x",
                                                           "version": case.version}, format="json")
        assert response.status_code == 400 and "caseworker" in response.json()["fields"]
    assert unchanged(case)


@pytest.mark.parametrize("status", [CaseStatus.BOOKED, CaseStatus.IN_TRANSIT, CaseStatus.ARRIVED])
def test_a_household_on_a_movement_is_not_transferred_but_may_be_reassigned(case, supervisor, tap, status, tij):
    Case.objects.filter(pk=case.pk).update(status=status)
    case.refresh_from_db()
    colleague = staff("cw_tij2", Role.CASEWORKER, office=tij)

    refused = api_as(supervisor).post(api_url(case), transfer_body(case, tap), format="json")

    assert refused.status_code == 400 and "movimiento" in refused.json()["detail"] + str(refused.json())
    assert unchanged(case)
    reassigned = api_as(supervisor).post(api_url(case), {"kind": "reassign", "caseworker": colleague.pk,
                                                         "reason": "x", "version": case.version}, format="json")
    assert reassigned.status_code == 201


def test_a_closed_case_stays_where_it_is(case, supervisor, tap):
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED)
    case.refresh_from_db()

    response = api_as(supervisor).post(api_url(case), transfer_body(case, tap), format="json")

    assert response.status_code == 400
    assert unchanged(case)


def test_a_transfer_waits_for_an_open_conflict_of_a_booth_tablet(case, caseworker, supervisor, tap):
    import uuid

    from sync.models import SyncConflict, SyncOperation
    from sync.services import device_enrol

    tablet = device_enrol(actor=caseworker, label="Tableta", office=case.registering_office)
    operation = SyncOperation.objects.create(id=uuid.uuid4(), device=tablet, user=caseworker, sequence=1,
                                             kind="member_edit", payload_digest="x", status="conflict", case=case)
    SyncConflict.objects.create(operation=operation, case=case, member=case.members.first(), field="phone",
                                base_value="", server_value="1", device_value="2")

    response = api_as(supervisor).post(api_url(case), transfer_body(case, tap), format="json")

    assert response.status_code == 400 and "tableta" in response.json()["detail"]
    assert unchanged(case)


def test_the_history_is_listed_with_the_reason_for_the_case_team_only(case, supervisor, tap, reception,
                                                                      movement_officer):
    api_as(supervisor).post(api_url(case), transfer_body(case, tap), format="json")
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.APPROVED)

    [row] = api_as(supervisor).get(api_url(case)).json()
    [seen_by_movements] = api_as(movement_officer).get(api_url(case)).json()

    assert row["reason"] == "La familia se trasladó a Tapachula."
    assert "reason" not in seen_by_movements and seen_by_movements["to_office"] == "TAP"


def test_the_admin_offers_no_way_to_move_a_case(client, case, supervisor, tap):
    from cases.admin import CaseAdmin

    assert {"registering_office", "registration_country"} <= set(CaseAdmin.readonly_fields)
    supervisor.is_staff = True
    supervisor.save()
    client.force_login(supervisor)

    client.post(reverse("admin:cases_case_change", args=[case.pk]), {"registering_office": tap.pk})

    assert Case.objects.get(pk=case.pk).registering_office_id == case.registering_office_id


def test_the_assigned_notice_is_written_once_when_the_task_runs_twice(case, tap_caseworker, supervisor, tap):
    from notifications.services import case_assigned_notifications_create

    api_as(supervisor).post(api_url(case), transfer_body(case, tap, tap_caseworker), format="json")
    transfer = CaseTransfer.objects.get()

    first = case_assigned_notifications_create(transfer_id=transfer.pk)
    again = case_assigned_notifications_create(transfer_id=transfer.pk)

    assert first == again and len(first) == 1


def test_offices_offered_are_the_programmes_active_booths_and_field_offices(case, tap, tum, sps):
    from cases.transfers import transfer_offices

    field = OfficeFactory(code="CDMX", country="MX", kind=OfficeKind.FIELD_OFFICE)
    OfficeFactory(code="OLD", country="MX", is_active=False)
    OfficeFactory(code="SV-BOOTH", country="SV")

    assert {o.code for o in transfer_offices(case)} == {tap.code, tum.code, field.code}


def test_an_edit_the_old_booths_tablet_still_held_is_refused_after_the_transfer(caseworker, supervisor, tap):
    from tests.test_registration_api import family as offline_family
    from tests.test_sync_api import op, sync

    tablet = api_as(caseworker).post("/api/v1/devices/", {"label": "Tableta 1"}, format="json").json()
    applied = sync(caseworker, tablet, op(1, "register", offline_family())).json()["results"][0]["case"]
    case = Case.objects.get(pk=applied["id"])
    api_as(supervisor).post(api_url(case), transfer_body(case, tap), format="json")
    member = case.members.first()

    result = sync(caseworker, tablet, op(2, "member_edit", {
        "member": member.pk, "base_version": applied["version"], "base": {"phone": member.phone},
        "changes": {"phone": "+52 664 000 0000"}})).json()["results"][0]

    assert (result["status"], result["code"]) == ("rejected", "not_found")
    assert Case.objects.get(pk=case.pk).members.get(pk=member.pk).phone == member.phone
