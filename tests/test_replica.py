"""Reports, dashboards and the member export read from a real streaming replica while it keeps up, and from the
primary when it is stopped or too far behind; an unreachable replica never costs a 500.

The shared server allows no replication connections (its pg_hba has no `replication` line, and its config is not
ours), so the module builds a private pair under /tmp: a primary (initdb) holding a copy of the test database made
by pytest-django, and a replica cloned from it with `pg_basebackup -R -X stream`. For this module "default" is that
primary and "replica" its standby; both are stopped and deleted at the end.
"""

import csv
import glob
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.dashboard import dashboard_for_user
from audit.models import AuditAction, AuditEvent
from avr import replica as guard
from reports.data import donor_report_data
from tests.factories import household
from tests.screening_steps import family
from tests.travel_steps import approved, convoy, documents_ready, with_child_escort
from travel import services as travel_services

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

TODAY = timezone.localdate()
PERIOD = {"period_start": TODAY - timedelta(days=30), "period_end": TODAY + timedelta(days=30)}


def pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    assert found, f"no {name} under /usr/lib/postgresql"
    return found[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# PostgreSQL refuses to run its server as root: under root (a container) the pair runs as the postgres user.
AS_SERVER_USER = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def run(*args: str, **kwargs) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=180, **kwargs).stdout


def run_as_server(*args: str) -> str:
    return run(*AS_SERVER_USER, *args)


class Server:
    """One PostgreSQL server of ours, on its own port and directory."""

    def __init__(self, root: str, name: str):
        self.data, self.port, self.log = f"{root}/{name}", free_port(), f"{root}/{name}.log"

    def configure(self) -> None:
        with open(f"{self.data}/postgresql.conf", "a") as conf:
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
                       "fsync = off\nfull_page_writes = off\nshared_buffers = 32MB\n"
                       "max_wal_senders = 4\nwal_level = replica\nhot_standby = on\n"
                       "wal_receiver_status_interval = 1s\nmax_standby_streaming_delay = -1\n")

    def start(self) -> None:
        run_as_server(pg_bin("pg_ctl"), "-D", self.data, "-l", self.log, "-w", "-t", "60", "start")

    def stop(self) -> None:
        subprocess.run([*AS_SERVER_USER, pg_bin("pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop"],
                       capture_output=True, timeout=60)

    def sql(self, statement: str, database: str = "postgres") -> str:
        return run(pg_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
                   "-Atqc", statement).strip()


def pair_build(root: str, database: str) -> tuple[Server, Server]:
    """A primary holding a copy of the test database, then a streaming replica cloned from it."""
    primary, standby = Server(root, "primary"), Server(root, "replica")
    run_as_server(pg_bin("initdb"), "-D", primary.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8")
    primary.configure()
    primary.start()
    primary.sql(f'CREATE DATABASE "{database}"')
    dump = subprocess.run([pg_bin("pg_dump"), "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "--no-owner",
                           "--no-privileges", database], check=True, capture_output=True, timeout=180).stdout
    run(pg_bin("psql"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres", "-d", database, "-q",
        "-v", "ON_ERROR_STOP=1", input=dump.decode())
    run_as_server(pg_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                  "-D", standby.data, "-R", "-X", "stream", "--checkpoint=fast")
    standby.configure()  # its own port: the clone carries the primary's
    standby.start()
    assert standby.sql("SELECT pg_is_in_recovery()") == "t"
    return primary, standby


@pytest.fixture(scope="module")
def pair(django_db_setup, django_db_blocker):
    """"default" pointed at the private primary and "replica" at its standby, for this module only."""
    root = tempfile.mkdtemp(prefix="avr-replica-", dir="/tmp")
    if AS_SERVER_USER:
        shutil.chown(root, "postgres", "postgres")
    shared = connections["default"].settings_dict
    primary = standby = None
    try:
        with django_db_blocker.unblock():
            connections["default"].close()
            primary, standby = pair_build(root, shared["NAME"])
            on_primary = {**shared, "HOST": "127.0.0.1", "PORT": str(primary.port)}
            on_standby = {**on_primary, "PORT": str(standby.port), "OPTIONS": {**shared["OPTIONS"],
                                                                              "connect_timeout": "2"},
                          "TEST": {**shared["TEST"], "MIRROR": "default"}}
            connections["default"].settings_dict = connections.settings["default"] = on_primary
            connections.settings["replica"] = on_standby
        yield primary, standby
    finally:
        with django_db_blocker.unblock():
            for alias in ("replica", "default"):
                if alias in connections.settings:
                    connections[alias].close()
            if "replica" in connections.settings:
                del connections["replica"]
                del connections.settings["replica"]
            connections["default"].settings_dict = connections.settings["default"] = shared
        for server in (standby, primary):
            if server is not None:
                server.stop()
        shutil.rmtree(root, ignore_errors=True)
        guard.replica_state_forget()


@pytest.fixture
def servers(pair, settings):
    """Each test measures the lag at every question, with a small limit, and starts with replay running."""
    primary, standby = pair
    settings.AVR_REPLICA_CHECK_SECONDS = 0
    settings.AVR_REPLICA_MAX_LAG_SECONDS = 1
    guard.replica_state_forget()
    yield primary, standby
    if standby.sql("SELECT pg_is_in_recovery()") == "t" and standby.sql("SELECT pg_is_wal_replay_paused()") == "t":
        standby.sql("SELECT pg_wal_replay_resume()")
    connections["replica"].close()
    guard.replica_state_forget()


def standby_reached(primary: Server, standby: Server, position: str, timeout: float) -> bool:
    """Wait until the standby's `position` (a pg_last_wal_*_lsn function) is at the primary's latest WAL."""
    target = primary.sql("SELECT pg_current_wal_lsn()")
    deadline = time.monotonic() + timeout
    while standby.sql(f"SELECT {position}() >= '{target}'::pg_lsn") != "t":
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def caught_up(primary: Server, standby: Server, timeout: float = 20) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    assert standby_reached(primary, standby, "pg_last_wal_replay_lsn", timeout), "the replica did not catch up"


def received_not_replayed(primary: Server, standby: Server, timeout: float = 20) -> None:
    """Wait until the primary's latest WAL reached the paused standby (so it knows it is behind)."""
    assert standby_reached(primary, standby, "pg_last_wal_receive_lsn", timeout), "the replica did not receive the WAL"


def replay_paused_after(primary: Server, standby: Server, write) -> None:
    """Pause replay, then `write` on the primary: the standby receives it but does not show it."""
    standby.sql("SELECT pg_wal_replay_pause()")
    while standby.sql("SELECT pg_get_wal_replay_pause_state()") != "paused":
        time.sleep(0.05)
    write()
    received_not_replayed(primary, standby)


def registered(data) -> int:
    return next(row["count"] for row in data.table("pipeline").rows if row["stage"] == "registered")


def report(caravan):
    return donor_report_data(programme=caravan, generated_at=timezone.now(), suppressed=False, **PERIOD)


def register(caseworker, caravan, tij):
    return household(actor=caseworker, programme=caravan, office=tij, intake_date=TODAY)


def test_the_replica_is_a_real_standby_of_the_primary(servers):
    primary, standby = servers
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), inet_server_port()")
        assert cursor.fetchone() == (True, standby.port)
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), inet_server_port()")
        assert cursor.fetchone() == (False, primary.port)


def test_the_donor_report_reads_from_the_replica_while_it_is_caught_up(servers, caseworker, caravan, tij):
    primary, standby = servers
    register(caseworker, caravan, tij)
    caught_up(primary, standby)
    with CaptureQueriesContext(connections["replica"]) as on_replica, \
            CaptureQueriesContext(connections["default"]) as on_primary:
        data = report(caravan)
    assert registered(data) == 1
    assert any("cases_member" in q["sql"] for q in on_replica.captured_queries)
    assert not any("cases_member" in q["sql"] for q in on_primary.captured_queries)


def test_an_idle_primary_does_not_make_a_caught_up_replica_look_behind(servers, caseworker, caravan, tij):
    primary, standby = servers
    register(caseworker, caravan, tij)
    caught_up(primary, standby)
    time.sleep(2.5)  # the last replayed transaction is now older than the 1 s limit, yet nothing is behind
    assert guard.reporting_alias() == "replica"
    assert guard.replica_state().lag_seconds == 0


def test_a_replica_within_the_limit_answers_even_without_the_newest_write(servers, settings, caseworker, caravan,
                                                                          tij):
    """Proof that the replica answered: a case written while replay is paused is missing from the report."""
    primary, standby = servers
    settings.AVR_REPLICA_MAX_LAG_SECONDS = 3600
    register(caseworker, caravan, tij)
    caught_up(primary, standby)
    replay_paused_after(primary, standby, lambda: register(caseworker, caravan, tij))
    assert guard.reporting_alias() == "replica"
    assert registered(report(caravan)) == 1


def test_a_replica_behind_by_more_than_the_limit_sends_the_report_to_the_primary(servers, caseworker, caravan,
                                                                                 tij):
    primary, standby = servers
    register(caseworker, caravan, tij)
    caught_up(primary, standby)
    replay_paused_after(primary, standby, lambda: register(caseworker, caravan, tij))
    time.sleep(1.5)
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        data = report(caravan)
    assert registered(data) == 2  # the newest write counted: read on the primary
    assert on_replica.captured_queries and all("pg_is_in_recovery" in q["sql"]
                                               for q in on_replica.captured_queries)  # only the lag measured
    assert guard.replica_health()["reads_from"] == "default"
    standby.sql("SELECT pg_wal_replay_resume()")
    caught_up(primary, standby)
    assert guard.reporting_alias() == "replica"


def admin_total(admin_user) -> int:
    return dashboard_for_user(user=admin_user)["admin"]["by_programme"].total.count


def test_the_dashboard_reads_from_the_replica_while_fresh_and_from_the_primary_once_behind(
        servers, settings, admin_user, caseworker, caravan, tij):
    primary, standby = servers
    register(caseworker, caravan, tij)
    caught_up(primary, standby)
    settings.AVR_REPLICA_MAX_LAG_SECONDS = 3600
    replay_paused_after(primary, standby, lambda: register(caseworker, caravan, tij))
    assert admin_total(admin_user) == 1  # the replica's answer, without the paused write
    settings.AVR_REPLICA_MAX_LAG_SECONDS = 1
    time.sleep(1.5)
    assert admin_total(admin_user) == 2


def ready_case(caseworker, supervisor, movement_officer, caravan, tij):
    case = approved(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    documents_ready(case, movement_officer)
    return case


def manifest_passengers(client, movement) -> int:
    response = client.get(reverse("movement_manifest_csv", args=[movement.pk]))
    assert response.status_code == 200
    return len(list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))))


def test_the_manifest_always_reads_the_primary_a_booking_made_seconds_ago_is_on_it(
        servers, settings, client, caseworker, supervisor, movement_officer, caravan, tij, sps):
    """A boarding list is operational, not a report: the replica's lag must never leave someone off it."""
    primary, standby = servers
    first, second = (ready_case(caseworker, supervisor, movement_officer, caravan, tij) for _ in range(2))
    bus = with_child_escort(convoy(movement_officer, tij, sps), movement_officer)
    travel_services.case_book(actor=movement_officer, movement_id=bus.pk, case_id=first.pk)
    caught_up(primary, standby)
    client.force_login(movement_officer)
    settings.AVR_REPLICA_MAX_LAG_SECONDS = 3600
    replay_paused_after(primary, standby, lambda: travel_services.case_book(
        actor=movement_officer, movement_id=bus.pk, case_id=second.pk))
    assert manifest_passengers(client, bus) == first.members.count() + second.members.count()
    export = AuditEvent.objects.using("default").filter(action=AuditAction.EXPORT, object_id=str(bus.pk)).get()
    assert export.object_ids == sorted([first.pk, second.pk])


def exports_in(trail: list[dict]) -> int:
    return sum(line["action"] == AuditAction.EXPORT for line in trail)


def test_the_member_export_reads_from_the_replica_and_is_audited_on_the_primary(servers, settings, client,
                                                                                caseworker, caravan, tij):
    primary, standby = servers
    case = register(caseworker, caravan, tij)
    member = case.members.get()
    url = reverse("member_export", args=[case.pk, member.pk])
    client.force_login(caseworker)
    caught_up(primary, standby)
    settings.AVR_REPLICA_MAX_LAG_SECONDS = 3600
    standby.sql("SELECT pg_wal_replay_pause()")
    first = client.get(url, {"format": "json"}).json()
    received_not_replayed(primary, standby)
    second = client.get(url, {"format": "json"}).json()
    assert exports_in(second["audit_trail"]) == exports_in(first["audit_trail"])  # the replica, paused
    settings.AVR_REPLICA_MAX_LAG_SECONDS = 1
    time.sleep(1.5)
    third = client.get(url, {"format": "json"}).json()
    assert exports_in(third["audit_trail"]) == exports_in(first["audit_trail"]) + 2  # the primary
    assert third["member"]["id"] == member.pk and third["member"]["given_names"] == member.given_names
    assert AuditEvent.objects.using("default").filter(action=AuditAction.EXPORT, object_id=str(member.pk)).count() == 3


def test_a_report_built_by_the_worker_reads_the_replica_and_writes_its_row_on_the_primary(
        servers, settings, admin_user, caseworker, caravan, tij):
    from reports.models import Report
    from reports.services import report_build, report_request

    primary, standby = servers
    settings.REPORT_SUPPRESSION_THRESHOLD = 1
    register(caseworker, caravan, tij)
    caught_up(primary, standby)
    settings.AVR_REPLICA_MAX_LAG_SECONDS = 3600
    replay_paused_after(primary, standby, lambda: register(caseworker, caravan, tij))
    report = report_request(actor=admin_user, programme_code=caravan.code, fmt="json", **PERIOD)
    report_build(report.pk)
    report = Report.objects.using("default").get(pk=report.pk)
    assert report.status == "ready"
    body = json.loads(report.file.read())
    assert {row["stage"]: row["count"] for row in body["tables"]["pipeline"]}["registered"] == 1


def test_a_replica_behind_is_logged_once_per_measurement(servers, settings, caplog, caseworker, caravan, tij):
    primary, standby = servers
    replay_paused_after(primary, standby, lambda: register(caseworker, caravan, tij))
    time.sleep(1.5)
    settings.AVR_REPLICA_CHECK_SECONDS = 3600
    with caplog.at_level("WARNING", logger="avr.replica"):
        aliases = {guard.reporting_alias() for _ in range(3)}
    assert aliases == {"default"}
    assert [r.getMessage().split(";")[0].startswith("read replica") for r in caplog.records] == [True]


def test_a_stopped_replica_never_gives_a_500_and_reads_go_to_the_primary(
        servers, settings, client, admin_user, caseworker, caravan, tij):
    primary, standby = servers
    settings.AVR_REPLICA_CHECK_SECONDS = 3600  # the last measurement said "fresh" and is still trusted
    register(caseworker, caravan, tij)
    caught_up(primary, standby)
    assert guard.reporting_alias() == "replica"
    client.force_login(admin_user)
    assert client.get(reverse("home")).status_code == 200
    standby.stop()
    try:
        register(caseworker, caravan, tij)
        assert client.get(reverse("home")).status_code == 200
        assert admin_total(admin_user) == 2
        assert registered(report(caravan)) == 2
        health = client.get("/health/").json()["replica"]
        assert health["ok"] is False and health["reads_from"] == "default" and health["error"]
        guard.replica_state_forget()  # measured afresh: the connection is refused
        assert guard.reporting_alias() == "default" and guard.replica_state().error == "OperationalError"
        assert client.get(reverse("home")).status_code == 200
    finally:
        standby.start()


def test_health_reports_the_replica_and_its_lag(servers, client):
    caught_up(*servers)
    body = client.get("/health/").json()
    assert body["replica"] == {"ok": True, "lag_seconds": 0.0, "max_lag_seconds": 1, "in_recovery": True,
                               "reads_from": "replica"}


def test_without_a_replica_configured_every_read_stays_on_the_primary(servers, monkeypatch, caseworker, caravan,
                                                                      tij):
    monkeypatch.delitem(connections.settings, "replica")
    register(caseworker, caravan, tij)
    assert guard.reporting_alias() == "default"
    assert guard.replica_health() is None
    assert registered(report(caravan)) == 1


SETTINGS_OF = """
import json, avr.settings as s
print(json.dumps({alias: {k: s.DATABASES[alias].get(k) for k in ("HOST", "PORT", "NAME", "OPTIONS", "CONN_MAX_AGE",
                                                                 "CONN_HEALTH_CHECKS", "TEST")}
                  for alias in s.DATABASES}))
"""


@pytest.mark.django_db(databases=["default"])
@pytest.mark.parametrize("url", [None, "postgres://reader@replica.internal:5433/avr?sslmode=require"])
def test_database_replica_url_adds_a_replica_alias_mirrored_onto_default_in_tests(url):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_REPLICA_URL"}
    env |= {"DJANGO_DEBUG": "1", "DATABASE_CONN_MAX_AGE": "45"} | ({"DATABASE_REPLICA_URL": url} if url else {})
    found = json.loads(run(sys.executable, "-c", SETTINGS_OF, env=env))
    if url is None:
        assert list(found) == ["default"]
        return
    assert found["replica"] == {"HOST": "replica.internal", "PORT": "5433", "NAME": "avr",
                                "OPTIONS": {"sslmode": "require", "connect_timeout": "2"}, "CONN_MAX_AGE": 45,
                                "CONN_HEALTH_CHECKS": True, "TEST": {"MIRROR": "default"}}
