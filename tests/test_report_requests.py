"""Asking for donor reports (API and pages), watching them being made, downloading them (audited), being told when
they are ready, and the monthly reports beat asks for."""

import json
import re
from datetime import date, timedelta
from html import unescape

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.core import mail
from django.urls import reverse
from django.utils import formats, timezone, translation

from accounts.choices import Role
from accounts.models import User
from audit.models import AuditEvent
from avr.celery import app as celery_app
from cases.models import Member
from notifications.messages import notification_subject, notification_text
from notifications.models import Notification, NotificationKind
from notifications.services import report_ready_notifications_create
from reports import services
from reports.choices import ReportStatus
from reports.models import Report
from reports.tasks import monthly_reports_request, report_build
from tests.conftest import api_as
from tests.factories import ProgrammeFactory, household, staff
from tests.test_reports import returned  # noqa: F401  (the dataset with known numbers, built through the services)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_speaking_staff(settings):
    """The assertions read the English source text; staff in these countries would otherwise get Spanish."""
    settings.SPANISH_DEFAULT_COUNTRIES = []

TODAY = timezone.localdate()
START, END = TODAY - timedelta(days=30), TODAY
PERIOD = {"period_start": START.isoformat(), "period_end": END.isoformat()}
OUTSIDERS = ["caseworker", "outsider", "reception", "movement_officer"]


@pytest.fixture(autouse=True)
def report_files_and_english(settings, tmp_path):
    """Report files in a temporary directory; staff read English (the assertions quote the source text)."""
    settings.MEDIA_ROOT = tmp_path
    settings.SPANISH_DEFAULT_COUNTRIES = []


def mailable(user):
    user.email = f"{user.username}@example.org"
    user.save(update_fields=["email"])
    return user


@pytest.fixture
def admin_user(admin_user):
    return mailable(admin_user)


@pytest.fixture
def supervisor(supervisor):
    return mailable(supervisor)


@pytest.fixture
def other_supervisor(other_supervisor):
    return mailable(other_supervisor)


def ask(user, capture, **body):
    """POST /api/v1/reports/ as `user`, running the enqueue the commit would run (the task runs eagerly)."""
    with capture(execute=True) as queued:
        response = api_as(user).post("/api/v1/reports/", {"kind": "donor", "programme": "CARAVAN-2018",
                                                          "format": "json", **PERIOD, **body}, format="json")
    response.queued = queued
    return response


def signed_in(client, user):
    User.objects.filter(pk=user.pk).update(language="en")
    client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


def field_error(response, name: str) -> str:
    found = re.search(rf'id="id_{name}_error">(.*?)</div>', html(response), re.S)
    return found.group(1) if found else ""


def downloaded_json(response) -> dict:
    return json.loads(b"".join(response.streaming_content))


# --- the API ---------------------------------------------------------------------------------------------------

def test_asking_for_a_report_answers_202_and_the_worker_makes_it(admin_user, caravan,
                                                                 django_capture_on_commit_callbacks):
    response = ask(admin_user, django_capture_on_commit_callbacks)

    assert response.status_code == 202
    assert response.data["status"] == "queued" and response.data["download_url"] is None
    assert len(response.queued) == 1
    detail = api_as(admin_user).get(f"/api/v1/reports/{response.data['id']}/")
    assert detail.status_code == 200
    assert (detail.data["status"], detail.data["progress"]) == ("ready", 100)
    assert detail.data["download_url"].endswith(f"/api/v1/reports/{response.data['id']}/download/")


def test_the_json_download_holds_the_tables_of_the_dataset(returned, admin_user, caravan,  # noqa: F811
                                                           django_capture_on_commit_callbacks):
    caravan.suppression_threshold = 1  # every count shown: the known numbers of the dataset
    caravan.save()
    report_id = ask(admin_user, django_capture_on_commit_callbacks,
                    period_end=(TODAY + timedelta(days=30)).isoformat()).data["id"]

    body = api_as(admin_user).get(f"/api/v1/reports/{report_id}/download/").json()

    assert body["programme"] == "CARAVAN-2018"
    pipeline = {row["stage"]: row["count"] for row in body["tables"]["pipeline"]}
    assert pipeline == {"registered": 4, "counselled": 4, "approved": 4, "returned": 4, "received": 4}
    assert {row["sex"]: (row["count"], row["percent"]) for row in body["tables"]["returned_by_sex"]} == {
        "female": (2, 50), "male": (2, 50)}


def test_asking_again_replaces_the_report_with_new_numbers(admin_user, caseworker, caravan, tij,
                                                          django_capture_on_commit_callbacks):
    caravan.suppression_threshold = 1
    caravan.save()
    first = ask(admin_user, django_capture_on_commit_callbacks).data["id"]
    before = api_as(admin_user).get(f"/api/v1/reports/{first}/download/").json()
    household(actor=caseworker, programme=caravan, office=tij, intake_date=TODAY)

    again = ask(admin_user, django_capture_on_commit_callbacks)
    after = api_as(admin_user).get(f"/api/v1/reports/{first}/download/").json()

    assert again.status_code == 202 and again.data["id"] == first
    assert Report.objects.count() == 1
    registered = [{r["stage"]: r["count"] for r in body["tables"]["pipeline"]}["registered"] for body in (before, after)]
    assert registered == [0, 1]


@pytest.mark.parametrize("persona, programme", [(name, "CARAVAN-2018") for name in OUTSIDERS] + [
    ("other_supervisor", "CARAVAN-2018"), ("supervisor", "NIC-2019"), ("supervisor", None)])
def test_who_may_not_report_on_a_programme_gets_404_and_nothing_is_queued(
        persona, programme, request, caravan, nicaragua, django_capture_on_commit_callbacks):
    user = request.getfixturevalue(persona)

    response = ask(user, django_capture_on_commit_callbacks, programme=programme)

    assert response.status_code == 404
    assert not Report.objects.exists() and not response.queued


@pytest.mark.parametrize("body, field", [
    ({"programme": "NOPE-1"}, "programme"),
    ({"period_start": END.isoformat(), "period_end": START.isoformat()}, "period_end"),
    ({"period_start": (TODAY + timedelta(days=1)).isoformat(), "period_end": (TODAY + timedelta(days=9)).isoformat()},
     "period_start"),
    ({"format": "docx"}, "format"),
])
def test_a_bad_request_is_a_400_naming_the_field_and_nothing_is_queued(body, field, admin_user, caravan,
                                                                        django_capture_on_commit_callbacks):
    response = ask(admin_user, django_capture_on_commit_callbacks, **body)

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not Report.objects.exists() and not response.queued


@pytest.mark.parametrize("persona, status", [("admin_user", 200), ("supervisor", 200), ("other_supervisor", 404),
                                             ("caseworker", 404), ("reception", 404)])
def test_only_the_requester_and_admins_see_a_report_and_its_file(persona, status, request, supervisor, caravan,
                                                                  django_capture_on_commit_callbacks):
    report_id = ask(supervisor, django_capture_on_commit_callbacks).data["id"]
    client = api_as(request.getfixturevalue(persona))

    assert client.get(f"/api/v1/reports/{report_id}/").status_code == status
    assert client.get(f"/api/v1/reports/{report_id}/download/").status_code == status


def test_every_download_is_audited_through_either_door(client, admin_user, caravan,
                                                       django_capture_on_commit_callbacks):
    report_id = ask(admin_user, django_capture_on_commit_callbacks).data["id"]

    api_as(admin_user).get(f"/api/v1/reports/{report_id}/download/")
    signed_in(client, admin_user).get(reverse("report_download", args=[report_id]))

    events = AuditEvent.objects.filter(action="download", object_type="reports.report", object_id=str(report_id))
    assert [(e.actor_id, e.path) for e in events.order_by("id")] == [
        (admin_user.pk, f"/api/v1/reports/{report_id}/download/"), (admin_user.pk, f"/reports/{report_id}/download/")]


def test_a_report_not_ready_cannot_be_downloaded(admin_user, caravan, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        report = services.report_request(actor=admin_user, programme_code="CARAVAN-2018", period_start=START,
                                         period_end=END, fmt="json")

    assert api_as(admin_user).get(f"/api/v1/reports/{report.pk}/download/").status_code == 404
    assert not AuditEvent.objects.filter(action="download").exists()


# --- the pages -------------------------------------------------------------------------------------------------

PAGES = ["report_list", "report_new"]


@pytest.mark.parametrize("persona, status", [("admin_user", 200), ("supervisor", 200)] + [
    (name, 404) for name in OUTSIDERS])
@pytest.mark.parametrize("page", PAGES)
def test_the_report_pages_are_for_admins_and_supervisors(page, persona, status, request, client, caravan):
    response = signed_in(client, request.getfixturevalue(persona)).get(reverse(page))

    assert response.status_code == status


@pytest.mark.parametrize("persona, status", [("admin_user", 200), ("supervisor", 200), ("other_supervisor", 404),
                                             ("caseworker", 404)])
@pytest.mark.parametrize("page", ["report_detail", "report_progress", "report_download"])
def test_a_report_page_opens_only_for_its_requester_and_admins(page, persona, status, request, client, supervisor,
                                                               caravan, django_capture_on_commit_callbacks):
    report_id = ask(supervisor, django_capture_on_commit_callbacks).data["id"]

    response = signed_in(client, request.getfixturevalue(persona)).get(reverse(page, args=[report_id]))

    assert response.status_code == status


def test_the_list_shows_a_supervisor_their_reports_and_an_admin_everyones(client, admin_user, supervisor,
                                                                           other_supervisor, caravan, nicaragua,
                                                                           django_capture_on_commit_callbacks):
    mine = ask(supervisor, django_capture_on_commit_callbacks).data["id"]
    theirs = ask(other_supervisor, django_capture_on_commit_callbacks, programme="NIC-2019").data["id"]

    listed = {user.username: set(map(int, re.findall(r'data-report="(\d+)"', html(
        signed_in(client, user).get(reverse("report_list")))))) for user in (supervisor, other_supervisor, admin_user)}

    assert listed == {"sup_mx": {mine}, "sup_nic": {theirs}, "hq_admin": {mine, theirs}}


def test_the_menu_offers_donor_reports_to_admins_and_supervisors_of_a_programme(client, admin_user, supervisor,
                                                                                 caseworker, tij):
    country_supervisor = staff("sup_gt", Role.SUPERVISOR, country="GT")
    shown = {user.username: 'data-nav="report_list"' in html(signed_in(client, user).get(reverse("home")))
             for user in (admin_user, supervisor, caseworker, country_supervisor)}

    assert shown == {"hq_admin": True, "sup_mx": True, "cw_tij": False, "sup_gt": False}


def test_the_supervisor_asks_for_a_report_on_the_page_and_finds_it_ready(client, supervisor, caravan, nicaragua,
                                                                         django_capture_on_commit_callbacks):
    signed_in(client, supervisor)
    form = client.get(reverse("report_new"))
    assert 'value="CARAVAN-2018"' in html(form) and "NIC-2019" not in html(form)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("report_new"), {"programme": "CARAVAN-2018", "format": "csv", **PERIOD})

    report = Report.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("report_detail", args=[report.pk])
    assert (report.requested_by, report.format, report.status) == (supervisor, "csv", ReportStatus.READY)
    page = html(client.get(response["Location"]))
    assert 'data-status="ready"' in page and 'data-progress="100"' in page
    assert reverse("report_download", args=[report.pk]) in page
    assert 'hx-trigger="every 2s"' not in page  # finished: no more polling
    listed = html(client.get(reverse("report_list")))
    assert f'data-report="{report.pk}" data-status="ready"' in listed


def test_the_progress_block_polls_while_the_report_is_made_and_stops_when_it_is_ready(
        client, admin_user, caravan, django_capture_on_commit_callbacks):
    signed_in(client, admin_user)
    with django_capture_on_commit_callbacks(execute=False):
        report = services.report_request(actor=admin_user, programme_code=None, period_start=START, period_end=END,
                                         fmt="json")
    partial = reverse("report_progress", args=[report.pk])

    queued = html(client.get(partial))
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.RUNNING, progress=45)
    running = html(client.get(partial))
    report_build(report.pk)
    ready = html(client.get(partial))

    assert 'data-status="queued"' in queued and f'hx-get="{partial}"' in queued and 'hx-trigger="every 2s"' in queued
    assert 'data-testid="refresh"' in queued and "<html" not in queued  # a plain link without JavaScript; a fragment
    assert 'data-progress="45"' in running and "45%" in running and 'hx-trigger="every 2s"' in running
    assert 'data-status="ready"' in ready and "hx-trigger" not in ready
    assert reverse("report_download", args=[report.pk]) in ready


@pytest.mark.parametrize("data, field, message", [
    ({"period_start": END.isoformat(), "period_end": START.isoformat()}, "period_end",
     "The period ends before it starts."),
    ({"period_start": (TODAY + timedelta(days=2)).isoformat(), "period_end": (TODAY + timedelta(days=5)).isoformat()},
     "period_start", "The period starts in the future."),
    ({"programme": "NOPE-1"}, "programme", "No programme has the code “NOPE-1”."),
    ({"period_start": "31/02/2026"}, "period_start", "Enter a valid date."),
])
def test_a_bad_request_on_the_page_shows_the_error_next_to_its_field(data, field, message, client, admin_user,
                                                                     caravan, django_capture_on_commit_callbacks):
    signed_in(client, admin_user)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = client.post(reverse("report_new"), {"programme": "CARAVAN-2018", "format": "pdf",
                                                       **PERIOD, **data})

    assert response.status_code == 200
    assert field_error(response, field) == message
    assert not Report.objects.exists() and not queued


@pytest.mark.parametrize("programme", ["NIC-2019", ""])
def test_a_supervisor_asking_on_the_page_for_another_programme_or_all_gets_404(programme, client, supervisor, caravan,
                                                                              nicaragua,
                                                                              django_capture_on_commit_callbacks):
    signed_in(client, supervisor)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = client.post(reverse("report_new"), {"programme": programme, "format": "pdf", **PERIOD})

    assert response.status_code == 404
    assert not Report.objects.exists() and not queued


def test_the_page_download_is_an_attachment_nobody_caches(client, admin_user, caravan,
                                                          django_capture_on_commit_callbacks):
    report_id = ask(admin_user, django_capture_on_commit_callbacks).data["id"]

    response = signed_in(client, admin_user).get(reverse("report_download", args=[report_id]))

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"].startswith("attachment; filename=\"donor-report-CARAVAN-2018-")
    assert downloaded_json(response)["programme"] == "CARAVAN-2018"


def test_a_failed_report_shows_its_error_and_asking_again_makes_the_same_one(client, admin_user, caravan, monkeypatch,
                                                                            django_capture_on_commit_callbacks):
    signed_in(client, admin_user)
    with django_capture_on_commit_callbacks(execute=False):
        report = services.report_request(actor=admin_user, programme_code="CARAVAN-2018", period_start=START,
                                         period_end=END, fmt="json")
    with monkeypatch.context() as broken:
        broken.setattr(services, "report_render", lambda data, fmt: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            report_build(report.pk)
    failed = html(client.get(reverse("report_detail", args=[report.pk])))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("report_again", args=[report.pk]))

    assert 'data-status="failed"' in failed and "The report could not be made; ask again." in failed
    assert reverse("report_again", args=[report.pk]) in failed and "hx-trigger" not in failed
    assert response.status_code == 302 and response["Location"] == reverse("report_detail", args=[report.pk])
    assert Report.objects.get().status == ReportStatus.READY


def test_asking_again_needs_a_post(client, admin_user, caravan, django_capture_on_commit_callbacks):
    report_id = ask(admin_user, django_capture_on_commit_callbacks).data["id"]

    assert signed_in(client, admin_user).get(reverse("report_again", args=[report_id])).status_code == 405


# --- notifications ---------------------------------------------------------------------------------------------

def test_the_requester_is_told_once_even_if_the_task_runs_twice(admin_user, supervisor, caravan,
                                                                django_capture_on_commit_callbacks):
    report_id = ask(supervisor, django_capture_on_commit_callbacks).data["id"]

    report_build(report_id)  # delivered a second time: the report is ready, nothing happens
    again = report_ready_notifications_create(report_id=report_id)  # the announcement itself run twice

    notification = Notification.objects.get()
    assert again == [notification.pk]
    assert (notification.recipient, notification.kind) == (supervisor, NotificationKind.REPORT_READY)
    with translation.override("en"):
        assert notification_text(notification) == "Your donor report is ready."
    assert [m.to for m in mail.outbox] == [["sup_mx@example.org"]]
    assert mail.outbox[0].subject == "[AVR] Your donor report is ready"
    assert f"{django_settings.SITE_URL}/reports/{report_id}/" in mail.outbox[0].body


def test_a_report_asked_for_again_is_announced_again(supervisor, caravan, django_capture_on_commit_callbacks):
    ask(supervisor, django_capture_on_commit_callbacks)
    ask(supervisor, django_capture_on_commit_callbacks)

    assert Notification.objects.filter(recipient=supervisor, kind=NotificationKind.REPORT_READY).count() == 2
    assert len(mail.outbox) == 2


def test_a_monthly_report_is_announced_to_the_admins_and_the_programmes_supervisors(
        client, admin_user, supervisor, other_supervisor, caseworker, caravan, nicaragua,
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        reports = services.monthly_reports_request(today=date(2026, 3, 1), fmt="json")

    heard = {(n.params["programme"], n.recipient.username) for n in Notification.objects.select_related("recipient")}
    caravan_report = next(r for r in reports if r.programme == caravan)
    notice = Notification.objects.get(recipient=supervisor)
    with translation.override("en"):
        month = formats.date_format(date(2026, 2, 1), "YEAR_MONTH_FORMAT")
        text = notification_text(notice)
    assert heard == {("CARAVAN-2018", "hq_admin"), ("CARAVAN-2018", "sup_mx"), ("NIC-2019", "hq_admin"),
                     ("NIC-2019", "sup_nic")}
    assert notice.kind == NotificationKind.MONTHLY_REPORT_READY
    assert text == f"The monthly donor report of CARAVAN-2018 for {month} is ready."
    with translation.override("en"):
        assert notification_subject(notice) == "[AVR] A monthly donor report is ready"
    assert sorted(m.to[0] for m in mail.outbox) == ["hq_admin@example.org", "hq_admin@example.org",
                                                    "sup_mx@example.org", "sup_nic@example.org"]
    # the link leads to a page the supervisor may open, and the file is theirs to download; not the other's
    signed_in(client, supervisor)
    assert client.get(reverse("report_detail", args=[caravan_report.pk])).status_code == 200
    assert client.get(reverse("report_download", args=[caravan_report.pk])).status_code == 200
    assert f'data-report="{caravan_report.pk}"' in html(client.get(reverse("report_list")))
    signed_in(client, other_supervisor)
    assert client.get(reverse("report_detail", args=[caravan_report.pk])).status_code == 404
    assert client.get(reverse("report_download", args=[caravan_report.pk])).status_code == 404


def test_no_notification_or_email_about_a_report_carries_personal_data(
        returned, admin_user, supervisor, caravan, django_capture_on_commit_callbacks):  # noqa: F811
    ask(supervisor, django_capture_on_commit_callbacks, period_end=(TODAY + timedelta(days=30)).isoformat())
    with django_capture_on_commit_callbacks(execute=True):
        services.monthly_reports_request(today=TODAY.replace(day=1) + timedelta(days=40), fmt="json")

    texts = [mail_part for m in mail.outbox for mail_part in (m.subject, m.body)]
    for language in ("en", "es"):
        with translation.override(language):
            texts += [notification_text(n) for n in Notification.objects.all()]
    personal = set()
    for member in Member.objects.all():
        personal |= {*member.given_names.split(), *member.family_names.split(), member.date_of_birth.isoformat(),
                     member.date_of_birth.strftime("%d/%m/%Y")} | ({member.document_number or ""} - {""})
    assert Notification.objects.count() == 3 and len(mail.outbox) == 3
    leaked = {word for word in personal for text in texts if word in text}
    assert not leaked


# --- the monthly reports -----------------------------------------------------------------------------------------

def test_the_monthly_task_asks_for_last_months_report_of_each_running_programme_once(
        caravan, nicaragua, django_capture_on_commit_callbacks):
    ProgrammeFactory(code="OLD-2015", start_date=date(2015, 1, 1), end_date=date(2016, 12, 31))
    start, end = services.monthly_period(timezone.localdate())

    with django_capture_on_commit_callbacks(execute=False) as first:
        monthly_reports_request.delay()
    with django_capture_on_commit_callbacks(execute=False) as second:  # beat fires twice
        monthly_reports_request.delay()

    rows = Report.objects.order_by("programme__code")
    assert [(r.programme.code, r.period_start, r.period_end, r.format, r.requested_by) for r in rows] == [
        ("CARAVAN-2018", start, end, "pdf", None), ("NIC-2019", start, end, "pdf", None)]
    assert start.day == 1 and end == timezone.localdate().replace(day=1) - timedelta(days=1)
    assert len(first) == 2 and second == []


def test_a_failed_monthly_report_is_made_again_by_the_next_run_and_a_ready_one_is_left_alone(
        caravan, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ready = services.monthly_reports_request(today=date(2026, 3, 1), fmt="json")[0]
    ready.refresh_from_db()
    Report.objects.filter(pk=ready.pk).update(status=ReportStatus.FAILED, error="x")

    with django_capture_on_commit_callbacks(execute=True) as retried:
        services.monthly_reports_request(today=date(2026, 3, 15), fmt="json")
    with django_capture_on_commit_callbacks(execute=True) as untouched:
        services.monthly_reports_request(today=date(2026, 3, 20), fmt="json")

    assert len(retried) == 1 and untouched == []
    assert Report.objects.get().status == ReportStatus.READY


def test_the_previous_month_is_a_whole_calendar_month():
    assert services.monthly_period(date(2026, 3, 1)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert services.monthly_period(date(2024, 3, 31)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert services.monthly_period(date(2026, 1, 1)) == (date(2025, 12, 1), date(2025, 12, 31))


def test_beat_asks_for_the_monthly_reports_on_the_first_at_six():
    entry = django_settings.CELERY_BEAT_SCHEDULE["monthly-donor-reports"]

    assert entry["task"] in celery_app.tasks
    assert isinstance(entry["schedule"], crontab)
    assert (entry["schedule"].day_of_month, entry["schedule"].hour, entry["schedule"].minute) == ({1}, {6}, {0})


def test_the_api_gives_a_programmes_supervisor_its_monthly_report_like_the_page_does(supervisor, caravan):
    from datetime import date

    from django.core.files.base import ContentFile

    from reports.choices import ReportStatus
    from reports.models import Report

    report = Report.objects.create(programme=caravan, period_start=date(2018, 11, 1), period_end=date(2018, 11, 30),
                                   format="json", status=ReportStatus.READY)
    report.file.save("monthly.json", ContentFile(b'{"tables": {}}'))

    status_body = api_as(supervisor).get(f"/api/v1/reports/{report.pk}/")
    download = api_as(supervisor).get(f"/api/v1/reports/{report.pk}/download/")

    assert status_body.status_code == 200 and download.status_code == 200
    assert download.json() == {"tables": {}}


@pytest.mark.parametrize("language, footnote", [
    ("en", "Counts below the programme's threshold are shown as “<N”, so that no person can be singled out."),
    ("es", "se muestran como “<N”, para que nadie pueda ser identificado.")])
def test_the_report_page_footnote_reads_whole_in_both_languages(language, footnote, client, supervisor, caravan,
                                                                 django_capture_on_commit_callbacks):
    report_id = ask(supervisor, django_capture_on_commit_callbacks).data["id"]
    client = signed_in(client, supervisor)
    User.objects.filter(pk=supervisor.pk).update(language=language)

    page = html(client.get(reverse("report_detail", args=[report_id])))

    shown = re.search(r'data-testid="suppression-footnote">(.*?)</p>', page, re.S).group(1)
    assert "<N" not in shown and " ".join(unescape(shown).split()).endswith(footnote)
