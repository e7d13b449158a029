"""The sync pages: conflicts side by side and resolved by a person, tablets' duplicates to decide, the sync monitor,
its withdrawal and the once-per-tablet alert, which names nobody."""

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from cases.models import Case, DuplicateDecision, Member
from notifications.messages import (
    notification_path,
    notification_subject,
    notification_text,
)
from notifications.models import Notification, NotificationKind
from sync.models import Device, SyncConflict, SyncOperation
from sync.monitor import devices_waiting_alert
from sync.tasks import devices_waiting_alert as devices_waiting_alert_task
from tests.conftest import api_as
from tests.factories import household
from tests.test_registration_api import family
from tests.test_sync_api import op, sync

pytestmark = pytest.mark.django_db


@pytest.fixture
def tablet(caseworker, tij, tap, caravan):
    """A Tijuana caseworker's tablet, enrolled through the API (as in tests/test_sync_api.py)."""
    response = api_as(caseworker).post("/api/v1/devices/", {"label": "Tableta 1"}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.fixture
def conflict(caseworker, tablet):
    """The principal's birth date: corrected on the server (1990) while the tablet, which saw 1992, sent 1993."""
    applied = sync(caseworker, tablet, op(1, "register", family())).json()["results"][0]["case"]
    principal = Member.objects.get(pk=applied["members"][0]["id"])
    api_as(caseworker).patch(f"/api/v1/members/{principal.pk}/", {"version": applied["version"],
                                                                  "date_of_birth": "1990-05-01"}, format="json")
    edit = op(2, "member_edit", {"member": principal.pk, "base_version": applied["version"],
                                 "base": {"date_of_birth": "1992-05-01"}, "changes": {"date_of_birth": "1993-05-01"}},
              captured_at="2026-12-01T10:00:00Z")
    assert sync(caseworker, tablet, edit).json()["results"][0]["status"] == "conflict"
    return SyncConflict.objects.get()


def text(response) -> str:
    return response.content.decode()


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def in_english(user):
    user.language = "en"
    user.save(update_fields=["language"])
    return user


# The conflicts page


def test_the_conflicts_page_shows_the_three_values_side_by_side_with_the_tablet_and_the_case(
        client, caseworker, conflict):
    client.force_login(in_english(caseworker))

    page = text(client.get("/sync/conflicts/"))

    assert f'data-conflict="{conflict.pk}"' in page
    assert f'href="/cases/{conflict.case_id}/"' in page and conflict.case.reference in page
    for value in ("05/01/1992", "05/01/1990", "05/01/1993"):
        assert value in page, value
    assert "Tableta 1" in page and "Ana Lucía" in page
    assert 'data-testid="keep-server"' in page and 'data-testid="take-device"' in page
    listed = AuditEvent.objects.filter(action=AuditAction.LIST, actor=caseworker, object_type="cases.case").latest("id")
    assert listed.object_ids == [conflict.case_id]


def test_someone_who_may_not_see_the_case_sees_no_conflict_and_resolving_it_is_404(client, outsider, conflict):
    client.force_login(outsider)

    page = text(client.get("/sync/conflicts/"))
    refused = client.post(f"/sync/conflicts/{conflict.pk}/resolve/", {"choice": "device"})

    assert conflict.case.reference not in page and "data-conflict" not in page
    assert refused.status_code == 404
    conflict.refresh_from_db()
    assert conflict.status == "open" and Member.objects.get(pk=conflict.member_id).date_of_birth == date(1990, 5, 1)


def test_values_the_readers_role_may_not_read_are_withheld_and_it_may_not_resolve(
        client, movement_officer, conflict):
    Case.objects.filter(pk=conflict.case_id).update(status="approved")
    notes = SyncConflict.objects.create(operation=conflict.operation, case=conflict.case, field="caseworker_notes",
                                        base_value="NOTA-BASE", server_value="NOTA-SERVIDOR",
                                        device_value="NOTA-TABLETA")
    client.force_login(movement_officer)

    page = text(client.get("/sync/conflicts/"))
    refused = client.post(f"/sync/conflicts/{notes.pk}/resolve/", {"choice": "device"})

    assert f'data-conflict="{notes.pk}"' in page and 'data-testid="withheld"' in page
    for secret in ("NOTA-BASE", "NOTA-SERVIDOR", "NOTA-TABLETA"):
        assert secret not in page
    assert "05/01/1990" in page or "01/05/1990" in page  # identity: the movement officer reads it
    assert 'data-testid="resolve"' not in page
    assert refused.status_code == 403
    assert SyncConflict.objects.filter(status="open").count() == 2


def test_keeping_the_servers_value_resolves_the_conflict_with_the_note_and_changes_nothing_else(
        client, caseworker, conflict):
    client.force_login(caseworker)  # a Tijuana caseworker reads Spanish
    version = Case.objects.get(pk=conflict.case_id).version

    response = client.post(f"/sync/conflicts/{conflict.pk}/resolve/", {"choice": "server", "note": "Acta vista"})

    assert response.status_code == 302 and response["Location"] == "/sync/conflicts/"
    conflict.refresh_from_db()
    assert (conflict.status, conflict.resolution, conflict.note, conflict.resolved_by) == (
        "resolved", "server", "Acta vista", caseworker)
    assert Member.objects.get(pk=conflict.member_id).date_of_birth == date(1990, 5, 1)
    assert Case.objects.get(pk=conflict.case_id).version == version
    assert flashed(response) == [f"Resuelto en el caso {conflict.case.reference}: se conservó el valor del servidor."]
    assert f'data-conflict="{conflict.pk}"' not in text(client.get("/sync/conflicts/"))


def test_taking_the_tablets_value_applies_it_through_the_edit_service(client, caseworker, conflict):
    client.force_login(in_english(caseworker))
    version = Case.objects.get(pk=conflict.case_id).version

    response = client.post(f"/sync/conflicts/{conflict.pk}/resolve/", {"choice": "device"})

    conflict.refresh_from_db()
    assert (conflict.status, conflict.resolution) == ("resolved", "device")
    assert Member.objects.get(pk=conflict.member_id).date_of_birth == date(1993, 5, 1)
    assert Case.objects.get(pk=conflict.case_id).version == version + 1
    assert flashed(response) == [f"Resolved for case {conflict.case.reference}: the tablet's value was taken."]


def test_a_conflict_someone_else_resolved_says_so_and_nothing_changes(client, caseworker, supervisor, conflict):
    api_as(supervisor).post(f"/api/v1/sync/conflicts/{conflict.pk}/resolve/", {"choice": "server"}, format="json")
    client.force_login(in_english(caseworker))

    response = client.post(f"/sync/conflicts/{conflict.pk}/resolve/", {"choice": "device"})

    assert flashed(response) == ["Someone else already resolved this conflict. Nothing was changed."]
    conflict.refresh_from_db()
    assert (conflict.resolution, conflict.resolved_by) == ("server", supervisor)
    assert Member.objects.get(pk=conflict.member_id).date_of_birth == date(1990, 5, 1)


def test_a_tablet_value_the_edit_refuses_is_shown_on_the_page_and_nothing_changes(client, caseworker, conflict):
    SyncConflict.objects.filter(pk=conflict.pk).update(device_value=(date.today() + timedelta(days=30)).isoformat())
    client.force_login(in_english(caseworker))

    response = client.post(f"/sync/conflicts/{conflict.pk}/resolve/", {"choice": "device"}, follow=True)

    page = text(response)
    assert "The tablet&#x27;s value could not be taken" in page and "Nothing was changed." in page
    conflict.refresh_from_db()
    assert conflict.status == "open" and conflict.resolution == ""
    assert Member.objects.get(pk=conflict.member_id).date_of_birth == date(1990, 5, 1)


def test_a_tablets_registration_with_possible_duplicates_waits_on_the_page_until_decided(
        client, caseworker, outsider, tablet, caravan, tij):
    household(actor=caseworker, programme=caravan, office=tij)
    existing = Member.objects.get()
    body = family()
    body["members"][0].update(document_type="passport", document_number=existing.document_number)
    sync(caseworker, tablet, op(1, "register", body))
    operation = SyncOperation.objects.get(possible_duplicates__gt=0)
    client.force_login(caseworker)

    waiting = text(client.get("/sync/conflicts/"))
    client.force_login(outsider)
    elsewhere = text(client.get("/sync/conflicts/"))
    new_member = operation.case.members.get(relationship="principal")
    DuplicateDecision.objects.create(member=new_member, candidate=existing, decision="different",
                                     decided_by=caseworker)
    client.force_login(caseworker)
    decided = text(client.get("/sync/conflicts/"))

    assert f'data-case="{operation.case.reference}"' in waiting
    assert f'href="/cases/{operation.case_id}/duplicates/"' in waiting
    assert operation.case.reference not in elsewhere
    assert f'data-case="{operation.case.reference}"' not in decided


def test_the_conflicts_are_paged_by_25(client, caseworker, conflict):
    for _ in range(25):
        SyncConflict.objects.create(operation=conflict.operation, case=conflict.case, member=conflict.member,
                                    field="date_of_birth", base_value="1992-05-01", server_value="1990-05-01",
                                    device_value="1993-05-01")
    client.force_login(caseworker)

    first = text(client.get("/sync/conflicts/"))
    second = text(client.get(f"/sync/conflicts/?before={SyncConflict.objects.order_by('-pk')[24].pk}"))

    assert first.count('data-testid="sync-conflict"') == 25 and 'data-testid="more-conflicts"' in first
    assert second.count('data-testid="sync-conflict"') == 1 and f'data-conflict="{conflict.pk}"' in second


# The sync monitor


def waiting(caseworker, device, *, hours: int, pending: int = 3, now=None):
    oldest = ((now or timezone.now()) - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = sync(caseworker, device, pending=pending, oldest_pending_at=oldest,
                    storage={"usage": 2 * 1024 * 1024, "quota": 100 * 1024 * 1024, "persisted": False})
    assert response.status_code == 200, response.json()


def test_the_monitor_shows_each_tablets_figures_with_the_ones_waiting_too_long_first(
        client, caseworker, supervisor, tablet):
    calm = api_as(caseworker).post("/api/v1/devices/", {"label": "Aaa tranquila"}, format="json").json()
    waiting(caseworker, calm, hours=2, pending=1)
    waiting(caseworker, tablet, hours=30)
    Device.objects.filter(pk=tablet["id"]).update(last_error="form_version_unknown")
    client.force_login(in_english(supervisor))

    page = text(client.get("/sync/devices/"))

    assert page.index(f'data-device="{tablet["id"]}"') < page.index(f'data-device="{calm["id"]}"')
    row = page[page.index(f'data-device="{tablet["id"]}"'):page.index(f'data-device="{calm["id"]}"')]
    assert 'data-alert="1"' in row and 'data-testid="alert"' in row
    assert 'data-testid="pending">3<' in row and 'data-testid="oldest">1\xa0day' in row and "form_version_unknown" in row
    assert "2.0\xa0MB / 100.0\xa0MB" in row and "not persistent" in row and "TIJ" in row and "cw_tij" in row
    assert 'data-testid="withdraw"' in row
    assert page.count('data-testid="alert"') == 1


def test_a_caseworker_sees_the_tablets_of_their_booth_read_only_and_another_booth_sees_none(
        client, caseworker, outsider, tablet):
    client.force_login(caseworker)
    own = text(client.get("/sync/devices/"))
    client.force_login(outsider)
    other = text(client.get("/sync/devices/"))

    assert f'data-device="{tablet["id"]}"' in own and 'data-testid="withdraw"' not in own
    assert f'data-device="{tablet["id"]}"' not in other and 'data-testid="no-devices"' in other


def test_a_supervisor_withdraws_a_tablet_from_the_page_after_confirming(client, supervisor, tablet):
    client.force_login(in_english(supervisor))
    url = f"/sync/devices/{tablet['id']}/revoke/"
    monitor = text(client.get("/sync/devices/"))

    asked = client.post(url, {"to": "revoked", "reason": "Robada en la caseta"})
    still = Device.objects.get(pk=tablet["id"]).status
    done = client.post(url, {"to": "revoked", "reason": "Robada en la caseta", "confirmed": "1"})

    assert '"revoked": ["Withdraw this tablet from service?"' in monitor  # the same question in the dialog
    assert asked.status_code == 200 and 'data-testid="confirmation"' in text(asked) and still == "active"
    device = Device.objects.get(pk=tablet["id"])
    assert (device.status, device.revoke_reason, device.revoked_by) == ("revoked", "Robada en la caseta", supervisor)
    assert flashed(done) == ["Tablet “Tableta 1” was withdrawn from service."]


def test_withdrawing_needs_a_reason_a_supervisor_and_a_tablet_one_may_see(client, caseworker, outsider, supervisor,
                                                                          tablet):
    url = f"/sync/devices/{tablet['id']}/revoke/"
    client.force_login(in_english(supervisor))
    no_reason = client.post(url, {"to": "revoked", "reason": " ", "confirmed": "1"})
    client.force_login(caseworker)
    by_caseworker = client.post(url, {"to": "revoked", "reason": "perdida", "confirmed": "1"})
    client.force_login(outsider)
    by_outsider = client.post(url, {"to": "revoked", "reason": "perdida", "confirmed": "1"})

    assert flashed(no_reason) == ["Say why the tablet is withdrawn (lost, stolen, broken)."]
    assert by_caseworker.status_code == 403 and by_outsider.status_code == 404
    assert Device.objects.get(pk=tablet["id"]).status == "active"


def test_both_pages_are_in_the_menu_of_caseworkers_and_supervisors_only(client, caseworker, supervisor, reception):
    shown = {}
    for user in (caseworker, supervisor, reception):
        client.force_login(user)
        home = text(client.get("/"))
        shown[user.username] = ('data-nav="sync_conflicts"' in home, 'data-nav="sync_devices"' in home)

    assert shown == {"cw_tij": (True, True), "sup_mx": (True, True), "rec_sps": (False, False)}


# The alert


def test_the_alert_tells_the_offices_supervisors_once_per_tablet_and_names_nobody(
        caseworker, outsider, supervisor, tablet, mailoutbox):
    supervisor.email = "sup.mx@example.org"
    supervisor.save(update_fields=["email"])
    second = api_as(caseworker).post("/api/v1/devices/", {"label": "Tableta 2"}, format="json").json()
    calm = api_as(caseworker).post("/api/v1/devices/", {"label": "Tableta 3"}, format="json").json()
    sync(caseworker, tablet, op(1, "register", family()))  # a case with names and a document on the server
    waiting(caseworker, tablet, hours=30)
    waiting(caseworker, second, hours=26, pending=7)
    waiting(caseworker, calm, hours=3)

    devices_waiting_alert_task.delay()
    devices_waiting_alert_task.delay()

    notes = Notification.objects.filter(kind=NotificationKind.SYNC_WAITING)
    recipients = set(notes.values_list("recipient__username", flat=True))
    assert "cw_tij" not in recipients and "cw_tap" not in recipients and "sup_mx" in recipients
    mine = notes.filter(recipient=supervisor)
    assert sorted(n.params["device"] for n in mine) == sorted([tablet["id"], second["id"]])
    assert all(Device.objects.get(pk=d).alerted_at for d in (tablet["id"], second["id"]))
    assert Device.objects.get(pk=calm["id"]).alerted_at is None
    with_seven = mine.get(params__device=second["id"])
    assert with_seven.params["count"] == 7 and with_seven.params["office"] == "TIJ"
    words = " ".join([notification_text(n) + notification_subject(n) + str(n.params) for n in notes]
                     + [m.body + m.subject for m in mailoutbox])
    assert "Tableta 2" in notification_text(with_seven) and "TIJ" in notification_text(with_seven)
    assert notification_path(with_seven) == "/sync/devices/"
    for personal in ("Ana Lucía", "Cruz", "F123456", "cw_tij", caseworker.get_full_name() or "cw_tij"):
        assert personal not in words
    assert len(mailoutbox) == 2 and mailoutbox[0].to == ["sup.mx@example.org"]


def test_the_alert_goes_out_again_only_when_another_operation_has_waited_too_long(caseworker, supervisor, tablet):
    now = timezone.now()  # once: the second report must name the very same oldest operation
    waiting(caseworker, tablet, hours=30, now=now)
    devices_waiting_alert()
    waiting(caseworker, tablet, hours=30, now=now)  # the same oldest operation, reported again: no new alert
    same = devices_waiting_alert()
    waiting(caseworker, tablet, hours=25, now=now)  # the oldest was sent; the next one has waited too long too
    again = devices_waiting_alert()

    assert same == []
    assert Notification.objects.filter(kind=NotificationKind.SYNC_WAITING, recipient=supervisor).count() == 2
    assert again


def test_the_alert_runs_every_15_minutes_from_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["devices-waiting-alert"]

    assert entry["task"] == "sync.tasks.devices_waiting_alert" and entry["schedule"] == 15 * 60


def test_a_withdrawn_tablet_raises_no_alert(caseworker, supervisor, tablet):
    waiting(caseworker, tablet, hours=30)
    api_as(supervisor).post(f"/api/v1/devices/{tablet['id']}/revoke/", {"reason": "perdida"}, format="json")

    assert devices_waiting_alert() == []


# The admin


def test_the_admin_shows_tablets_without_their_secret_and_conflicts_without_their_values(admin_client, conflict):
    device = Device.objects.get()

    tablet_page = text(admin_client.get(f"/admin/sync/device/{device.pk}/change/"))
    conflict_page = text(admin_client.get(f"/admin/sync/syncconflict/{conflict.pk}/change/"))
    operations = admin_client.get("/admin/sync/syncoperation/")
    adding = admin_client.get("/admin/sync/device/add/")

    assert "Tableta 1" in tablet_page and device.secret not in tablet_page
    assert "1993-05-01" not in conflict_page and "1990-05-01" not in conflict_page
    assert "Ana Lucía" not in conflict_page
    assert operations.status_code == 200 and adding.status_code == 403
