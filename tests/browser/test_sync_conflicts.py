"""A conflict a tablet's offline edit left, resolved by a caseworker on the conflicts page side by side; the sync
monitor shows the tablet and what it said of its queue."""

import uuid
from datetime import date

import pytest
from playwright.sync_api import expect

from accounts.models import User
from cases.models import Member
from sync.models import Device, SyncConflict
from tests.browser.conftest import sign_in, sign_out
from tests.conftest import api_as
from tests.test_registration_api import family


def op(sequence, kind, payload):
    return {"id": str(uuid.uuid4()), "sequence": sequence, "kind": kind, "form_version": "registration-1",
            "captured_at": "2026-12-01T10:00:00Z", "payload": payload}


def conflict_through_the_api(caseworker) -> SyncConflict:
    """As in tests/test_sync_api.py: a registration from the tablet, a birth date corrected on the server, then the
    tablet's own offline correction of it."""
    api = api_as(caseworker)
    tablet = api.post("/api/v1/devices/", {"label": "Tableta de la caseta"}, format="json").json()
    body = family()
    body["members"][0]["document_number"] = "X7654321"  # no demo household has it: no duplicate to decide
    sent = api.post("/api/v1/sync/", {"device": tablet["id"], "operations": [op(1, "register", body)],
                                      "pending": 2, "oldest_pending_at": "2026-12-01T09:00:00Z",
                                      "storage": {"usage": 5 * 1024 * 1024, "quota": 200 * 1024 * 1024,
                                                  "persisted": True}}, format="json")
    applied = sent.json()["results"][0]["case"]
    principal = applied["members"][0]["id"]
    api.patch(f"/api/v1/members/{principal}/", {"version": applied["version"], "date_of_birth": "1990-05-01"},
              format="json")
    edit = op(2, "member_edit", {"member": principal, "base_version": applied["version"],
                                 "base": {"date_of_birth": "1992-05-01"}, "changes": {"date_of_birth": "1993-05-01"}})
    result = api.post("/api/v1/sync/", {"device": tablet["id"], "operations": [edit], "pending": 3,
                                        "oldest_pending_at": "2026-12-01T09:00:00Z"}, format="json")
    assert result.json()["results"][0]["status"] == "conflict", result.json()
    return SyncConflict.objects.get()


@pytest.mark.browser
def test_a_tablets_conflict_is_resolved_side_by_side_and_the_monitor_shows_and_withdraws_the_tablet(page):
    # given a conflict on the principal's birth date, from a Tijuana tablet
    caseworker = User.objects.get(username="caseworker_tij")
    conflict = conflict_through_the_api(caseworker)
    sign_in(page, "caseworker_tij")

    # when the caseworker opens the conflicts page from the menu
    page.locator("[data-nav=sync_conflicts]").click()
    card = page.locator(f"[data-conflict='{conflict.pk}']")

    # then the three values stand side by side, with the tablet and the case
    expect(card.get_by_test_id("base")).to_have_text("01/05/1992")
    expect(card.get_by_test_id("server")).to_have_text("01/05/1990")
    expect(card.get_by_test_id("device")).to_have_text("01/05/1993")
    expect(card.get_by_test_id("captured")).to_contain_text("Tableta de la caseta")
    expect(card.get_by_test_id("case-reference")).to_have_text(conflict.case.reference)

    # when they take the tablet's value with a note
    card.locator("input[name=note]").fill("Confirmado con el acta de nacimiento")
    card.get_by_test_id("take-device").click()
    page.wait_for_load_state()

    # then the page says so in Spanish, the conflict is gone and the value is the tablet's
    expect(page.get_by_role("alert").first).to_contain_text("se tomó el valor de la tableta")
    expect(page.locator(f"[data-conflict='{conflict.pk}']")).to_have_count(0)
    assert Member.objects.get(pk=conflict.member_id).date_of_birth == date(1993, 5, 1)
    conflict.refresh_from_db()
    assert (conflict.resolution, conflict.note) == ("device", "Confirmado con el acta de nacimiento")

    # and the sync monitor shows the tablet with what it said of its queue, read-only for a caseworker
    page.locator("[data-nav=sync_devices]").click()
    row = page.locator(f"[data-device='{conflict.operation.device_id}']")
    expect(row).to_contain_text("Tableta de la caseta")
    expect(row.get_by_test_id("pending")).to_have_text("2")
    expect(row.get_by_test_id("alert")).to_be_visible()  # waiting since 1 December: more than a day
    expect(row.get_by_test_id("persisted")).to_have_text("persistente")
    expect(row.get_by_test_id("withdraw")).to_have_count(0)

    # and their supervisor withdraws it from the monitor, after the house confirmation dialog
    sign_out(page)
    sign_in(page, "supervisor_mx")
    page.locator("[data-nav=sync_devices]").click()
    row = page.locator(f"[data-device='{conflict.operation.device_id}']")
    row.locator("input[name=reason]").fill("Robada en la caseta")
    row.get_by_test_id("withdraw-button").click()
    page.get_by_test_id("confirm-dialog").get_by_test_id("confirm-yes").click()
    page.wait_for_load_state()
    expect(page.get_by_role("alert").first).to_contain_text("se retiró del servicio")
    expect(row.get_by_test_id("status")).to_contain_text("Robada en la caseta")
    assert Device.objects.get(pk=conflict.operation.device_id).status == "revoked"
