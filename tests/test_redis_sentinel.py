"""REDIS_URL naming Redis Sentinels: real servers of the test's own (a master, its replica, a sentinel), never mocks.

The broker (through the outbox's publishing and a real worker), Django's cache and /health/ all reach the master the
sentinel names; after the master is killed and the sentinel promotes the replica, the same URL reaches the new
master with no restart of the app's code.
"""

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.cache import caches
from redis.sentinel import Sentinel

from avr import redis_url
from avr.celery import app as celery_app
from avr.env import ImproperEnvironment
from avr.health import HEARTBEAT_KEY, heartbeat_record
from outbox import services
from outbox.models import OutboxMessage
from tests.celery_worker import celery_worker, wait_for
from tests.redis_server import free_port

MASTER = "avrmaster"
PASSWORD = "se@cret"
HEARTBEAT_TASK = "avr.tasks.worker_heartbeat_task"


def wait_until(condition, *, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except redis.RedisError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s: {what}")


class SentinelServers:
    """A master, a replica of it and one sentinel watching them (quorum 1, quick to fail over), all in /tmp."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="avr-sentinel-"))
        ports = set()
        while len(ports) < 3:
            ports.add(free_port())
        self.master_port, self.replica_port, self.sentinel_port = ports
        self.processes = {}
        self.url = f"sentinel://:se%40cret@127.0.0.1:{self.sentinel_port}/3"

    def start(self) -> "SentinelServers":
        self.redis_server("master", self.master_port)
        self.redis_server("replica", self.replica_port, "--replicaof", "127.0.0.1", str(self.master_port))
        wait_until(lambda: self.client(self.replica_port).info("replication")["master_link_status"] == "up",
                   seconds=10, what="the replica in sync")
        # Started once the replica is in sync, so that its first look at the master already sees the replica.
        conf = self.dir / "sentinel.conf"
        conf.write_text(f"port {self.sentinel_port}\nbind 127.0.0.1\ndir {self.dir}\n"
                        f"sentinel monitor {MASTER} 127.0.0.1 {self.master_port} 1\n"
                        f"sentinel auth-pass {MASTER} {PASSWORD}\n"
                        f"sentinel down-after-milliseconds {MASTER} 1000\n"
                        f"sentinel failover-timeout {MASTER} 3000\n")
        self.spawn("sentinel", [str(conf), "--sentinel"])
        wait_until(lambda: any(replica["port"] == self.replica_port and "disconnected" not in replica["flags"]
                               for replica in self.sentinel().sentinel_slaves(MASTER)),
                   seconds=15, what="the sentinel knowing the replica")
        return self

    def redis_server(self, name: str, port: int, *extra: str) -> None:
        self.spawn(name, ["--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
                          "--dir", str(self.dir), "--requirepass", PASSWORD, "--masterauth", PASSWORD,
                          "--repl-diskless-sync-delay", "0", *extra])

    def spawn(self, name: str, arguments: list[str]) -> None:
        self.processes[name] = subprocess.Popen([shutil.which("redis-server"), *arguments],
                                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def client(self, port: int, db: int = 3) -> redis.Redis:
        return redis.Redis(port=port, db=db, password=PASSWORD, socket_timeout=2)

    def sentinel(self) -> redis.Redis:
        return redis.Redis(port=self.sentinel_port, socket_timeout=2)

    def master_port_now(self) -> int:
        return Sentinel([("127.0.0.1", self.sentinel_port)]).discover_master(MASTER)[1]

    def kill_master_and_wait_for_promotion(self) -> None:
        self.processes.pop("master").kill()
        wait_until(lambda: self.master_port_now() == self.replica_port
                   and self.client(self.replica_port).info("replication")["role"] == "master",
                   seconds=20, what="the sentinel promoting the replica")

    def stop(self) -> None:
        for process in self.processes.values():
            process.kill()
            process.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def sentinels(settings, monkeypatch):
    """The app configured as REDIS_URL=<the sentinel> would configure it, tasks published rather than run."""
    servers = SentinelServers()
    try:
        servers.start()
    except Exception:
        servers.stop()
        raise
    settings.REDIS_URL = servers.url
    settings.REDIS_SENTINEL_MASTER = MASTER
    settings.CELERY_BROKER_URL = redis_url.broker_url(servers.url, MASTER)
    settings.CACHES = {"default": {**redis_url.cache_settings(servers.url, MASTER, socket_timeout=1),
                                   "KEY_PREFIX": "avr-cache"}}
    options = redis_url.broker_transport_options(servers.url, MASTER, **celery_app.conf.broker_transport_options)
    monkeypatch.setitem(celery_app.conf, "broker_transport_options", options)
    celery_app.conf.task_always_eager = False
    services._broker_down_until = 0.0
    yield servers
    services._broker_down_until = 0.0
    servers.stop()


PLAIN_URLS = ["redis://127.0.0.1:6379/0", "rediss://:pw@redis.example.org:6380/2", "unix:///tmp/redis.sock?db=1"]


@pytest.mark.parametrize("url", PLAIN_URLS)
def test_a_plain_redis_url_is_used_as_it_always_was(url):
    assert redis_url.broker_url(url, "") == url
    assert redis_url.broker_transport_options(url, "", visibility_timeout=3600) == {"visibility_timeout": 3600}
    assert redis_url.cache_settings(url, "", socket_timeout=1) == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "OPTIONS": {"socket_timeout": 1}}


def test_the_embedded_redis_socket_is_celerys_for_the_broker_and_unix_for_redis_py():
    url = "redis+socket:///work/var/redis.db.socket"

    assert redis_url.broker_url(url, "") == url
    assert redis_url.cache_settings(url, "")["LOCATION"] == "unix:///work/var/redis.db.socket"
    assert redis_url.redis_client(url).connection_pool.connection_kwargs["path"] == "/work/var/redis.db.socket"


@pytest.mark.parametrize(("url", "broker", "addresses", "db", "password"), [
    ("sentinel://s1", "sentinel://s1:26379/0", (("s1", 26379),), 0, None),
    ("sentinel://:se%40cret@s1:26380;sentinel://s2/2",
     "sentinel://:se%40cret@s1:26380/2;sentinel://:se%40cret@s2:26379/2", (("s1", 26380), ("s2", 26379)), 2, "se@cret"),
    ("sentinel://s1:1/4; sentinel://s2:2/4;sentinel://s3:3",
     "sentinel://s1:1/4;sentinel://s2:2/4;sentinel://s3:3/4", (("s1", 1), ("s2", 2), ("s3", 3)), 4, None),
])
def test_a_sentinel_url_gives_every_address_the_db_and_password_and_celery_the_master_name(
        url, broker, addresses, db, password):
    assert redis_url.broker_url(url, MASTER) == broker
    assert redis_url.broker_transport_options(url, MASTER, visibility_timeout=3600) == {
        "visibility_timeout": 3600, "master_name": MASTER}
    assert redis_url.sentinel_group(url) == redis_url.SentinelGroup(addresses, db, None, password)
    assert redis_url.cache_settings(url, MASTER, socket_timeout=1) == {
        "BACKEND": "avr.redis_url.SentinelRedisCache", "LOCATION": url,
        "OPTIONS": {"master_name": MASTER, "socket_timeout": 1}}


@pytest.mark.parametrize(("url", "master", "refusal"), [
    ("sentinel://s1;sentinel://s2", "", "REDIS_SENTINEL_MASTER"),
    ("sentinel://s1;redis://s2", MASTER, "sentinel://host:port"),
    ("sentinel://s1/1;sentinel://s2/2", MASTER, "different dbs"),
    ("sentinel://:a@s1;sentinel://:b@s2", MASTER, "different passwords"),
    ("sentinel://s1/queue", MASTER, "a number"),
])
def test_a_sentinel_url_that_celery_would_read_otherwise_is_refused(url, master, refusal):
    with pytest.raises(ImproperEnvironment, match=refusal):
        redis_url.broker_url(url, master)


def test_the_settings_read_a_sentinel_url_for_the_broker_and_the_cache():
    script = ("import json, django; django.setup(); from django.conf import settings as s; "
              "from avr.celery import app; from django.core.cache import cache; "
              "print(json.dumps([s.CELERY_BROKER_URL, app.conf.broker_transport_options, "
              "type(cache._cache).__name__]))")
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "avr.settings", "DJANGO_DEBUG": "1",
           "DATABASE_URL": settings.DATABASE_URL, "CELERY_VISIBILITY_TIMEOUT": "600",
           "REDIS_URL": "sentinel://s1:26379;sentinel://s2:26380/5", "REDIS_SENTINEL_MASTER": MASTER}
    output = subprocess.run([sys.executable, "-c", script], cwd=settings.BASE_DIR, env=env, capture_output=True,
                            text=True, timeout=60, check=True).stdout

    assert json.loads(output.splitlines()[-1]) == [
        "sentinel://s1:26379/5;sentinel://s2:26380/5", {"visibility_timeout": 600, "master_name": MASTER},
        "SentinelCacheClient"]


@pytest.mark.django_db
def test_the_cache_and_health_reach_the_master_through_the_sentinel(sentinels, client):
    master = sentinels.client(sentinels.master_port)

    caches["default"].set("greeting", "hola", 60)
    heartbeat_record()
    response = client.get("/health/")

    assert caches["default"].get("greeting") == "hola"
    assert master.exists("avr-cache:1:greeting") and master.exists(HEARTBEAT_KEY)
    assert response.status_code == 200, response.json()
    assert response.json()["redis"] == {"ok": True}


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_consumes_through_the_sentinel_before_and_after_the_master_dies(sentinels, client, tmp_path):
    env = {"REDIS_URL": sentinels.url, "REDIS_SENTINEL_MASTER": MASTER}
    master, replica = sentinels.client(sentinels.master_port), sentinels.client(sentinels.replica_port)
    with celery_worker(tmp_path, **env) as worker:
        services.outbox_enqueue(HEARTBEAT_TASK)
        wait_for(lambda: master.exists(HEARTBEAT_KEY), seconds=30, processes=[worker])
        wait_until(lambda: replica.exists(HEARTBEAT_KEY), seconds=5, what="the heartbeat on the replica")

        sentinels.kill_master_and_wait_for_promotion()
        replica.delete(HEARTBEAT_KEY)
        services.outbox_enqueue(HEARTBEAT_TASK)
        wait_for(lambda: replica.exists(HEARTBEAT_KEY), seconds=30, processes=[worker])

    assert OutboxMessage.objects.filter(done_at__isnull=False).count() == 2
    assert client.get("/health/").status_code == 200


@pytest.mark.django_db
def test_after_the_master_dies_the_same_url_reaches_the_promoted_replica_with_no_restart(sentinels, client):
    cache = caches["default"]
    cache.set("before", "kept", 60)
    replica = sentinels.client(sentinels.replica_port)
    wait_until(lambda: replica.exists("avr-cache:1:before"), seconds=5, what="the key on the replica")

    sentinels.kill_master_and_wait_for_promotion()
    cache.set("after", "written", 60)
    services.outbox_enqueue(HEARTBEAT_TASK)
    published = services.outbox_relay()
    heartbeat_record()
    response = client.get("/health/")

    assert (cache.get("before"), cache.get("after")) == ("kept", "written")
    assert published == 1 and replica.llen("celery") == 1
    assert replica.exists("avr-cache:1:after") and replica.exists(HEARTBEAT_KEY)
    assert response.status_code == 200, response.json()
