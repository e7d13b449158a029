"""Notifications: who hears about a case event, e-mail exactly once, no personal data, the bell, the digest."""

import smtplib
import time
from datetime import date, timedelta

import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.core.mail.backends.locmem import EmailBackend
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from accounts.choices import Role
from avr.celery import app as celery_app
from cases.choices import CaseStatus
from cases.models import Case, CaseEvent
from cases.registration import MemberInput
from notifications.models import Notification, NotificationKind
from notifications.services import supervisor_digest_create
from notifications.tasks import case_event_notify, supervisor_digest
from tests.celery_worker import celery_worker
from tests.conftest import api_as
from tests.factories import ProgrammeFactory, household, staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_speaking_staff(settings):
    """The assertions read the English source text; staff in these countries would otherwise get Spanish."""
    settings.SPANISH_DEFAULT_COUNTRIES = []

# Personal data of the household: none of it may reach an e-mail or a notification's text.
GIVEN, FAMILY, DOCUMENT, BIRTH = "Zenobia Perpetua", "Quiñónez Altamirano", "ZX9988776", date(1987, 6, 21)
EVENT_NOTE = "Teme a la pandilla del barrio La Ceiba"
PERSONAL = [GIVEN, "Zenobia", "Quiñónez", "Altamirano", DOCUMENT, "1987", "21/06", "06/21", "Tiene miedo",
            EVENT_NOTE, "La Ceiba", "San Pedro Sula"]


def mailable(user):
    user.email = f"{user.username}@example.org"
    user.save(update_fields=["email"])
    return user


@pytest.fixture
def caseworker(caseworker):
    return mailable(caseworker)


@pytest.fixture
def supervisor(supervisor):
    return mailable(supervisor)


@pytest.fixture
def other_supervisor(other_supervisor):
    return mailable(other_supervisor)


@pytest.fixture
def programme_supervisor(caravan):
    """Supervises the whole programme, in every country."""
    return mailable(staff("sup_caravan", Role.SUPERVISOR, programme=caravan))


@pytest.fixture
def guatemala_supervisor(db):
    """Supervises every programme, but only in Guatemala."""
    return mailable(staff("sup_gt", Role.SUPERVISOR, country="GT"))


@pytest.fixture
def retired_supervisor(caravan):
    user = mailable(staff("sup_retired", Role.SUPERVISOR, programme=caravan, country="MX"))
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user


@pytest.fixture
def case(caseworker, caravan, tij):
    person = MemberInput(given_names=GIVEN, family_names=FAMILY, sex="female", date_of_birth=BIRTH, nationality="HN",
                         document_type="passport", document_number=DOCUMENT, place_of_origin="San Pedro Sula")
    return household(actor=caseworker, programme=caravan, office=tij, people=[person], status=CaseStatus.SCREENING)


def move(case, actor, to, note=EVENT_NOTE) -> CaseEvent:
    """What the lead's case_transition writes; the task is then enqueued on commit."""
    event = CaseEvent.objects.create(case=case, actor=actor, from_status=case.status, to_status=to, note=note)
    Case.objects.filter(pk=case.pk).update(status=to)
    case.status = to
    return event


def received(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user))


def mail_to(outbox, user) -> list:
    return [message for message in outbox if user.email in message.to]


def test_a_case_waiting_for_approval_notifies_the_supervisors_who_can_see_it_and_nobody_else(
        case, caseworker, supervisor, programme_supervisor, other_supervisor, guatemala_supervisor,
        retired_supervisor, mailoutbox):
    event = move(case, caseworker, CaseStatus.PENDING_APPROVAL)

    case_event_notify.delay(event.pk)

    assert {n.recipient for n in Notification.objects.all()} == {supervisor, programme_supervisor}
    assert sorted(m.to[0] for m in mailoutbox) == sorted([supervisor.email, programme_supervisor.email])
    for user in (caseworker, other_supervisor, guatemala_supervisor, retired_supervisor):
        assert received(user) == [] and mail_to(mailoutbox, user) == []


def test_the_supervisors_mail_names_the_case_by_reference_and_links_to_its_page(
        case, caseworker, supervisor, mailoutbox):
    case_event_notify.delay(move(case, caseworker, CaseStatus.PENDING_APPROVAL).pk)

    [message] = mailoutbox
    assert f"{settings.SITE_URL}/cases/{case.pk}/" in message.body
    assert case.reference in message.body
    assert message.subject == "[AVR] A case waits for your approval"
    [notification] = received(supervisor)
    assert notification.kind == NotificationKind.CASE_PENDING_APPROVAL
    assert notification.params == {"reference": case.reference}


def test_the_actor_of_an_event_is_never_notified_of_it(case, supervisor, programme_supervisor, mailoutbox):
    case_event_notify.delay(move(case, supervisor, CaseStatus.PENDING_APPROVAL).pk)

    assert received(supervisor) == []
    assert [m.to for m in mailoutbox] == [[programme_supervisor.email]]


@pytest.mark.parametrize("decision, text", [
    (CaseStatus.APPROVED, "was approved"),
    (CaseStatus.REJECTED, "was returned to screening by the supervisor"),
])
def test_a_decision_notifies_the_caseworker_who_submitted_and_the_assigned_caseworker(
        case, caseworker, supervisor, programme_supervisor, tij, decision, text, mailoutbox, client):
    assigned = mailable(staff("cw_tij_2", Role.CASEWORKER, office=tij))
    Case.objects.filter(pk=case.pk).update(assigned_caseworker=assigned)
    move(case, caseworker, CaseStatus.PENDING_APPROVAL)
    mailoutbox.clear()

    case_event_notify.delay(move(case, supervisor, decision).pk)

    assert sorted(m.to[0] for m in mailoutbox) == sorted([caseworker.email, assigned.email])
    assert all(f"Case {case.reference} {text}" in m.body for m in mailoutbox)
    assert all(f"{settings.SITE_URL}/cases/{case.pk}/" in m.body for m in mailoutbox)
    assert received(supervisor) == [] and received(programme_supervisor) == []


def test_the_submitter_is_the_one_of_the_latest_submission(case, caseworker, supervisor, tij, mailoutbox):
    second = mailable(staff("cw_tij_2", Role.CASEWORKER, office=tij))
    Case.objects.filter(pk=case.pk).update(assigned_caseworker=None)
    move(case, caseworker, CaseStatus.PENDING_APPROVAL)
    move(case, supervisor, CaseStatus.REJECTED)
    move(case, caseworker, CaseStatus.SCREENING)
    move(case, second, CaseStatus.PENDING_APPROVAL)
    mailoutbox.clear()

    case_event_notify.delay(move(case, supervisor, CaseStatus.APPROVED).pk)

    assert [m.to for m in mailoutbox] == [[second.email]]


@pytest.mark.parametrize("to", [CaseStatus.SCREENING, CaseStatus.BOOKED, CaseStatus.WITHDRAWN])
def test_other_moves_notify_nobody(case, caseworker, supervisor, to, mailoutbox):
    case_event_notify.delay(move(case, caseworker, to).pk)

    assert Notification.objects.count() == 0
    assert mailoutbox == []


def test_a_task_run_twice_writes_one_notification_and_sends_one_mail_per_person(
        case, caseworker, supervisor, programme_supervisor, mailoutbox):
    event = move(case, caseworker, CaseStatus.PENDING_APPROVAL)

    case_event_notify.delay(event.pk)
    case_event_notify.delay(event.pk)
    case_event_notify(event.pk)

    assert Notification.objects.count() == 2
    assert len(mail_to(mailoutbox, supervisor)) == 1
    assert len(mail_to(mailoutbox, programme_supervisor)) == 1
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


class FlakyEmailBackend(EmailBackend):
    """The SMTP server drops the connection at the second message, then recovers."""

    calls = 0

    def send_messages(self, messages):
        FlakyEmailBackend.calls += 1
        if FlakyEmailBackend.calls == 2:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


def test_a_task_retried_after_a_mail_server_failure_sends_each_mail_once(
        case, caseworker, supervisor, programme_supervisor, mailoutbox, settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyEmailBackend"
    FlakyEmailBackend.calls = 0
    event = move(case, caseworker, CaseStatus.PENDING_APPROVAL)

    # As a worker would: the second mail fails, the automatic retry runs the task again (here at once).
    case_event_notify.apply(args=[event.pk], throw=False)

    assert FlakyEmailBackend.calls == 3
    assert sorted(m.to[0] for m in mailoutbox) == sorted([supervisor.email, programme_supervisor.email])
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


def test_a_failed_mail_is_left_for_the_retry_and_the_sent_one_is_not_sent_again(
        case, caseworker, supervisor, programme_supervisor, mailoutbox, settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyEmailBackend"
    FlakyEmailBackend.calls = 0
    event = move(case, caseworker, CaseStatus.PENDING_APPROVAL)

    with pytest.raises(Retry):
        case_event_notify.delay(event.pk)

    assert len(mailoutbox) == 1
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 1
    case_event_notify.delay(event.pk)
    assert sorted(m.to[0] for m in mailoutbox) == sorted([supervisor.email, programme_supervisor.email])


def test_a_notification_already_emailed_is_not_emailed_again(case, caseworker, supervisor, mailoutbox):
    event = move(case, caseworker, CaseStatus.PENDING_APPROVAL)
    case_event_notify.delay(event.pk)
    Notification.objects.update(read_at=timezone.now())

    case_event_notify.delay(event.pk)

    assert len(mailoutbox) == 1
    assert Notification.objects.get().read_at is not None


def test_a_user_without_an_email_address_still_sees_the_notification_in_the_bell(
        case, caseworker, supervisor, mailoutbox):
    supervisor.email = ""
    supervisor.save(update_fields=["email"])

    case_event_notify.delay(move(case, caseworker, CaseStatus.PENDING_APPROVAL).pk)

    assert len(received(supervisor)) == 1
    assert mailoutbox == []


def test_each_mail_is_written_in_its_recipients_language(
        case, caseworker, supervisor, programme_supervisor, mailoutbox, monkeypatch):
    supervisor.language, programme_supervisor.language = "es", "en"
    supervisor.save(update_fields=["language"])
    programme_supervisor.save(update_fields=["language"])
    monkeypatch.setattr("notifications.services.notification_subject", lambda n: translation.get_language())

    case_event_notify.delay(move(case, caseworker, CaseStatus.PENDING_APPROVAL).pk)

    assert mail_to(mailoutbox, supervisor)[0].subject == "es"
    assert mail_to(mailoutbox, programme_supervisor)[0].subject == "en"


def pending_since(case, actor, days_ago: int) -> None:
    event = move(case, actor, CaseStatus.PENDING_APPROVAL)
    CaseEvent.objects.filter(pk=event.pk).update(at=timezone.now() - timedelta(days=days_ago, hours=1))


@pytest.fixture
def waiting_cases(case, caseworker, caravan, nicaragua, tij):
    """Two cases of the caravan programme in Mexico waiting 3 and 1 days, one of Nicaragua's waiting today."""
    pending_since(case, caseworker, 3)
    pending_since(household(actor=caseworker, programme=caravan, office=tij, status=CaseStatus.SCREENING),
                  caseworker, 1)
    pending_since(household(actor=caseworker, programme=nicaragua, office=tij, destination="NI",
                            status=CaseStatus.SCREENING),
                  caseworker, 0)
    household(actor=caseworker, programme=caravan, office=tij, status=CaseStatus.APPROVED)


def test_the_daily_digest_counts_the_cases_each_supervisor_can_approve_and_the_oldest_wait(
        waiting_cases, supervisor, other_supervisor, guatemala_supervisor, retired_supervisor, client):
    supervisor_digest.delay()

    [digest] = received(supervisor)
    assert (digest.kind, digest.params) == (NotificationKind.APPROVAL_DIGEST, {"count": 2, "days": 3})
    assert received(other_supervisor)[0].params == {"count": 1, "days": 0}
    assert received(guatemala_supervisor) == [] and received(retired_supervisor) == []
    client.force_login(supervisor)
    page = client.get("/notifications/").content.decode()
    assert "2 cases wait for your approval. The oldest has waited 3 days." in page


def test_the_digest_goes_once_a_day_even_if_beat_fires_twice(waiting_cases, supervisor, other_supervisor,
                                                                mailoutbox):
    supervisor_digest.delay()
    supervisor_digest.delay()

    assert Notification.objects.count() == 2
    assert len(mail_to(mailoutbox, supervisor)) == 1
    assert "2 cases wait for your approval." in mail_to(mailoutbox, supervisor)[0].body

    supervisor_digest_create(today=timezone.localdate() + timedelta(days=1))

    assert len(received(supervisor)) == 2


def test_the_digest_leads_to_the_approval_queue(waiting_cases, supervisor, client, mailoutbox):
    supervisor_digest.delay()
    [digest] = received(supervisor)
    client.force_login(supervisor)

    response = client.get(f"/notifications/{digest.pk}/")

    try:
        queue = reverse("approval_queue")
    except NoReverseMatch:  # until the approval queue page exists, the case list
        queue = reverse("case_list")
    assert response.status_code == 302 and response["Location"] == queue
    assert f"{settings.SITE_URL}{queue}" in mailoutbox[0].body


def test_the_digest_is_scheduled_daily_in_the_site_time_zone():
    entry = settings.CELERY_BEAT_SCHEDULE["supervisor-digest"]

    assert entry["task"] == "notifications.tasks.supervisor_digest"
    assert entry["schedule"].hour == {7} and entry["schedule"].minute == {0}
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE


def test_no_personal_data_reaches_an_email_or_a_notification_text(
        case, caseworker, supervisor, programme_supervisor, mailoutbox, client):
    move(case, caseworker, CaseStatus.PENDING_APPROVAL)
    case_event_notify.delay(CaseEvent.objects.latest("id").pk)
    supervisor_digest.delay()
    case_event_notify.delay(move(case, supervisor, CaseStatus.REJECTED, note=EVENT_NOTE).pk)
    move(case, caseworker, CaseStatus.SCREENING)
    move(case, caseworker, CaseStatus.PENDING_APPROVAL)
    case_event_notify.delay(move(case, supervisor, CaseStatus.APPROVED).pk)
    assert len(mailoutbox) == 6

    shown = [m.subject + m.body for m in mailoutbox]
    for user in (caseworker, supervisor):
        client.force_login(user)
        shown.append(client.get("/notifications/").content.decode())
        shown.append(api_as(user).get("/api/v1/notifications/").content.decode())
    for text in shown:
        for personal in PERSONAL:
            assert personal not in text
    assert all(str(v) not in GIVEN + FAMILY for n in Notification.objects.all() for v in n.params.values())


def test_the_bell_shows_the_unread_count_on_every_page(case, caseworker, supervisor, client):
    case_event_notify.delay(move(case, caseworker, CaseStatus.PENDING_APPROVAL).pk)
    client.force_login(supervisor)

    page = client.get("/notifications/").content.decode()

    assert 'aria-label="Notifications, 1 unread"' in page
    assert 'data-testid="notification-count">1<' in page
    client.force_login(caseworker)
    page = client.get("/notifications/").content.decode()
    assert 'aria-label="Notifications, 0 unread"' in page
    assert 'data-testid="notification-count"' not in page


def test_the_bell_counts_past_ninety_nine_as_99_plus(supervisor, client):
    Notification.objects.bulk_create(
        Notification(recipient=supervisor, kind=NotificationKind.CASE_APPROVED, dedupe_key=f"test:{i}",
                     params={"reference": f"TIJ-2018-{i:05}"}) for i in range(120))
    client.force_login(supervisor)

    page = client.get("/notifications/").content.decode()

    assert 'data-testid="notification-count">99+<' in page
    assert "Notifications, more than 99 unread" in page


def test_the_bell_is_not_shown_before_sign_in(client):
    assert 'data-testid="notification-bell"' not in client.get("/accounts/login/").content.decode()


def test_the_list_shows_newest_first_fifty_a_page(supervisor, client):
    Notification.objects.bulk_create(
        Notification(recipient=supervisor, kind=NotificationKind.CASE_APPROVED, dedupe_key=f"test:{i}",
                     params={"reference": f"TIJ-2018-{i:05}"}) for i in range(60))
    client.force_login(supervisor)

    first = client.get("/notifications/").content.decode()
    oldest_shown = Notification.objects.order_by("-id")[49]
    second = client.get(f"/notifications/?before={oldest_shown.pk}").content.decode()

    assert first.count('data-testid="notification"') == 50
    assert first.index("TIJ-2018-00059") < first.index("TIJ-2018-00058")
    assert second.count('data-testid="notification"') == 10 and "TIJ-2018-00000" in second


def test_opening_a_notification_marks_it_read_and_leads_to_the_case(case, caseworker, supervisor, client):
    case_event_notify.delay(move(case, caseworker, CaseStatus.PENDING_APPROVAL).pk)
    notification = Notification.objects.get(recipient=supervisor)
    client.force_login(supervisor)

    response = client.get(f"/notifications/{notification.pk}/")

    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_someone_elses_notification_is_not_found_and_stays_unread(case, caseworker, supervisor, outsider, client):
    case_event_notify.delay(move(case, caseworker, CaseStatus.PENDING_APPROVAL).pk)
    notification = Notification.objects.get(recipient=supervisor)
    client.force_login(outsider)

    assert client.get(f"/notifications/{notification.pk}/").status_code == 404
    assert 'data-testid="no-notifications"' in client.get("/notifications/").content.decode()
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_as_read_marks_only_ones_own(case, caseworker, supervisor, programme_supervisor, client):
    case_event_notify.delay(move(case, caseworker, CaseStatus.PENDING_APPROVAL).pk)
    client.force_login(supervisor)

    assert client.get("/notifications/read/").status_code == 405
    response = client.post("/notifications/read/")

    assert response.status_code == 302
    assert Notification.objects.get(recipient=supervisor).read_at is not None
    assert Notification.objects.get(recipient=programme_supervisor).read_at is None
    assert 'aria-label="Notifications, 0 unread"' in client.get("/notifications/").content.decode()


def test_the_api_lists_only_the_callers_notifications(case, caseworker, supervisor, programme_supervisor):
    case_event_notify.delay(move(case, caseworker, CaseStatus.PENDING_APPROVAL).pk)

    body = api_as(supervisor).get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="en").json()

    [row] = body["results"]
    assert row["id"] == Notification.objects.get(recipient=supervisor).pk
    assert row["text"] == f"Case {case.reference} waits for your approval."
    assert (row["kind"], row["url"], row["reference"], row["read_at"]) == (
        "case_pending_approval", f"/cases/{case.pk}/", case.reference, None)
    assert set(body) == {"next", "previous", "results"}
    assert api_as(caseworker).get("/api/v1/notifications/").json()["results"] == []


def test_the_api_marks_all_the_callers_notifications_read(case, caseworker, supervisor, programme_supervisor):
    case_event_notify.delay(move(case, caseworker, CaseStatus.PENDING_APPROVAL).pk)

    response = api_as(supervisor).post("/api/v1/notifications/read/")

    assert response.status_code == 200 and response.json() == {"marked": 1}
    assert Notification.objects.get(recipient=supervisor).read_at is not None
    assert Notification.objects.get(recipient=programme_supervisor).read_at is None


def test_the_api_needs_a_signed_in_user(api):
    assert api.get("/api/v1/notifications/").status_code == 401
    assert api.post("/api/v1/notifications/read/").status_code == 401


def test_the_notification_endpoints_are_in_the_schema(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    assert "/api/v1/notifications/" in schema["paths"]
    assert "post" in schema["paths"]["/api/v1/notifications/read/"]
    assert "text" in schema["components"]["schemas"]["Notification"]["properties"]


def test_a_programme_without_supervisors_notifies_nobody(caseworker, tij, mailoutbox):
    lonely = ProgrammeFactory(code="LONELY")
    case = household(actor=caseworker, programme=lonely, office=tij, status=CaseStatus.SCREENING)

    case_event_notify.delay(move(case, caseworker, CaseStatus.PENDING_APPROVAL).pk)

    assert Notification.objects.count() == 0 and mailoutbox == []


@pytest.fixture
def worker(transactional_db, tmp_path):
    """A real `celery worker` on the configured broker, on the test database, printing its e-mails to a file."""
    with celery_worker(tmp_path) as process:
        yield process


@pytest.mark.broker
def test_an_event_enqueued_twice_through_the_broker_mails_each_supervisor_once(
        worker, case, caseworker, supervisor, programme_supervisor):
    from avr.health import HEARTBEAT_KEY, redis_client
    from avr.tasks import worker_heartbeat_task

    celery_app.conf.task_always_eager = False
    redis_client().delete(HEARTBEAT_KEY)
    event = move(case, caseworker, CaseStatus.PENDING_APPROVAL)

    case_event_notify.delay(event.pk)
    case_event_notify.delay(event.pk)
    worker_heartbeat_task.delay()  # one queue, one task at a time: when it has run, both deliveries have
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and redis_client().get(HEARTBEAT_KEY) is None:
        assert worker.poll() is None, worker.output.read_text()
        time.sleep(0.2)

    assert Notification.objects.filter(emailed_at__isnull=False).count() == 2
    sent = worker.output.read_text()
    assert sent.count("\nTo: ") == 2, sent
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == ["sup_caravan", "sup_mx"]
