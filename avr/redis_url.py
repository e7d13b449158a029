"""REDIS_URL read in one place for every user of Redis: the broker, the cache, health, heartbeat and the outbox.

Either one server (redis://, rediss://, unix://, or Celery's redis+socket:// of the embedded Redis of `make run`),
or a group of Redis Sentinels in Celery's own form, `sentinel://[:password@]host1:26379[/db];sentinel://host2:26379`,
with the master's name in REDIS_SENTINEL_MASTER. As Celery reads them, the password and db are the master's; the
sentinels themselves take no password.
"""

from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.sentinel import Sentinel

from avr.env import ImproperEnvironment

SENTINEL_PORT = 26379


@dataclass(frozen=True)
class SentinelGroup:
    addresses: tuple[tuple[str, int], ...]
    db: int
    username: str | None
    password: str | None


def is_sentinel(url: str) -> bool:
    return url.startswith("sentinel://")


def sentinel_group(url: str) -> SentinelGroup:
    """The sentinels of `url`; a db or password given on any address holds for all (two different ones are refused,
    Celery would silently take the first address's)."""
    parts = [urlsplit(part.strip()) for part in url.split(";") if part.strip()]
    if not parts or any(part.scheme != "sentinel" or not part.hostname for part in parts):
        raise ImproperEnvironment(f"REDIS_URL: every address of a Sentinel URL is sentinel://host:port ({url!r})")
    return SentinelGroup(
        addresses=tuple((part.hostname, part.port or SENTINEL_PORT) for part in parts),
        db=int(_one_value(url, "db", {part.path.strip("/") for part in parts}) or 0),
        username=_one_value(url, "user name", {unquote(part.username or "") for part in parts}),
        password=_one_value(url, "password", {unquote(part.password or "") for part in parts}),
    )


def _one_value(url: str, what: str, values: set[str]) -> str | None:
    values.discard("")
    if len(values) > 1:
        raise ImproperEnvironment(f"REDIS_URL: the Sentinel addresses give different {what}s")
    if what == "db" and values and not next(iter(values)).isdigit():
        raise ImproperEnvironment(f"REDIS_URL: the db of a Sentinel URL is a number ({url!r})")
    return next(iter(values), None)


def _master(master: str) -> str:
    if not master:
        raise ImproperEnvironment("REDIS_URL names Redis Sentinels: set REDIS_SENTINEL_MASTER to the master's name")
    return master


def broker_url(url: str, master: str) -> str:
    """Celery's broker URL: `url` itself, or for Sentinels every address with the db and password (Celery reads them
    from whichever address it is connected through)."""
    if not is_sentinel(url):
        return url
    _master(master)
    group = sentinel_group(url)
    credentials = ""
    if group.username or group.password:
        credentials = f"{quote(group.username or '', safe='')}:{quote(group.password or '', safe='')}@"
    return ";".join(f"sentinel://{credentials}{host}:{port}/{group.db}" for host, port in group.addresses)


def broker_transport_options(url: str, master: str, **options) -> dict:
    return {**options, "master_name": _master(master)} if is_sentinel(url) else options


def redis_client(url: str, master: str = "", **options) -> redis.Redis:
    """A client of the one server, or of the master the sentinels name now (asked again on every new connection)."""
    if not is_sentinel(url):
        return redis.Redis.from_url(url.replace("redis+socket://", "unix://", 1), **options)
    return sentinel_master(sentinel_group(url), _master(master), **options)


def sentinel_master(group: SentinelGroup, master: str, **options) -> redis.Redis:
    timeouts = {key: value for key, value in options.items() if key.startswith("socket_")}
    sentinels = Sentinel(list(group.addresses), sentinel_kwargs=timeouts)
    return sentinels.master_for(master, db=group.db, username=group.username, password=group.password, **options)


def cache_settings(url: str, master: str, **options) -> dict:
    """Django's CACHES entry: Django's own RedisCache for one server, SentinelRedisCache for Sentinels."""
    if not is_sentinel(url):
        # Celery's socket URL is "unix://" to redis-py.
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url.replace("redis+socket://", "unix://", 1), "OPTIONS": options}
    return {"BACKEND": "avr.redis_url.SentinelRedisCache", "LOCATION": url,
            "OPTIONS": {"master_name": _master(master), **options}}


class SentinelCacheClient(RedisCacheClient):
    """Reads go to the master too: a replica lags, and the sign-in counters read what they just wrote."""

    def __init__(self, servers, master_name: str = "", **options):
        super().__init__(servers, **options)
        self._group = sentinel_group(servers[0])
        self._master_name = _master(master_name)

    def _get_connection_pool(self, write):
        if 0 not in self._pools:
            self._pools[0] = sentinel_master(self._group, self._master_name, **self._pool_options).connection_pool
        return self._pools[0]


class SentinelRedisCache(RedisCache):
    """Django's RedisCache, whose LOCATION is one group of sentinels rather than servers split on ';'."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._servers = [server]
        self._class = SentinelCacheClient
