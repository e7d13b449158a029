"""Two web processes, two workers and one beat on one PostgreSQL and one Redis: registrations, approvals, bookings and
reports driven through both web processes at once, Redis killed and restarted in the middle of it, one worker killed
mid-task; nothing duplicated, nothing lost, no 5xx.

AVR_FAULT_SCALE (default 1) multiplies the registrations, approvals and reports, for a longer run by hand."""

import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import date

import pytest
from django.conf import settings

from avr.celery import app as celery_app
from cases.choices import CaseStatus
from cases.models import Case, CaseEvent
from cases.registration import MemberInput
from notifications.models import Notification, NotificationKind
from outbox import services as outbox
from outbox.models import OutboxMessage
from reports.choices import ReportStatus
from reports.models import Report
from tests.conftest import api_token_key
from tests.celery_worker import celery_beat, celery_worker, process_env, wait_for
from tests.factories import household
from tests.redis_server import RedisServer, free_port
from tests.screening_steps import ready_for_submission
from tests.travel_steps import convoy, documents_ready
from travel.choices import BookingStatus
from travel.models import Booking

pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True)]
SCALE = int(os.environ.get("AVR_FAULT_SCALE", "1"))
FAST = {"AVR_OUTBOX_RELAY_SECONDS": "1", "AVR_STUCK_AFTER_SECONDS": "4", "WORKER_HEARTBEAT_SECONDS": "2"}
GIVEN = ["Wilmer", "Yesenia", "Óscar", "Marvin", "Dilcia", "Kenia", "Elvin", "Nolvia", "Santos", "Glenda", "Darwin",
         "Iris", "Franklin", "Lesly", "Josué", "Karla", "Roger", "Suyapa", "Edwin", "Mirna", "Walter", "Xiomara"]
FAMILY = ["Pineda", "Zelaya", "Maradiaga", "Banegas", "Alvarado", "Funez", "Cáceres", "Matute", "Osorto", "Rivera",
          "Bonilla", "Euceda", "Guifarro", "Lagos", "Membreño", "Ordóñez", "Padilla", "Quintanilla", "Sauceda", "Tábora",
          "Urbina", "Velásquez"]


@contextmanager
def web_process(name: str, tmp_path, env: dict):
    """One gunicorn serving the project on a port of its own."""
    port = free_port()
    log = (tmp_path / f"{name}.out").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "avr.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--worker-class", "gthread", "--threads", "4", "--timeout", "60"],
        cwd=settings.BASE_DIR, env=process_env(**env), stdout=log, stderr=subprocess.STDOUT)
    process.output = tmp_path / f"{name}.out"
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, base)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def wait_until_serving(process, base: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, process.output.read_text()
        try:
            urllib.request.urlopen(f"{base}/accounts/login/", timeout=10)
            return
        except OSError:  # refused while it boots, or its first answer slow
            time.sleep(0.2)
    raise AssertionError(f"{base} did not answer: {process.output.read_text()}")


class Driver:
    """Calls the API as staff members, counting every answer by status."""

    def __init__(self):
        self.statuses: list[int] = []

    def call(self, base: str, token: str, method: str, path: str, body=None, headers=None) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(base + path, data=data, method=method, headers={
            "Authorization": f"Token {token}", "Content-Type": "application/json", "Accept": "application/json",
            **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        self.statuses.append(status)
        try:
            return status, json.loads(payload or b"{}")
        except ValueError:
            return status, {}


def adult(i: int) -> MemberInput:
    return MemberInput(given_names=GIVEN[i % len(GIVEN)], family_names=f"{FAMILY[i % len(FAMILY)]} {FAMILY[(i // len(FAMILY) + 3 * i) % len(FAMILY)]}",
                       sex="male" if i % 2 else "female", date_of_birth=date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
                       nationality="HN", place_of_origin="Choloma", relationship="principal",
                       document_type="passport", document_number=f"Q{i:07d}")


def registration(i: int) -> dict:
    person = adult(2000 + i)
    return {"programme": "CARAVAN-2018", "office": "TIJ", "destination_country": "HN", "how_heard": "shelter",
            "consent": {"type": "explicit"}, "confirm_duplicates": True, "members": [{
                "given_names": person.given_names, "family_names": person.family_names, "sex": person.sex,
                "date_of_birth": person.date_of_birth.isoformat(), "nationality": "HN", "relationship": "principal",
                "document_type": "passport", "document_number": f"R{i:07d}", "place_of_origin": "Choloma"}]}


def report_body(month: int, day: int = 1) -> dict:
    return {"kind": "donor", "programme": "CARAVAN-2018", "period_start": f"2018-{month:02d}-{day:02d}",
            "period_end": f"2018-{month:02d}-28", "format": "json"}


def test_two_web_processes_and_two_workers_lose_and_duplicate_nothing_when_a_worker_dies(
        tmp_path, settings, caseworker, supervisor, movement_officer, admin_user, caravan, tij, sps):
    redis = RedisServer().start()
    settings.REDIS_URL = settings.CELERY_BROKER_URL = redis.url
    celery_app.conf.task_always_eager = False
    outbox._broker_down_until = 0.0
    tokens = {user.username: api_token_key(user)
              for user in (caseworker, supervisor, movement_officer, admin_user)}
    to_approve = [household(actor=caseworker, programme=caravan, office=tij, people=[adult(i)])
                  for i in range(6 * SCALE)]
    for case in to_approve:
        ready_for_submission(case, caseworker)
    to_book = [household(actor=caseworker, programme=caravan, office=tij, people=[adult(1000 + i)]) for i in range(6)]
    for case in to_book:
        ready_for_submission(case, caseworker)
        outbox.outbox_relay()  # nothing runs them yet; keeps the test's own setup out of the counts below
    bus = convoy(movement_officer, tij, sps, capacity=4)
    env = {"REDIS_URL": redis.url, "DJANGO_DEBUG": "1", "MEDIA_ROOT": str(tmp_path / "media"), **FAST}
    drive = Driver()

    with ExitStack() as stack:
        doomed = stack.enter_context(celery_worker(tmp_path, name="doomed", include="tests.fault_hooks",
                                                   AVR_FAULT_REPORT_SLEEP="600", **env))
        beat = stack.enter_context(celery_beat(tmp_path, **env))
        webs = [stack.enter_context(web_process(name, tmp_path, env)) for name in ("web-a", "web-b")]
        # The doomed worker takes the first report and hangs in it.
        assert drive.call(webs[0], tokens["hq_admin"], "POST", "/api/v1/reports/", report_body(1))[0] == 202
        wait_for(lambda: Report.objects.filter(status=ReportStatus.RUNNING).exists(), seconds=60,
                 processes=[doomed, beat])
        survivor = stack.enter_context(celery_worker(tmp_path, name="survivor", **env))

        for case in to_book:
            for user in (caseworker, supervisor):
                to = CaseStatus.PENDING_APPROVAL if user == caseworker else CaseStatus.APPROVED
                assert drive.call(webs[0], tokens[user.username], "POST", f"/api/v1/cases/{case.pk}/transitions/",
                                  {"to": to})[0] == 200
            documents_ready(case, movement_officer)

        jobs = []
        for i in range(20 * SCALE):  # each registration sent to both web processes with one key: a retry on another server
            for web in webs:
                jobs.append((web, tokens[caseworker.username], "POST", "/api/v1/cases/", registration(i),
                             {"Idempotency-Key": f"tablet-2-{i:04d}"}))
        for case in to_approve:  # two people pressing the same button on two servers
            for web in webs:
                jobs.append((web, tokens[caseworker.username], "POST", f"/api/v1/cases/{case.pk}/transitions/",
                             {"to": CaseStatus.PENDING_APPROVAL}, None))
        for i, case in enumerate(to_book):  # six households for four seats, through both servers
            jobs.append((webs[i % 2], tokens[movement_officer.username], "POST", f"/api/v1/movements/{bus.pk}/bookings/",
                         {"case": case.pk}, None))
        months = [(2 + i % 11, 1 + i // 11) for i in range(3 * SCALE)]
        for month, day in months:
            for web in webs:
                jobs.append((web, tokens[admin_user.username], "POST", "/api/v1/reports/", report_body(month, day),
                             None))
        random.Random(12).shuffle(jobs)
        half = len(jobs) // 2
        with ThreadPoolExecutor(max_workers=8) as pool:
            redis.stop()  # killed as a crash would: its queue is lost; the first half of the requests meet it down
            list(pool.map(lambda job: drive.call(*job), jobs[:half]))
            redis.start()
            list(pool.map(lambda job: drive.call(*job), jobs[half:]))

        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)

        approvals = [(web, tokens[supervisor.username], "POST", f"/api/v1/cases/{case.pk}/transitions/",
                      {"to": CaseStatus.APPROVED}, None) for case in to_approve for web in webs]
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda job: drive.call(*job), approvals))

        wait_for(lambda: Report.objects.filter(status=ReportStatus.READY).count() == 1 + len(months)
                 and not OutboxMessage.objects.filter(done_at__isnull=True).exists(),
                 seconds=240, processes=[survivor, beat])
        time.sleep(4)  # a few more relay ticks: a second delivery would show now

    redis.stop()
    outage_seen = sum((tmp_path / f"{web}.out").read_text().count("broker unavailable") for web in ("web-a", "web-b"))
    assert outage_seen >= 1
    assert not [status for status in drive.statuses if status >= 500], drive.statuses
    registered = Case.objects.filter(members__document_number__startswith="R")
    assert registered.count() == 20 * SCALE
    for case in to_approve:
        moves = list(CaseEvent.objects.filter(case=case).values_list("to_status", flat=True))
        assert moves.count(CaseStatus.PENDING_APPROVAL) == 1 and moves.count(CaseStatus.APPROVED) == 1, moves
    assert Booking.objects.filter(movement=bus, status=BookingStatus.BOOKED).count() == 4
    assert Booking.objects.filter(movement=bus).values("case").distinct().count() == 4
    approved_notes = Notification.objects.filter(kind=NotificationKind.CASE_APPROVED)
    assert approved_notes.count() == len(to_approve) + len(to_book)
    assert approved_notes.values("case").distinct().count() == len(to_approve) + len(to_book)
    assert Notification.objects.filter(kind=NotificationKind.CASE_PENDING_APPROVAL).count() == len(to_approve) + 6
    assert Notification.objects.filter(kind=NotificationKind.REPORT_READY).count() == 1 + len(months)
    assert not OutboxMessage.objects.filter(failed_at__isnull=False).exists()
    rebuilt = OutboxMessage.objects.get(key=f"report:{Report.objects.get(period_start=date(2018, 1, 1)).pk}")
    assert rebuilt.attempts == 2
    print(f"\n{len(drive.statuses)} requests, Redis killed once, a worker killed once: " + ", ".join(
        f"{status}×{drive.statuses.count(status)}" for status in sorted(set(drive.statuses))))
