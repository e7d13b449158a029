"""Personas and places shared by the tests (see STYLE.md: a caseworker of Tijuana, an outsider, ...)."""

import pytest
from django.db.backends.postgresql.operations import DatabaseOperations
from rest_framework.test import APIClient

from accounts.choices import OfficeKind, Role
from avr.celery import app as celery_app
from tests.factories import OfficeFactory, ProgrammeFactory, staff

TRUNCATE_REFUSED = ("audit_auditevent", "audit_casekey")  # audit migration 0005
# Each monthly partition of the log has its own TRUNCATE guard (audit/partitions.py), fired by a TRUNCATE of the parent.
PARTITION_GUARDS = """DO $$ DECLARE part regclass; BEGIN
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = to_regclass('audit_auditevent') LOOP
        EXECUTE format('ALTER TABLE %s {} TRIGGER avr_audit_no_truncate', part);
    END LOOP; END $$;"""
_sql_flush = DatabaseOperations.sql_flush


def sql_flush_lifting_the_audit_guard(self, style, tables, **options):
    """Transactional tests empty every table after each test, the audit log too: the owner lifts its guard for that.

    The statements run in one transaction, so the guard is back whatever happens.
    """
    guarded = [table for table in TRUNCATE_REFUSED if table in tables]
    flush = _sql_flush(self, style, tables, **options)
    if not flush or not guarded:
        return flush
    partitions = "audit_auditevent" in guarded
    return ([f"ALTER TABLE {table} DISABLE TRIGGER avr_audit_no_truncate;" for table in guarded]
            + [PARTITION_GUARDS.format("DISABLE")] * partitions + flush + [PARTITION_GUARDS.format("ENABLE")] * partitions
            + [f"ALTER TABLE {table} ENABLE TRIGGER avr_audit_no_truncate;" for table in guarded])


DatabaseOperations.sql_flush = sql_flush_lifting_the_audit_guard


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashing costs ~0.3 s a user; tests create many users and test no hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def assignments_forgotten():
    """Each test starts with no assignments kept by the process (ids can come back after a flush)."""
    from cases.permissions import assignments_cache_clear

    assignments_cache_clear()


@pytest.fixture(autouse=True)
def sign_in_counters_reset():
    """The sign-in throttle and concurrency counters live in the shared Redis cache: every test starts from zero.

    Only the cache's own keys go (the same Redis database holds Celery's queue); a test with Redis stopped skips it.
    """
    from django.core.cache import cache
    from redis.exceptions import RedisError

    try:
        client = cache._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{cache.key_prefix}:*"))
        if keys:
            client.delete(*keys)
    except RedisError:
        pass


@pytest.fixture(autouse=True)
def logins_pass_the_second_factor(monkeypatch):
    """`client.force_login` / `client.login` (Django's and DRF's clients) give a session that passed two-factor
    sign-in, as the login page would after a right code; tests of the real flow sign in through the pages."""
    from django.test import Client

    from accounts.mfa import MFA_STATE, VERIFIED

    plain_login = Client._login

    def login_verified(self, user, backend=None):
        plain_login(self, user, backend)
        session = self.session
        session[MFA_STATE] = VERIFIED
        session.save()

    monkeypatch.setattr(Client, "_login", login_verified)


@pytest.fixture(autouse=True)
def celery_eager():
    """Unit tests run tasks in-process; the broker test turns this off and uses a real worker."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def tij(db):
    return OfficeFactory(code="TIJ", name="Tijuana", country="MX")


@pytest.fixture
def tap(db):
    return OfficeFactory(code="TAP", name="Tapachula", country="MX")


@pytest.fixture
def tum(db):
    return OfficeFactory(code="TUM", name="Tecún Umán", country="GT")


@pytest.fixture
def sps(db):
    return OfficeFactory(code="HN-SPS", name="CAMR San Pedro Sula", kind=OfficeKind.RECEPTION_CENTRE, country="HN")


@pytest.fixture
def la_chacra(db):
    return OfficeFactory(code="SV-SS", name="La Chacra", kind=OfficeKind.RECEPTION_CENTRE, country="SV")


@pytest.fixture
def caravan(db):
    return ProgrammeFactory(code="CARAVAN-2018", name="Caravans AVR 2018")


@pytest.fixture
def nicaragua(db):
    return ProgrammeFactory(code="NIC-2019", name="Nicaragua AVR 2019", return_countries=["NI"])


@pytest.fixture
def caseworker(tij):
    return staff("cw_tij", Role.CASEWORKER, office=tij)


@pytest.fixture
def outsider(tap):
    return staff("cw_tap", Role.CASEWORKER, office=tap)


@pytest.fixture
def supervisor(caravan):
    return staff("sup_mx", Role.SUPERVISOR, programme=caravan, country="MX")


@pytest.fixture
def other_supervisor(nicaragua):
    return staff("sup_nic", Role.SUPERVISOR, programme=nicaragua)


@pytest.fixture
def movement_officer(db):
    return staff("mov_mx", Role.MOVEMENT_OFFICER, country="MX")


@pytest.fixture
def reception(sps):
    return staff("rec_sps", Role.RECEPTION_STAFF, office=sps)


@pytest.fixture
def other_reception(la_chacra):
    return staff("rec_ss", Role.RECEPTION_STAFF, office=la_chacra)


@pytest.fixture
def admin_user(db):
    hq = OfficeFactory(code="HQ", name="Headquarters", kind=OfficeKind.HEADQUARTERS, country="XX")
    return staff("hq_admin", Role.ADMIN, office=hq)


@pytest.fixture
def ready_family(caseworker, supervisor, movement_officer, caravan, tij):
    """A family of Tijuana approved, with a ready travel document for everyone: ready to be booked."""
    from tests.screening_steps import family
    from tests.travel_steps import approved, documents_ready

    case = approved(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    documents_ready(case, movement_officer)
    return case


@pytest.fixture
def api():
    return APIClient()


def api_token_key(user) -> str:
    """A key of a new API token for the user, as signing in to the token endpoint gives one."""
    from accounts.services import api_token_create

    return api_token_create(user=user, request=None)[1]


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client
