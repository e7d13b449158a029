"""The retention policy: each night closed cases past their programme's months join the review queue (once; never
under a legal hold); a supervisor or admin confirms them in bulk after a confirmation step; only a programme that
opted in is anonymised without a person."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Case, CaseEvent, Member
from outbox.models import OutboxMessage
from outbox.services import outbox_deliver
from retention.models import ErasureCertificate, LegalHold, ReviewItem, ReviewStatus
from retention.plan import MARKER
from retention.services import (
    legal_hold_place,
    retention_queue_fill,
    review_item_anonymise,
    review_items_confirm,
)
from retention.tasks import retention_queue_fill_task
from tests.screening_steps import family

pytestmark = pytest.mark.django_db


def closed_months_ago(case, months: int, actor):
    Case.objects.filter(pk=case.pk).update(status="closed")
    event = CaseEvent.objects.create(case=case, actor=actor, from_status="arrived", to_status="closed")
    CaseEvent.objects.filter(pk=event.pk).update(at=timezone.now() - timedelta(days=31 * months))
    return case


@pytest.fixture
def old_case(caseworker, supervisor, caravan, tij):
    return closed_months_ago(family(actor=caseworker, programme=caravan, office=tij), 25, supervisor)


@pytest.fixture
def recent_case(caseworker, supervisor, caravan, tij):
    return closed_months_ago(family(actor=caseworker, programme=caravan, office=tij), 6, supervisor)


def given_names(case):
    return set(Member.objects.filter(case=case).values_list("given_names", flat=True))


def test_the_nightly_sweep_queues_closed_cases_past_retention_once(old_case, recent_case):
    retention_queue_fill_task()
    retention_queue_fill_task()

    assert list(ReviewItem.objects.values_list("case_id", "status")) == [(old_case.pk, ReviewStatus.PENDING)]
    assert "Ana Lucía" in given_names(old_case)  # queued, never anonymised without a person
    assert not ErasureCertificate.objects.exists()


def test_a_shorter_retention_period_brings_a_case_due_sooner(recent_case, caravan):
    caravan.retention_months = 3
    caravan.save()

    assert retention_queue_fill() == [recent_case.pk]


def test_a_case_under_legal_hold_is_never_queued(old_case, supervisor):
    legal_hold_place(case_id=old_case.pk, actor=supervisor, reason="Investigación de la fiscalía")

    assert retention_queue_fill() == []
    assert not ReviewItem.objects.exists()


def test_a_programme_that_opted_in_is_anonymised_each_night_with_a_certificate(old_case, recent_case, caravan):
    caravan.retention_automatic = True
    caravan.save()

    retention_queue_fill_task()

    assert given_names(old_case) == {MARKER} and "Ana Lucía" in given_names(recent_case)
    certificate = ErasureCertificate.objects.get()
    assert certificate.automatic and certificate.actor is None and certificate.case_ids == [old_case.pk]
    assert ReviewItem.objects.get().status == ReviewStatus.ANONYMISED


def test_the_review_page_lists_due_cases_for_the_supervisor_without_names(client, old_case, supervisor):
    retention_queue_fill()
    client.force_login(supervisor)

    page = client.get("/retention/review/")

    assert page.status_code == 200
    assert old_case.reference in page.content.decode() and "Ana Lucía" not in page.content.decode()


@pytest.mark.parametrize("who", ["caseworker", "reception", "movement_officer"])
def test_the_review_page_does_not_exist_for_other_roles(client, old_case, who, request):
    retention_queue_fill()
    client.force_login(request.getfixturevalue(who))

    assert client.get("/retention/review/").status_code == 404
    assert client.post("/retention/review/confirm/", {"item": ReviewItem.objects.get().pk,
                                                     "confirmed": "1"}).status_code == 404
    assert ReviewItem.objects.get().status == ReviewStatus.PENDING


def test_another_programmes_supervisor_sees_nothing_to_confirm(client, old_case, other_supervisor):
    retention_queue_fill()
    client.force_login(other_supervisor)

    response = client.post("/retention/review/confirm/", {"item": ReviewItem.objects.get().pk, "confirmed": "1"},
                           follow=True, HTTP_ACCEPT_LANGUAGE="es")

    assert old_case.reference not in client.get("/retention/review/").content.decode()
    assert "Ninguno de los casos marcados sigue esperando revisión." in response.content.decode()
    assert ReviewItem.objects.get().status == ReviewStatus.PENDING and "Ana Lucía" in given_names(old_case)


def test_confirming_asks_first_and_changes_nothing_until_confirmed(client, old_case, supervisor):
    retention_queue_fill()
    client.force_login(supervisor)

    response = client.post("/retention/review/confirm/", {"item": ReviewItem.objects.get().pk},
                           HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 200 and 'data-testid="confirmation"' in response.content.decode()
    assert "¿Anonimizar los casos seleccionados?" in response.content.decode()
    assert ReviewItem.objects.get().status == ReviewStatus.PENDING and "Ana Lucía" in given_names(old_case)
    assert not OutboxMessage.objects.exists()


def test_ticking_nothing_says_so(client, old_case, supervisor):
    retention_queue_fill()
    client.force_login(supervisor)

    response = client.post("/retention/review/confirm/", {}, follow=True, HTTP_ACCEPT_LANGUAGE="es")

    assert "Marque los casos que desea anonimizar." in response.content.decode()
    assert ReviewItem.objects.get().status == ReviewStatus.PENDING


def test_a_confirmed_case_is_anonymised_through_the_outbox_with_the_confirmer_on_its_certificate(
        client, old_case, supervisor, django_capture_on_commit_callbacks):
    retention_queue_fill()
    client.force_login(supervisor)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/retention/review/confirm/", {"item": ReviewItem.objects.get().pk,
                                                             "confirmed": "1"}, follow=True,
                               HTTP_ACCEPT_LANGUAGE="es")
    for message in OutboxMessage.objects.filter(done_at__isnull=True):
        outbox_deliver(message.pk)

    assert "Casos confirmados: 1." in response.content.decode()
    message = OutboxMessage.objects.get()
    assert message.task == "retention.tasks.review_item_anonymise_task" and message.args == [ReviewItem.objects.get().pk]
    assert given_names(old_case) == {MARKER}
    assert ErasureCertificate.objects.get().actor == supervisor
    assert ReviewItem.objects.get().status == ReviewStatus.ANONYMISED


def test_a_hold_placed_after_confirmation_stops_the_anonymisation(old_case, supervisor):
    retention_queue_fill()
    item = ReviewItem.objects.get()
    review_items_confirm(item_ids=[item.pk], actor=supervisor)  # the worker has not run it yet (no commit here)
    LegalHold.objects.create(case=old_case, reason="Orden judicial", placed_by=supervisor)

    review_item_anonymise(item_id=item.pk)

    assert "Ana Lucía" in given_names(old_case) and not ErasureCertificate.objects.exists()
    assert ReviewItem.objects.get().status == ReviewStatus.SKIPPED


def test_an_admin_places_a_legal_hold_in_the_admin_and_releases_it_later(client, old_case, admin_user):
    client.force_login(admin_user)

    added = client.post("/admin/retention/legalhold/add/", {"case": old_case.pk, "reason": "Juicio laboral abierto"})

    assert added.status_code == 302, added.content.decode()[:2000]
    hold = LegalHold.objects.get()
    assert (hold.placed_by, hold.reason, hold.released_at) == (admin_user, "Juicio laboral abierto", None)
    assert retention_queue_fill() == []

    client.post("/admin/retention/legalhold/", {"action": "release", "_selected_action": [hold.pk]})

    assert LegalHold.objects.get().released_by == admin_user
    assert retention_queue_fill() == [old_case.pk]


def test_beat_fills_the_review_queue_every_night():
    from celery.schedules import crontab
    from django.conf import settings

    from avr.celery import app as celery_app

    entry = settings.CELERY_BEAT_SCHEDULE["retention-queue-fill"]

    assert entry["task"] in celery_app.tasks
    assert isinstance(entry["schedule"], crontab)
    assert (entry["schedule"].hour, entry["schedule"].minute, entry["schedule"].day_of_month) == (
        {2}, {10}, set(range(1, 32)))
