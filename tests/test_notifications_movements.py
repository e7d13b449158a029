"""A movement confirmed or departed tells its reception centre: counts and a link, once, never a name."""

import json
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from accounts.choices import Role
from accounts.models import Assignment
from cases.registration import MemberInput
from cases.services import case_transition
from notifications.messages import notification_subject, notification_text
from notifications.models import Notification, NotificationKind
from notifications.tasks import movement_event_notify
from screening.services import best_interests_save
from tests.conftest import api_as
from tests.factories import household, staff
from tests.reception_steps import day_of_travel
from tests.screening_steps import counsel, family, screen
from tests.travel_steps import approved, convoy, documents_ready
from travel import services
from travel.models import Movement

pytestmark = pytest.mark.django_db

# A child who stays a child for years whenever the suite runs.
CHILD_BIRTH = date.today().replace(month=1, day=15) - timedelta(days=365 * 12)


@pytest.fixture(autouse=True)
def english_speaking_staff(settings):
    """The assertions read the English source text; staff in these countries would otherwise get Spanish."""
    settings.SPANISH_DEFAULT_COUNTRIES = []


def mailable(user):
    user.email = f"{user.username}@example.org"
    user.save(update_fields=["email"])
    return user


@pytest.fixture
def reception(reception):
    return mailable(reception)


@pytest.fixture
def other_reception(other_reception):
    return mailable(other_reception)


@pytest.fixture
def movement_officer(movement_officer):
    return mailable(movement_officer)


@pytest.fixture
def reception_without_address(sps):
    return staff("rec_sps_2", Role.RECEPTION_STAFF, office=sps)


@pytest.fixture
def former_reception(sps):
    user = mailable(staff("rec_sps_old", Role.RECEPTION_STAFF, office=sps))
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user


@pytest.fixture
def parents_and_son(caseworker, supervisor, movement_officer, caravan, tij):
    case = approved(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    documents_ready(case, movement_officer)
    return case


@pytest.fixture
def lone_girl(caseworker, supervisor, movement_officer, caravan, tij):
    """A girl of twelve travelling alone, approved with her best-interests determination."""
    case = household(actor=caseworker, programme=caravan, office=tij, people=[MemberInput(
        given_names="Yesenia Marisol", family_names="Oyuela Banegas", sex="female", date_of_birth=CHILD_BIRTH,
        nationality="HN", place_of_origin="Olanchito", relationship="principal")])
    counsel(case, caseworker)
    child = case.members.get()
    screen(child, caseworker)
    best_interests_save(actor=caseworker, member_id=child.pk, expected_version=None, data={
        "responsible_authority": "DIF", "guardian_name": "PPNNA", "child_views": "Volver", "options_considered": "x",
        "outcome": "return", "decided_on": date(2018, 11, 19), "guardian_consent": True,
        "guardian_consent_on": date(2018, 11, 19)})
    case_transition(case_id=case.pk, to="pending_approval", actor=caseworker)
    case_transition(case_id=case.pk, to="approved", actor=supervisor)
    documents_ready(case, movement_officer)
    return case


@pytest.fixture
def bus(movement_officer, tij, sps, parents_and_son, lone_girl):
    """A convoy to San Pedro Sula with both households booked and a child escort."""
    movement = convoy(movement_officer, tij, sps)
    services.escort_add(actor=movement_officer, movement_id=movement.pk, data={"name": "Lucía Gómez", "kind": "child"})
    for case in (parents_and_son, lone_girl):
        services.case_book(actor=movement_officer, movement_id=movement.pk, case_id=case.pk)
    return movement


def transition(movement, officer, to, capture, boarded=None) -> Movement:
    """Through the travel service, running its real on-commit hook (Celery is eager in the tests)."""
    if to == "departed":
        day_of_travel(movement)
    with capture(execute=True):
        return services.movement_transition(actor=officer, movement_id=movement.pk, to=to, boarded=boarded)


def received(user, kind=None) -> list[Notification]:
    notifications = Notification.objects.filter(recipient=user)
    return list(notifications.filter(kind=kind) if kind else notifications)


def english(notification) -> str:
    """The bell's text as an English reader sees it (the tests run with the site's default language, Spanish)."""
    with translation.override("en"):
        return notification_text(notification)


def mail_to(outbox, user) -> list:
    return [message for message in outbox if user.email in message.to]


def expected_day(movement) -> str:
    arrival = timezone.localtime(movement.legs.order_by("-order").first().expected_at).date()
    return arrival.strftime("%m/%d/%Y")  # English short date


def movement_path(movement) -> str:
    try:
        return reverse("movement_detail", args=[movement.pk])
    except NoReverseMatch:  # until the movement page exists, the case list
        return reverse("case_list")


def personal_data(*cases) -> list[str]:
    """Everything about the passengers that must never reach a notification."""
    found = []
    for case in cases:
        found.append(case.caseworker_notes)
        for member in case.members.all():
            found += [member.given_names, member.family_names, member.place_of_origin]
            found += [part for part in (member.given_names + " " + member.family_names).split() if len(part) > 3]
            found += [member.document_number] if member.document_number else []
            found += list(member.travel_documents.values_list("number", flat=True))
            if member.date_of_birth:
                birth = member.date_of_birth
                found += [birth.isoformat(), birth.strftime("%d/%m/%Y"), birth.strftime("%m/%d/%Y"), str(birth.year)]
    return [value for value in found if value]


def test_confirming_a_movement_tells_each_reception_staff_of_the_centre_once_with_the_counts(
        bus, movement_officer, reception, reception_without_address, former_reception, other_reception,
        django_capture_on_commit_callbacks, mailoutbox):
    transition(bus, movement_officer, "confirmed", django_capture_on_commit_callbacks)

    [notification] = received(reception)
    assert notification.kind == NotificationKind.MOVEMENT_CONFIRMED
    assert notification.dedupe_key == f"movement:{bus.pk}:confirmed:{reception.pk}"
    assert english(notification) == (
        f"Movement {bus.reference} is confirmed: 4 passengers (2 children, 1 unaccompanied) expected on "
        f"{expected_day(bus)}.")
    [message] = mail_to(mailoutbox, reception)
    assert message.subject == "[AVR] A movement to your centre is confirmed"
    assert english(notification) in message.body
    assert f"{settings.SITE_URL}{movement_path(bus)}" in message.body
    assert len(received(reception_without_address)) == 1  # in the bell, no e-mail to send
    assert [m.to for m in mailoutbox] == [[reception.email]]
    for user in (former_reception, other_reception, movement_officer):
        assert received(user) == [] and mail_to(mailoutbox, user) == []


def test_departure_tells_the_centre_again_with_who_boarded(
        bus, movement_officer, reception, parents_and_son, django_capture_on_commit_callbacks, mailoutbox):
    transition(bus, movement_officer, "confirmed", django_capture_on_commit_callbacks)
    on_board = list(parents_and_son.members.values_list("pk", flat=True))  # the girl does not come

    transition(bus, movement_officer, "departed", django_capture_on_commit_callbacks, boarded=on_board)

    [departed] = received(reception, NotificationKind.MOVEMENT_DEPARTED)
    assert english(departed) == (
        f"Movement {bus.reference} has departed: 3 passengers (1 child) on board, expected on {expected_day(bus)}.")
    assert departed.params["passengers"] == 3 and departed.params["unaccompanied"] == 0
    assert len(received(reception)) == 2
    assert [m.subject for m in mail_to(mailoutbox, reception)] == [
        "[AVR] A movement to your centre is confirmed", "[AVR] A movement to your centre has departed"]


def test_the_task_run_again_writes_and_sends_nothing_more(
        bus, movement_officer, reception, parents_and_son, lone_girl, django_capture_on_commit_callbacks,
        mailoutbox):
    transition(bus, movement_officer, "confirmed", django_capture_on_commit_callbacks)
    transition(bus, movement_officer, "departed", django_capture_on_commit_callbacks,
               boarded=list(parents_and_son.members.values_list("pk", flat=True)))

    movement_event_notify.delay(bus.pk, "confirmed")
    movement_event_notify.delay(bus.pk, "departed")

    assert sorted(n.kind for n in received(reception)) == ["movement_confirmed", "movement_departed"]
    assert len(mailoutbox) == 2
    assert Notification.objects.get(kind="movement_confirmed").params["passengers"] == 4


def test_no_name_document_number_birth_date_or_note_reaches_the_centre(
        bus, movement_officer, reception, parents_and_son, lone_girl, django_capture_on_commit_callbacks,
        mailoutbox):
    transition(bus, movement_officer, "confirmed", django_capture_on_commit_callbacks)
    transition(bus, movement_officer, "departed", django_capture_on_commit_callbacks,
               boarded=list(parents_and_son.members.values_list("pk", flat=True)))
    forbidden = personal_data(parents_and_son, lone_girl)

    texts = [english(n) for n in received(reception)] + [notification_text(n) for n in received(reception)]
    texts += [json.dumps(n.params) for n in received(reception)]
    texts += [m.subject for m in mailoutbox] + [m.body for m in mailoutbox]
    assert len(texts) == 10 and len(forbidden) > 15
    for text in texts:
        assert [value for value in forbidden if value in text] == []
    assert set(received(reception)[0].params) == {"reference", "passengers", "children", "unaccompanied",
                                                  "departure", "expected"}


def test_the_centre_sees_the_booked_household_only_from_the_confirmation_and_without_notes(
        bus, movement_officer, reception, other_reception, parents_and_son, django_capture_on_commit_callbacks):
    url = f"/api/v1/cases/{parents_and_son.pk}/"
    before = api_as(reception).get(url)

    transition(bus, movement_officer, "confirmed", django_capture_on_commit_callbacks)
    after = api_as(reception).get(url)

    assert before.status_code == 404
    assert after.status_code == 200 and after.json()["reference"] == parents_and_son.reference
    assert "caseworker_notes" not in after.json() and parents_and_son.caseworker_notes not in after.content.decode()
    assert api_as(other_reception).get(url).status_code == 404


def test_opening_the_notice_leads_to_the_movement(
        bus, movement_officer, reception, django_capture_on_commit_callbacks, client):
    transition(bus, movement_officer, "confirmed", django_capture_on_commit_callbacks)
    [notification] = received(reception)
    client.force_login(reception)

    response = client.get(f"/notifications/{notification.pk}/")

    assert response.status_code == 302 and response["Location"] == movement_path(bus)


def test_the_officer_who_moves_the_movement_is_not_told_even_if_also_reception_staff(
        bus, movement_officer, reception, sps, mailoutbox):
    Assignment.objects.create(user=movement_officer, role=Role.RECEPTION_STAFF, office=sps)
    Movement.objects.filter(pk=bus.pk).update(status="confirmed")

    movement_event_notify.delay(bus.pk, "confirmed", actor_id=movement_officer.pk)

    assert received(movement_officer) == [] and len(received(reception)) == 1
    assert [m.to for m in mailoutbox] == [[reception.email]]


def test_a_late_notice_of_a_cancelled_movement_tells_nobody(bus, reception, mailoutbox):
    Movement.objects.filter(pk=bus.pk).update(status="cancelled")

    movement_event_notify.delay(bus.pk, "confirmed")
    movement_event_notify.delay(bus.pk + 1000, "confirmed")

    assert Notification.objects.count() == 0 and mailoutbox == []


def test_the_notice_is_written_in_the_recipients_language(
        bus, movement_officer, reception, django_capture_on_commit_callbacks, mailoutbox):
    reception.language = "es"
    reception.save(update_fields=["language"])

    transition(bus, movement_officer, "confirmed", django_capture_on_commit_callbacks)

    [notification] = received(reception)
    arrival = timezone.localtime(bus.legs.order_by("-order").first().expected_at).date()
    assert arrival.strftime("%d/%m/%Y") in mailoutbox[0].body  # the Spanish short date
    with translation.override("en"):
        assert arrival.strftime("%m/%d/%Y") in notification_text(notification)
        assert notification_subject(notification) == "[AVR] A movement to your centre is confirmed"
