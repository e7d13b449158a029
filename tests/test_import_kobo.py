"""The KoboToolbox pull against a local server speaking the v2 data API: pages followed, only new submissions
asked for, an amended submission proposed as an update of its case, a wrong token or a server down a clear error
with nothing staged, the token kept sealed."""

import json
import re

import pytest
from django.conf import settings
from django.db import connection

from avr.celery import app as celery_app
from cases.models import Case
from imports.kobo import kobo_pull, kobo_pull_all_sources
from imports.models import (
    BatchKind,
    BatchStatus,
    ImportBatch,
    ImportRow,
    ImportSource,
    RowStatus,
)
from imports.secrets import token_open, token_seal
from tests.kobo_server import KoboServer, household_fields

pytestmark = pytest.mark.django_db

GIVEN = ["Ana", "Berta", "Carmen", "Dora", "Elena", "Fabiola", "Gloria", "Hilda", "Irma", "Julia", "Karla", "Lidia"]
FAMILY = ["Zelaya", "Yescas", "Xicará", "Villeda", "Urquía", "Tábora", "Solórzano", "Reyes", "Quintanilla", "Paz"]


def person_fields(n: int, **kw) -> dict:
    """Household n: names, birth date and document of nobody else, so that no two are likely duplicates."""
    fields = household_fields(n, **kw)
    principal = fields["members"][0]
    principal["members/given_names"] = f"{GIVEN[n % 12]} {GIVEN[n // 12 % 12]}"
    principal["members/family_names"] = f"{FAMILY[n % 10]} {FAMILY[n // 10 % 10]} {FAMILY[n // 100 % 10]}"
    principal["members/date_of_birth"] = f"{1950 + n % 50}-{1 + n // 50 % 12:02d}-{1 + n // 600 % 28:02d}"
    return fields


@pytest.fixture
def kobo():
    server = KoboServer().start()
    yield server
    server.stop()


@pytest.fixture
def source(kobo, caravan, tij, caseworker):
    return ImportSource.objects.create(programme=caravan, office=tij, server_url=kobo.url, asset_uid=kobo.asset_uid,
                                       token_sealed=token_seal(kobo.token), created_by=caseworker)


def approve_and_merge(batch, supervisor, capture):
    from imports.services import batch_approve

    with capture(execute=True):
        batch_approve(actor=supervisor, batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.MERGED, (batch.status, batch.error, list(
        ImportRow.objects.filter(batch=batch).values_list("status", "errors")))
    return batch


def test_a_first_pull_of_2500_submissions_follows_three_pages_and_stages_them_all(kobo, source, caseworker):
    for n in range(2500):
        kobo.submit(person_fields(n, members=1))

    batch = kobo_pull(source)

    assert [r["returned"] for r in kobo.requests] == [1000, 1000, 500]
    assert "query" not in kobo.requests[0]  # nothing seen yet: everything
    assert (batch.kind, batch.source, batch.uploaded_by, batch.rows) == (BatchKind.KOBO, source, caseworker, 2500)
    assert ImportRow.objects.filter(batch=batch).count() == 2500
    assert (batch.valid, batch.new, batch.invalid, batch.status) == (2500, 2500, 0, BatchStatus.VALIDATED)
    assert set(ImportRow.objects.filter(batch=batch).values_list("kobo_uuid", flat=True)) == {
        r["_uuid"] for r in kobo.records}
    source.refresh_from_db()
    assert source.last_submission_time.strftime("%Y-%m-%dT%H:%M:%S") == kobo.records[-1]["_submission_time"]
    assert source.last_error == "" and source.last_pulled_at is not None
    assert not Case.objects.exists()  # staged, never written into cases before an approval


def test_the_second_pull_asks_only_for_the_submissions_after_the_last_one_seen(kobo, source):
    for n in range(3):
        kobo.submit(person_fields(n))
    first = kobo_pull(source)
    kobo.submit(person_fields(3))
    kobo.submit(person_fields(4))

    second = kobo_pull(source)

    query = json.loads(kobo.requests[-1]["query"])
    assert {"_submission_time": {"$gt": kobo.records[2]["_submission_time"]}} in query["$or"]
    assert kobo.requests[-1]["returned"] == 2
    assert second.pk != first.pk and second.rows == 2
    assert set(ImportRow.objects.filter(batch=second).values_list("kobo_uuid", flat=True)) == {
        kobo.records[3]["_uuid"], kobo.records[4]["_uuid"]}
    assert kobo_pull(source) is None  # nothing new: no batch at all
    assert ImportBatch.objects.count() == 2


def test_the_pull_keeps_the_fields_of_the_form_as_the_import_columns_name_them(kobo, source):
    kobo.submit(person_fields(7, members=3))

    row = ImportRow.objects.get(batch=kobo_pull(source))

    assert row.data["destination_country"] == "HN" and row.data["how_heard"] == "shelter"
    assert row.data["consent"]["type"] == "explicit"
    assert [m["relationship"] for m in row.data["members"]] == ["principal", "child", "child"]
    assert row.data["members"][1]["estimated_age"] == 4
    assert row.household_key == kobo.records[0]["_uuid"]


@pytest.mark.parametrize("root_uuid", [True, False], ids=["rootUuid", "deprecatedID only"])
def test_an_amended_submission_comes_back_as_an_update_of_its_case_never_a_new_case(
        caravan, tij, caseworker, supervisor, django_capture_on_commit_callbacks, root_uuid):
    kobo = KoboServer(root_uuid=root_uuid).start()
    try:
        source = ImportSource.objects.create(programme=caravan, office=tij, server_url=kobo.url,
                                             asset_uid=kobo.asset_uid, token_sealed=token_seal(kobo.token),
                                             created_by=caseworker)
        kobo.submit(person_fields(1))
        kobo.submit(person_fields(2))
        merged = approve_and_merge(kobo_pull(source), supervisor, django_capture_on_commit_callbacks)
        assert Case.objects.count() == 2, list(ImportRow.objects.values_list("status", "errors", "candidates"))
        original = ImportRow.objects.get(batch=merged, kobo_uuid=kobo.records[0]["_uuid"]).case
        assert original is not None

        kobo.edit(1, {"household/caseworker_notes": "Corrected in Kobo"})
        amended = kobo_pull(source)

        row = ImportRow.objects.get(batch=amended)
        assert (row.status, row.updates_case) == (RowStatus.UPDATE, original)
        assert row.household_key == kobo.records[0]["_uuid"]  # the new version
        approve_and_merge(amended, supervisor, django_capture_on_commit_callbacks)
        assert Case.objects.count() == 2
        original.refresh_from_db()
        assert original.caseworker_notes == "Corrected in Kobo"  # the amendment reached its case
        assert kobo_pull(source) is None  # the edit, once staged, is not proposed again
    finally:
        kobo.stop()


def test_a_wrong_token_leaves_a_clear_error_on_the_source_and_stages_nothing(kobo, source):
    kobo.submit(person_fields(1))
    kobo.token = "another-token"

    assert kobo_pull(source) is None

    source.refresh_from_db()
    assert "token" in source.last_error and "401" in source.last_error
    assert source.last_submission_time is None
    assert not ImportBatch.objects.exists() and not ImportRow.objects.exists() and not Case.objects.exists()


def test_a_form_the_token_cannot_read_is_named_in_the_error(kobo, source):
    source.asset_uid = "aNoSuchForm"
    source.save()

    assert kobo_pull(source) is None

    source.refresh_from_db()
    assert "aNoSuchForm" in source.last_error and not ImportBatch.objects.exists()


def test_the_server_down_leaves_a_clear_error_and_stages_nothing(kobo, source):
    kobo.stop()

    assert kobo_pull(source) is None

    source.refresh_from_db()
    assert "No se pudo conectar con KoboToolbox" in source.last_error and kobo.url in source.last_error
    assert not ImportBatch.objects.exists() and not Case.objects.exists()


def test_a_next_page_on_another_server_is_not_asked_for_with_the_token(kobo, source, monkeypatch):
    for n in range(3):
        kobo.submit(person_fields(n))
    original_page = kobo.page
    monkeypatch.setattr(kobo, "page", lambda params: {**original_page({**params, "limit": 1}),
                                                      "next": "http://127.0.0.2:9/steal/"})

    assert kobo_pull(source) is None

    source.refresh_from_db()
    assert "otro servidor" in source.last_error and not ImportBatch.objects.exists()


def test_the_token_is_stored_sealed_and_the_admin_never_shows_it(client, admin_user, caravan, tij, kobo):
    token = "s3cret-kobo-token-do-not-show"
    client.force_login(admin_user)

    response = client.post("/admin/imports/importsource/add/", {
        "programme": caravan.pk, "office": tij.pk, "server_url": kobo.url, "asset_uid": kobo.asset_uid,
        "token": token, "is_active": "on"})

    assert response.status_code == 302, response.content.decode()[:2000]
    source = ImportSource.objects.get()
    assert source.created_by == admin_user and token_open(source.token_sealed) == token
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(s)::text FROM imports_importsource s")
        assert token not in cursor.fetchone()[0]
    page = client.get(f"/admin/imports/importsource/{source.pk}/change/").content.decode()
    assert token not in page and source.token_sealed not in page
    assert re.search(r'<div class="readonly">\s*(set|puesto)\s*</div>', page)  # only that it is set
    assert 'name="token"' in page and 'value="' + token not in page

    sealed = source.token_sealed
    client.post(f"/admin/imports/importsource/{source.pk}/change/", {
        "programme": caravan.pk, "office": tij.pk, "server_url": kobo.url, "asset_uid": kobo.asset_uid,
        "token": "", "is_active": "on"})
    source.refresh_from_db()
    assert source.token_sealed == sealed  # left empty: the token set stays


def test_the_row_admin_shows_no_household_data(client, admin_user, kobo, source):
    kobo.submit(person_fields(5))
    row = ImportRow.objects.get(batch=kobo_pull(source))
    client.force_login(admin_user)

    page = client.get(f"/admin/imports/importrow/{row.pk}/change/").content.decode()
    listing = client.get("/admin/imports/importbatch/").content.decode()

    assert page.count("KB000005") == 0 and row.data["members"][0]["given_names"] not in page
    assert "KoboToolbox" in listing


def test_the_nightly_task_pulls_every_active_source_and_is_scheduled(kobo, source, caravan, tij, caseworker):
    kobo.submit(person_fields(1))
    ImportSource.objects.create(programme=caravan, office=tij, server_url=kobo.url, asset_uid="inactiveForm",
                                token_sealed=token_seal(kobo.token), created_by=caseworker, is_active=False)

    assert kobo_pull_all_sources() == 1

    assert ImportBatch.objects.get().source == source
    entry = settings.CELERY_BEAT_SCHEDULE["kobo-pull-all"]
    assert entry["task"] == "imports.tasks_kobo.kobo_pull_all"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({2}, {30})
    assert entry["options"]["queue"] == settings.AVR_BULK_QUEUE  # it stages thousands: not before a notice
    celery_app.loader.import_default_modules()
    assert "imports.tasks_kobo.kobo_pull_all" in celery_app.tasks


def test_a_pull_stops_at_the_most_households_a_batch_may_hold_and_the_next_one_goes_on(kobo, source, settings,
                                                                                        monkeypatch):
    from imports import kobo as kobo_module

    settings.IMPORT_MAX_HOUSEHOLDS = 3
    monkeypatch.setattr(kobo_module, "PAGE_SIZE", 2)
    for n in range(5):
        kobo.submit(person_fields(n))

    first = kobo_pull(source)
    second = kobo_pull(source)

    assert [r["returned"] for r in kobo.requests] == [2, 2, 2]  # two pages were enough for three; then the rest
    assert (first.rows, second.rows) == (3, 2)
    assert set(ImportRow.objects.filter(batch=second).values_list("kobo_uuid", flat=True)) == {
        kobo.records[3]["_uuid"], kobo.records[4]["_uuid"]}


def test_the_admin_action_pulls_the_selected_source_now(client, admin_user, kobo, source,
                                                        django_capture_on_commit_callbacks):
    kobo.submit(person_fields(9))
    client.force_login(admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/imports/importsource/", {"action": "pull_now",
                                                                "_selected_action": [source.pk]})

    assert response.status_code == 302
    assert ImportBatch.objects.get().source == source
