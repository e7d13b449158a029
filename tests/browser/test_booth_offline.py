"""A booth loses the network in a surge: three households queued offline survive a closed page and sync once each;
an offline edit of a value changed on the server meanwhile ends as a conflict; the queue holds no clear data."""

import re
import time
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.choices import Role
from accounts.models import Office, User
from cases.models import Case, Consent, Member
from cases.registration import member_update
from cases.selectors import possible_duplicates_for
from screening.models import CounsellingSession
from sync.models import SyncConflict, SyncOperation
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, staff

HOUSEHOLDS = [
    [{"given_names": "Wendolyn Azucena", "family_names": "Cárcamo Ordóñez", "relationship": "principal",
      "sex": "female", "date_of_birth": "1994-02-17", "nationality": "HN", "place_of_origin": "Choluteca"}],
    [{"given_names": "Rigoberto", "family_names": "Alvarado Sosa", "relationship": "principal", "sex": "male",
      "date_of_birth": "1983-08-09", "nationality": "SV", "place_of_origin": "Usulután"},
     {"given_names": "Kimberly", "family_names": "Alvarado", "relationship": "child", "sex": "female",
      "estimated_age": "9", "nationality": "SV", "place_of_origin": "Usulután"}],
    # María José Hernández López of the demo data, again, with her passport: a likely duplicate to flag.
    [{"given_names": "Ma. José", "family_names": "Hernández", "relationship": "principal", "sex": "female",
      "date_of_birth": "1990-03-14", "nationality": "HN", "place_of_origin": "San Pedro Sula",
      "document_type": "passport", "document_number": "HN0001234"}],
]
SELECTS = {"relationship", "sex", "nationality", "document_type"}

RAW_RECORDS = """async () => {
  const db = await new Promise((ok, ko) => { const r = indexedDB.open("avr-booth"); r.onsuccess = () => ok(r.result);
                                             r.onerror = () => ko(r.error); });
  const all = async (store) => new Promise((ok) => { const r = db.transaction(store).objectStore(store).getAll();
                                                     r.onsuccess = () => ok(r.result); });
  const out = {operations: await all("operations"), cases: await all("cases"), meta: await all("meta")};
  db.close();
  return out;
}"""


def wait_until(page, script: str, arg=None, seconds: float = 15):
    """Poll an async page function until it answers true (wait_for_function does not await a promise)."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(script, arg):
        assert time.monotonic() < deadline, f"still false after {seconds} s: {script[:80]}"
        page.wait_for_timeout(100)


def booth_open(page):
    page.goto("/booth/")
    expect(page.get_by_test_id("booth-queued")).to_be_visible()


def enrol(page):
    page.get_by_test_id("booth-enrol").locator("#booth-label").fill("Tableta 1")
    page.get_by_test_id("booth-enrol-submit").click()
    expect(page.get_by_test_id("booth-register")).to_be_visible()
    # the worker controls the page, with the shell and its assets cached
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    wait_until(page, "async () => Boolean(await (await caches.open('booth-shell')).match('/booth/'))")


def register(page, household, number: int):
    """Fill and queue the registration form; the slip shows the device's `number`th provisional reference."""
    form = page.get_by_test_id("booth-register")
    form.locator("input[name=consent_type][value=explicit]").check()
    form.locator("[data-field=programme] select").select_option("CARAVAN-2018")
    form.locator("[data-field=destination_country] select").select_option(household[0]["nationality"])
    form.locator("[data-field=how_heard] select").select_option("booth_outreach")
    for index, person in enumerate(household):
        if index:
            form.get_by_test_id("booth-add-member").click()
        block = form.get_by_test_id("booth-member").nth(index)
        for name, value in person.items():
            field = block.locator(f"[name={name}]")
            if name in SELECTS:
                field.select_option(value)
            else:
                field.fill(value)
    form.get_by_test_id("booth-register-submit").click()
    expect(page.get_by_test_id("booth-slip-reference")).to_have_text(re.compile(rf"^P-TIJ-.+-{number:04d}$"))
    return page.get_by_test_id("booth-slip-reference").inner_text()


def raw_records(page) -> str:
    return str(page.evaluate(RAW_RECORDS))


@pytest.mark.browser
def test_three_households_queued_offline_survive_a_closed_page_and_become_three_cases_once(page):
    context = page.context
    errors = []
    sign_in(page, "caseworker_tij")
    page = context.new_page()  # a tab of its own, closed below (the fixture's page stays for its report)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    booth_open(page)
    enrol(page)
    pin_form = page.get_by_test_id("booth-pin-form")
    pin_form.locator("input").fill("482916")
    pin_form.locator("button[type=submit]").click()
    expect(pin_form).to_be_hidden()
    cases_before = Case.objects.count()

    # the network goes; the caseworker goes on registering, each household handed a provisional reference
    context.set_offline(True)
    expect(page.get_by_test_id("booth-online")).to_have_text("Sin conexión")
    slips = [register(page, household, n) for n, household in enumerate(HOUSEHOLDS, start=1)]
    assert len(set(slips)) == 3
    expect(page.get_by_test_id("booth-queued")).to_have_text("en la cola (3)")

    # a missing field is pointed out before anything is queued
    page.get_by_test_id("booth-register-submit").click()
    expect(page.get_by_test_id("booth-consent-problem")).not_to_be_empty()
    expect(page.get_by_test_id("booth-queued")).to_have_text("en la cola (3)")

    # what the tablet stores is sealed: no name, document number or place in the raw records
    stored = raw_records(page)
    for secret in ("Wendolyn", "Cárcamo", "Rigoberto", "HN0001234", "Usulután", "1994-02-17"):
        assert secret not in stored
    assert "P-TIJ-" in stored  # the clear metadata is there (references, sequences, statuses)

    # signing out is refused while the queue is unsent
    page.locator("form[action='/accounts/logout/'] button[type=submit]").click()
    expect(page.get_by_test_id("booth-signout-refused")).to_contain_text("3")
    assert page.url.endswith("/booth/")

    # the page is closed; a new one opens the booth from the worker's cache, still offline, still queued
    page.close()
    page = context.new_page()
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    booth_open(page)
    expect(page.get_by_test_id("booth-online")).to_have_text("Sin conexión")
    expect(page.get_by_test_id("booth-queued")).to_have_text("en la cola (3)")
    assert Case.objects.count() == cases_before

    # the data key is gone with the page: offline, only the booth PIN opens the sealed cases again
    unlock = page.get_by_test_id("booth-unlock")
    unlock.locator("#booth-pin").fill("000000")
    unlock.get_by_test_id("booth-unlock-submit").click()
    expect(page.get_by_test_id("booth-notice")).to_have_text("PIN incorrecto.")
    unlock.locator("#booth-pin").fill("482916")
    unlock.get_by_test_id("booth-unlock-submit").click()
    page.get_by_test_id("booth-tab-cases").click()
    expect(page.get_by_test_id("booth-case")).to_have_count(3)
    expect(page.get_by_test_id("booth-case").filter(has_text="Rigoberto Alvarado Sosa")).to_contain_text("aún sin sincronizar")

    # the network comes back: the queue goes by itself
    context.set_offline(False)
    expect(page.get_by_test_id("booth-queued")).to_have_text("en la cola (0)", timeout=20_000)
    new = Case.objects.filter(provisional_reference__in=slips)
    assert new.count() == 3 and Case.objects.count() == cases_before + 3
    for case in new:
        assert Consent.objects.filter(case=case, scope="collection").exists()
    maria = Member.objects.get(case__provisional_reference=slips[2])
    caseworker = User.objects.get(username="caseworker_tij")
    assert possible_duplicates_for(user=caseworker, person=maria, exclude_case_id=maria.case_id)  # never merged
    assert SyncOperation.objects.get(case=maria.case).possible_duplicates == 1
    assert SyncOperation.objects.get(case__provisional_reference=slips[0]).possible_duplicates == 0

    # the same queued operations sent twice: marked pending again on the tablet and synced, they are replayed
    first_sync = page.evaluate("""async () => {
      const db = await new Promise((ok) => { const r = indexedDB.open("avr-booth"); r.onsuccess = () => ok(r.result); });
      const stamps = await new Promise((ok) => {
        const tx = db.transaction("operations", "readwrite"); const store = tx.objectStore("operations");
        const seen = [];
        store.getAll().onsuccess = (e) => {
          for (const op of e.target.result) { seen.push(op.synced_at); op.status = "pending"; store.put(op); }
        };
        tx.oncomplete = () => ok(seen);
      });
      db.close();
      return stamps;
    }""")
    page.get_by_test_id("booth-sync").click()
    wait_until(page, """async (before) => {
      const db = await new Promise((ok) => { const r = indexedDB.open("avr-booth"); r.onsuccess = () => ok(r.result); });
      const ops = await new Promise((ok) => { db.transaction("operations").objectStore("operations").getAll()
                                                .onsuccess = (e) => ok(e.target.result); });
      db.close();
      return ops.length === 3 && ops.every((op) => op.status === "done" && op.synced_at > before);
    }""", max(first_sync))
    assert Case.objects.count() == cases_before + 3
    assert SyncOperation.objects.filter(case__in=new).count() == 3

    # with nothing unsent, sign-out goes through and wipes the tablet's keys and cases
    page.locator("form[action='/accounts/logout/'] button[type=submit]").click()
    page.wait_for_url("**/accounts/login/")
    records = page.evaluate(RAW_RECORDS)
    assert records["cases"] == [] and records["operations"] == []
    assert "keys" not in {row["key"] for row in records["meta"]}
    assert not errors


@pytest.mark.browser
def test_an_offline_edit_of_a_value_changed_on_the_server_meanwhile_is_kept_as_a_conflict(page):
    context = page.context
    sign_in(page, "caseworker_tij")
    booth_open(page)
    enrol(page)
    slip = register(page, HOUSEHOLDS[0], 1)  # online: it syncs at once
    expect(page.get_by_test_id("booth-queued")).to_have_text("en la cola (0)")
    member = Member.objects.get(case__provisional_reference=slip)

    # a case registered before, online, can be kept on the tablet too
    page.get_by_test_id("booth-tab-cases").click()
    demo_case = Member.objects.get(document_number="HN0001234").case
    page.get_by_test_id("booth-open-form").locator("input").fill(str(demo_case.pk))
    page.get_by_test_id("booth-open-form").locator("button").click()
    expect(page.get_by_test_id("booth-case").filter(has_text=demo_case.reference)).to_contain_text("María José")

    # the tablet keeps the case (sealed) and edits it offline: another date of birth
    context.set_offline(True)
    card = page.get_by_test_id("booth-case").filter(has_text="Wendolyn")
    expect(card).to_contain_text("versión")
    card.get_by_test_id("booth-edit-member").first.click()
    card.locator("[name=date_of_birth]").fill("1994-02-18")
    card.get_by_test_id("booth-edit-submit").click()
    expect(page.get_by_test_id("booth-queued")).to_have_text("en la cola (1)")

    # and, still offline, her son joins the household and a counselling session is recorded
    card.get_by_test_id("booth-member-add").click()
    for name, value in {"given_names": "Brayan", "family_names": "Cárcamo", "relationship": "child", "sex": "male",
                        "estimated_age": "4", "nationality": "HN", "place_of_origin": "Choluteca"}.items():
        field = card.locator(f"[name={name}]")
        field.select_option(value) if name in SELECTS else field.fill(value)
    card.get_by_test_id("booth-edit-submit").click()
    card.get_by_test_id("booth-counselling").click()
    card.locator("[name=outcome]").select_option("wishes_to_return")
    card.locator("input[type=checkbox]").first.check()
    card.get_by_test_id("booth-edit-submit").click()
    expect(page.get_by_test_id("booth-queued")).to_have_text("en la cola (3)")

    # meanwhile an office colleague corrects the same date on the server
    member_update(actor=User.objects.get(username="caseworker_tij"), member_id=member.pk,
                  expected_version=member.case.version, changes={"date_of_birth": date(1994, 12, 17)})

    context.set_offline(False)
    expect(page.get_by_test_id("booth-queued")).to_have_text("en la cola (0)", timeout=20_000)
    page.get_by_test_id("booth-tab-queue").click()
    expect(page.get_by_test_id("booth-conflict-link")).to_have_attribute("href", "/sync/conflicts/")

    # nothing lost: the server's value stands and both are kept side by side for a person to decide
    member.refresh_from_db()
    assert str(member.date_of_birth) == "1994-12-17"
    conflict = SyncConflict.objects.get(member=member, field="date_of_birth")
    assert (str(conflict.base_value), str(conflict.server_value), str(conflict.device_value)) == (
        "1994-02-17", "1994-12-17", "1994-02-18")
    listed = page.evaluate("async () => (await fetch('/api/v1/sync/conflicts/?status=open')).json()")
    assert [c["field"] for c in listed["results"] if c["member"] == member.pk] == ["date_of_birth"]

    # the booth's link leads to the conflicts page, where both values wait side by side
    page.get_by_test_id("booth-conflict-link").click()
    page.wait_for_url("**/sync/conflicts/")
    shown = page.locator(f"[data-testid=sync-conflict][data-conflict='{conflict.pk}']")
    expect(shown).to_have_attribute("data-field", "date_of_birth")
    assert "1994" in shown.get_by_test_id("server").inner_text() and "1994" in shown.get_by_test_id("device").inner_text()
    assert shown.get_by_test_id("server").inner_text() != shown.get_by_test_id("device").inner_text()

    # the other two went in as they were
    assert list(member.case.members.order_by("id").values_list("given_names", flat=True)) == ["Wendolyn Azucena",
                                                                                              "Brayan"]
    assert CounsellingSession.objects.filter(case=member.case, outcome="wishes_to_return").count() == 1
    assert sorted(SyncOperation.objects.filter(case=member.case).values_list("kind", "status")) == [
        ("counselling", "applied"), ("member_add", "applied"), ("member_edit", "conflict"), ("register", "applied")]



@pytest.mark.browser
def test_a_revoked_tablet_keeps_its_queue_says_so_and_exports_it_sealed_for_the_server_to_apply(page):
    import json

    from sync.models import Device
    from sync.recovery import export_import
    from sync.services import device_revoke

    context = page.context
    sign_in(page, "caseworker_tij")
    booth_open(page)
    enrol(page)
    context.set_offline(True)
    slip = register(page, HOUSEHOLDS[1], 1)
    device = Device.objects.get()
    device_revoke(actor=User.objects.get(username="supervisor_mx"), device_id=device.pk, reason="Tableta robada")

    # back online, the server refuses the tablet: a clear message, and the queue stays
    context.set_offline(False)
    expect(page.get_by_test_id("booth-revoked")).to_be_visible(timeout=20_000)
    expect(page.get_by_test_id("booth-queued")).to_have_text("en la cola (1)")
    assert not Case.objects.filter(provisional_reference=slip).exists()
    page.locator("form[action='/accounts/logout/'] button[type=submit]").click()
    expect(page.get_by_test_id("booth-signout-refused")).to_contain_text("1")

    # another caseworker on the same browser (the session lost): the booth refuses to work over the unsent queue
    colleague = staff("caseworker_tij_2", Role.CASEWORKER, office=Office.objects.get(code="TIJ"))
    context.clear_cookies()
    sign_in(page, colleague.username, PASSWORD)
    booth_open(page)
    expect(page.get_by_test_id("booth-other-user")).to_contain_text("caseworker_tij")
    expect(page.get_by_test_id("booth-register")).to_have_count(0)
    # the colleague may sign out (the queue is not theirs), and it stays for its owner
    page.locator("form[action='/accounts/logout/'] button[type=submit]").click()
    page.wait_for_url("**/accounts/login/")
    assert len(page.evaluate(RAW_RECORDS)["operations"]) == 1
    sign_in(page, "caseworker_tij")
    booth_open(page)
    expect(page.get_by_test_id("booth-revoked")).to_be_visible()

    # the way out: the export, still sealed, that only the server can open
    with page.expect_download() as download:
        page.get_by_test_id("booth-export").click()
    raw = Path(download.value.path()).read_bytes()
    exported = json.loads(raw)
    assert exported["format"] == "avr-booth-export-1" and exported["device"] == str(device.pk)
    assert exported["user"] == User.objects.get(username="caseworker_tij").pk
    assert [op["kind"] for op in exported["operations"]] == ["register"]
    assert "Rigoberto" not in raw.decode() and exported["wrapped_key"]
    answer = export_import(importer=User.objects.get(username="caseworker_tij"), raw=raw)
    assert [r["status"] for r in answer["results"]] == ["applied"]
    assert Member.objects.filter(given_names="Rigoberto", family_names="Alvarado Sosa").count() == 1

    # exported, the queue no longer holds the caseworker back
    page.locator("form[action='/accounts/logout/'] button[type=submit]").click()
    page.wait_for_url("**/accounts/login/")


DAMAGE_FIRST = """async () => {
  const db = await new Promise((ok, ko) => { const r = indexedDB.open("avr-booth"); r.onsuccess = () => ok(r.result);
                                             r.onerror = () => ko(r.error); });
  await new Promise((ok) => {
    const store = db.transaction("operations", "readwrite").objectStore("operations");
    const r = store.getAll();
    r.onsuccess = () => {
      const op = r.result.sort((a, b) => a.sequence - b.sequence)[0];
      const flip = op.ciphertext[5] === "A" ? "B" : "A";
      op.ciphertext = op.ciphertext.slice(0, 5) + flip + op.ciphertext.slice(6);
      store.put(op).onsuccess = ok;
    };
  });
  db.close();
}"""


@pytest.mark.browser
def test_a_record_damaged_on_the_tablet_is_set_aside_and_the_rest_of_the_queue_still_goes(page):
    sign_in(page, "caseworker_tij")
    booth_open(page)
    enrol(page)
    cases_before = Case.objects.count()
    page.context.set_offline(True)
    expect(page.get_by_test_id("booth-online")).to_have_text("Sin conexión")
    register(page, HOUSEHOLDS[0], 1)
    register(page, HOUSEHOLDS[1], 2)
    page.evaluate(DAMAGE_FIRST)

    page.context.set_offline(False)
    page.get_by_test_id("booth-sync").click()

    expect(page.get_by_test_id("booth-corrupt")).to_have_text("dañadas (1)")
    expect(page.get_by_test_id("booth-queued")).to_have_text("en la cola (0)")
    assert Case.objects.count() == cases_before + 1
    assert Case.objects.order_by("-id").first().members.count() == 2  # the second household went in
    # the damaged one is still the tablet's to export: signing out stays refused
    page.locator("form[action='/accounts/logout/'] button[type=submit]").click()
    expect(page.get_by_test_id("booth-signout-refused")).to_contain_text("1")
