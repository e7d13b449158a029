"""The manifest PDF is made in the background: asked for once per passenger list, built with progress, handed out
audited, to its requester only, made again when the bookings change, and queued again if nothing would build it."""

# ruff: noqa: F811  (the bus of four passengers: fixtures imported from test_manifest)
from datetime import timedelta

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from outbox.models import OutboxMessage
from tests.conftest import api_as
from tests.test_manifest import (  # noqa: F401  (the bus of four passengers)
    api_url,
    child_alone,
    exports_of,
    family,
    get_ready,
    movement,
    page_url,
    pdf_text,
)
from travel import manifest_builds, services
from travel.choices import ManifestBuildStatus
from travel.models import ManifestBuild

pytestmark = pytest.mark.django_db


def build_messages(build_id: int):
    return OutboxMessage.objects.filter(key=f"manifest-{build_id}", done_at__isnull=True, failed_at__isnull=True)


def ask(user, movement):
    """The API's answer to asking for the PDF, the build running at commit as a worker would run it."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return api_as(user).get(api_url(movement, "pdf"))


def test_asking_twice_while_the_pdf_is_queued_builds_it_once(movement_officer, movement):
    first = api_as(movement_officer).get(api_url(movement, "pdf"))
    again = api_as(movement_officer).get(api_url(movement, "pdf"))

    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["status"] == "queued" and first.json()["download_url"] is None
    assert again.json()["status_url"].endswith(
        reverse("api-movement-manifest-build", args=[movement.pk, first.json()["id"]]))
    assert ManifestBuild.objects.count() == 1
    assert build_messages(first.json()["id"]).count() == 1
    assert exports_of(movement) == []  # asking is not downloading


def test_the_build_reports_its_progress_while_the_pages_are_laid_out(movement_officer, movement, monkeypatch):
    seen = []
    record = manifest_builds.manifest_build_progress

    def watched(build_id, percent):
        record(build_id, percent)
        build = ManifestBuild.objects.get(pk=build_id)
        seen.append((build.status, build.progress))

    monkeypatch.setattr(manifest_builds, "manifest_build_progress", watched)

    build = ManifestBuild.objects.get(pk=ask(movement_officer, movement).json()["id"])

    assert seen == [("building", 15), ("building", 80)]
    assert (build.status, build.progress) == ("ready", 100)


def test_the_page_follows_a_build_in_progress_and_offers_the_download_once_ready(client, movement_officer, movement):
    client.force_login(movement_officer)
    asked = client.get(page_url(movement, "pdf"))
    build = ManifestBuild.objects.get()
    assert asked.status_code == 302 and asked["Location"] == reverse("movement_manifest_build",
                                                                     args=[movement.pk, build.pk])
    ManifestBuild.objects.filter(pk=build.pk).update(status=ManifestBuildStatus.BUILDING, progress=40)

    page = client.get(asked["Location"]).content.decode()
    status = api_as(movement_officer).get(reverse("api-movement-manifest-build", args=[movement.pk, build.pk]))

    assert 'data-progress="40"' in page and "every 2s" in page and "manifest-download" not in page
    assert status.json()["status"] == "building" and status.json()["progress"] == 40
    manifest_builds.manifest_build_run(build.pk)
    ready = client.get(reverse("movement_manifest_build_progress", args=[movement.pk, build.pk])).content.decode()
    assert "manifest-download" in ready and "every 2s" not in ready


def test_a_ready_pdf_is_downloaded_as_an_audited_attachment_of_the_cases_it_carries(
        movement_officer, movement, family, child_alone):
    assert ask(movement_officer, movement).status_code == 202

    response = api_as(movement_officer).get(api_url(movement, "pdf"))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    assert "Núñez Peña, José Ángel" in pdf_text(response.content)
    [event] = exports_of(movement)
    assert event.actor == movement_officer and event.object_ids == sorted([family.pk, child_alone.pk])


@pytest.mark.parametrize("persona", ["caseworker", "outsider", "admin_user"])
def test_who_may_not_see_the_movement_gets_404_and_nothing_is_built(request, persona, movement):
    user = request.getfixturevalue(persona)

    assert ask(user, movement).status_code == 404
    assert ManifestBuild.objects.count() == 0 and not OutboxMessage.objects.filter(key__startswith="manifest-")


def test_a_build_is_its_requesters_alone(client, movement_officer, supervisor, movement):
    build_id = ask(movement_officer, movement).json()["id"]
    client.force_login(supervisor)  # sees the movement, but the PDF holds the officer's view of it

    assert api_as(supervisor).get(reverse("api-movement-manifest-build",
                                          args=[movement.pk, build_id])).status_code == 404
    assert client.get(reverse("movement_manifest_build", args=[movement.pk, build_id])).status_code == 404
    assert get_ready(api_as(supervisor), api_url(movement, "pdf")).status_code == 200
    assert ManifestBuild.objects.filter(requested_by=supervisor).count() == 1


def test_a_change_to_the_bookings_leaves_the_old_pdf_stale_and_builds_a_new_one(
        movement_officer, movement, child_alone):
    old = ask(movement_officer, movement).json()["id"]
    assert "Brayan" in pdf_text(api_as(movement_officer).get(api_url(movement, "pdf")).content)

    services.case_unbook(actor=movement_officer, movement_id=movement.pk, case_id=child_alone.pk)
    asked = ask(movement_officer, movement)
    response = api_as(movement_officer).get(api_url(movement, "pdf"))

    assert asked.status_code == 202 and asked.json()["id"] != old
    assert response.status_code == 200 and "Brayan" not in pdf_text(response.content)
    assert list(ManifestBuild.objects.values_list("id", flat=True)) == [asked.json()["id"]]  # the stale file went


def test_a_corrected_name_or_passport_leaves_the_old_pdf_stale(movement_officer, movement, child_alone):
    from cases.models import Member
    from travel.models import TravelDocument

    ask(movement_officer, movement)
    brayan = Member.objects.get(case=child_alone, given_names__startswith="Brayan")
    Member.objects.filter(pk=brayan.pk).update(family_names="Corregido Apellido")

    asked = ask(movement_officer, movement)
    response = api_as(movement_officer).get(api_url(movement, "pdf"))

    assert asked.status_code == 202 and "Corregido" in pdf_text(response.content)
    before = manifest_builds.passengers_version(movement)
    document = TravelDocument.objects.filter(member__bookings__movement=movement).first()
    TravelDocument.objects.filter(pk=document.pk).update(number="X" + document.number)
    assert manifest_builds.passengers_version(movement) != before


def test_a_failed_build_is_queued_again_when_asked_for_again(movement_officer, movement, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("WeasyPrint ran out of memory")

    monkeypatch.setattr("travel.manifest.manifest_pdf", broken)
    with pytest.raises(RuntimeError):
        ask(movement_officer, movement)
    build = ManifestBuild.objects.get()
    assert build.status == ManifestBuildStatus.FAILED and build.error
    monkeypatch.undo()

    assert get_ready(api_as(movement_officer), api_url(movement, "pdf")).status_code == 200
    assert ManifestBuild.objects.get().status == ManifestBuildStatus.READY


def test_a_build_left_queued_with_nothing_to_build_it_is_queued_again_by_the_sweep(
        movement_officer, movement, settings):
    from outbox.tasks import stuck_work_sweep

    build_id = api_as(movement_officer).get(api_url(movement, "pdf")).json()["id"]
    build_messages(build_id).update(done_at=timezone.now())  # its message finished as it was asked for again
    ManifestBuild.objects.filter(pk=build_id).update(
        requested_at=timezone.now() - timedelta(seconds=settings.AVR_STUCK_AFTER_SECONDS + 5))

    stuck_work_sweep.run()

    assert build_messages(build_id).count() == 1
    assert manifest_builds.manifest_builds_orphaned_requeue() == []  # one message is enough
    assert ManifestBuild.objects.get(pk=build_id).status == ManifestBuildStatus.QUEUED


def test_anonymising_a_case_on_board_deletes_the_pdfs_that_name_it(movement_officer, movement, family):
    from retention.services import _overwrite

    ask(movement_officer, movement)
    assert ManifestBuild.objects.filter(status=ManifestBuildStatus.READY).count() == 1

    _overwrite([family.pk])

    assert ManifestBuild.objects.count() == 0
