"""Bulk synthetic data for the benchmark: cases and members by COPY, audit triggers off, then the name search's
vocabulary in one pass and VACUUM ANALYZE.

Idempotent: counts the benchmark cases already there (references OFFICE-YEAR-NNNNNNN, 7 digits, which the
real service never hands out) and only adds the missing ones, so a larger BENCH_CASES tops the data up.
"""

import io
import random
import time
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

from django.contrib.auth.models import Group, Permission
from django.db import connection

from accounts.models import Office, Programme, User
from cases.choices import CaseStatus
from cases.dedup import person_keys

BENCH_REFERENCE_RE = r"^[A-Z]+-[0-9]{4}-[0-9]{7}$"
BATCH = 50_000
GRANT_GROUP = "bench-team"
GRANT_MODULO = 10  # view_case granted to the group on every 10th TIJ case

OFFICE_WEIGHTS = [("TIJ", 30), ("TAP", 30), ("CDMX", 20), ("TUM", 20)]
STATUS_WEIGHTS = [
    (CaseStatus.REGISTERED, 12), (CaseStatus.SCREENING, 8), (CaseStatus.PENDING_APPROVAL, 6),
    (CaseStatus.APPROVED, 5), (CaseStatus.BOOKED, 4), (CaseStatus.IN_TRANSIT, 2), (CaseStatus.ARRIVED, 8),
    (CaseStatus.CLOSED, 40), (CaseStatus.WITHDRAWN, 6), (CaseStatus.REFERRED_OUT, 2), (CaseStatus.REJECTED, 3),
    (CaseStatus.ON_HOLD, 2), (CaseStatus.NO_SHOW, 2),
]
WITH_CENTRE = {CaseStatus.BOOKED, CaseStatus.IN_TRANSIT, CaseStatus.ARRIVED, CaseStatus.CLOSED}
CENTRES = {"HN": ["HN-SPS", "HN-OMO"], "SV": ["SV-SS"], "GT": ["GT-GUA"]}
SIZE_WEIGHTS = [(1, 68), (2, 17), (3, 10), (4, 5)]  # mean ~1.52 people per case: 700k cases -> ~1.06M people

GIVEN_FEMALE = ["María José", "Ana Gabriela", "Yessenia", "Rosa Amalia", "Daniela", "Karla Patricia", "Sofía",
                "Wendy Carolina", "Dania", "Lesly Marisol", "Gloria", "Keyla", "María Fernanda", "Sandra", "Elvia",
                "Reina Isabel", "Jennifer", "Marta Lidia", "Olga", "Xiomara", "Nohemí", "Brenda Yamileth"]
GIVEN_MALE = ["José Luis", "Kevin Alexander", "Wilmer", "Santos", "Edgar Rolando", "Carlos Eduardo", "Juan Carlos",
              "Elmer", "Óscar Armando", "Marvin", "Selvin", "Denis Omar", "Luis Fernando", "Héctor", "Nelson",
              "Byron", "Josué", "Franklin", "Walter", "Brayan", "Mario Roberto", "Erick"]
FAMILY = ["Hernández", "López", "Martínez", "Rivas", "Pineda", "Cruz", "Mejía", "Reyes", "Maldonado", "Flores",
          "Portillo", "Xol", "Caal", "Tzul", "Chen", "Zelaya", "Amador", "García", "Rodríguez", "Pérez", "Ramos",
          "Castro", "Aguilar", "Orellana", "Banegas", "Cifuentes", "de León", "Mendoza", "Sánchez", "Díaz",
          "Morales", "Ayala", "Chávez", "Escobar", "Funes", "Guevara", "Interiano", "Juárez", "Kawas", "Paz"]
PHONE_PREFIX = {"HN": "+504", "SV": "+503", "GT": "+502"}


def _pick(rng, weighted):
    values, weights = zip(*weighted)
    cum, total = [], 0
    for w in weights:
        total += w
        cum.append(total)
    return values, cum


@lru_cache(maxsize=None)
def _keys(given: str, family: str, year: int):
    k = person_keys(given_names=given, family_names=family, date_of_birth=date(year, 1, 1))
    return k.name_key, k.family_initials


def _esc(value) -> str:
    if value is None:
        return r"\N"
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def bench_case_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case WHERE reference ~ %s", [BENCH_REFERENCE_RE])
        return cursor.fetchone()[0]


def generate(n_cases: int, *, log=print, seed: int = 20181120) -> dict:
    """Make sure `n_cases` benchmark cases exist; returns what was done and how long it took."""
    existing = bench_case_count()
    result = {"existing_cases": existing, "target_cases": n_cases, "inserted_cases": 0, "inserted_members": 0,
              "seconds": 0.0}
    started = time.perf_counter()
    if existing < n_cases:
        from cases.counts import case_counts_rebuild

        result.update(_load(existing, n_cases, log=log, rng=random.Random(seed + existing)))
        case_counts_rebuild()  # COPY ran without the triggers that keep the dashboards' counts
    grants = _grants()
    result["grants"] = grants
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def _load(start: int, end: int, *, log, rng) -> dict:
    offices = {o.code: o for o in Office.objects.all()}
    programmes = {p.code: p for p in Programme.objects.all()}
    creators = {"TIJ": User.objects.get(username="caseworker_tij").pk}
    creators.update({c: User.objects.get(username="caseworker_tap").pk for c in ("TAP", "CDMX", "TUM")})
    caravan, nic = programmes["CARAVAN-2018"].pk, programmes["NIC-2019"].pk
    office_vals, office_cum = _pick(rng, OFFICE_WEIGHTS)
    status_vals, status_cum = _pick(rng, STATUS_WEIGHTS)
    size_vals, size_cum = _pick(rng, SIZE_WEIGHTS)
    pre_booking = [CaseStatus.REGISTERED, CaseStatus.SCREENING, CaseStatus.PENDING_APPROVAL, CaseStatus.APPROVED,
                   CaseStatus.WITHDRAWN, CaseStatus.REJECTED]

    raw = connection.connection  # the psycopg connection under Django's
    inserted_cases = inserted_members = 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM cases_case")
        next_case_id = cursor.fetchone()[0] + 1
        cursor.execute("SELECT coalesce(max(id), 0) FROM cases_member")
        next_member_id = first_member_id = cursor.fetchone()[0] + 1
    base_day = date(2018, 11, 1)
    log(f"[bench] generating cases {start + 1:,}..{end:,} (batches of {BATCH:,})")
    t0 = time.perf_counter()
    for batch_start in range(start, end, BATCH):
        batch_end = min(end, batch_start + BATCH)
        cases_buf, members_buf = io.StringIO(), io.StringIO()
        for n in range(batch_start + 1, batch_end + 1):
            office = rng.choices(office_vals, cum_weights=office_cum)[0]
            office_obj = offices[office]
            status = rng.choices(status_vals, cum_weights=status_cum)[0]
            if rng.random() < 0.1:
                programme, destination = nic, "NI"
                if status in WITH_CENTRE or status not in pre_booking:
                    status = rng.choice(pre_booking)
                centre = None
            else:
                programme = caravan
                destination = rng.choice(["HN", "SV"] if office_obj.country == "GT" else ["HN", "HN", "SV", "GT"])
                centre = offices[rng.choice(CENTRES[destination])].pk if status in WITH_CENTRE else None
            intake = base_day + timedelta(days=rng.randrange(0, 6 * 365))
            created = datetime(intake.year, intake.month, intake.day, 8 + rng.randrange(10), rng.randrange(60),
                               tzinfo=timezone.utc)
            updated = created + timedelta(days=rng.randrange(0, 60))
            case_id = next_case_id
            next_case_id += 1
            cases_buf.write("\t".join(_esc(v) for v in (
                case_id, f"{office}-{intake.year}-{n:07d}", programme, office_obj.pk, office_obj.country,
                destination, centre, None, status, "", intake.isoformat(), creators[office],
                created.isoformat(), updated.isoformat(), 1, "{}",
            )) + "\n")
            size = rng.choices(size_vals, cum_weights=size_cum)[0]
            nationality = destination
            family_first = rng.choice(FAMILY)
            for i in range(size):
                sex = rng.choice(("female", "male"))
                given = rng.choice(GIVEN_FEMALE if sex == "female" else GIVEN_MALE)
                if i == 0:
                    relationship, age = "principal", rng.randrange(18, 60)
                    family = f"{family_first} {rng.choice(FAMILY)}"
                elif i == 1 and rng.random() < 0.6:
                    relationship, age = "spouse", rng.randrange(18, 55)
                    family = f"{rng.choice(FAMILY)} {rng.choice(FAMILY)}"
                else:
                    relationship, age = "child", rng.randrange(0, 17)
                    family = f"{family_first} {rng.choice(FAMILY)}"
                birth = intake - timedelta(days=age * 365 + rng.randrange(365))
                has_doc = relationship != "child" and rng.random() < 0.8
                document_number = f"{nationality}{rng.randrange(10**7):07d}" if has_doc else ""
                phone = (f"{PHONE_PREFIX.get(nationality, '+505')} {rng.randrange(10**7, 10**8)}"
                         if relationship == "principal" and rng.random() < 0.7 else "")
                name_key, initials = _keys(given, family, birth.year)
                keys = person_keys(given_names="", family_names="", date_of_birth=None,
                                   document_number=document_number, phone=phone)
                members_buf.write("\t".join(_esc(v) for v in (
                    next_member_id, case_id, relationship, given, family, sex, birth.isoformat(),
                    "t" if rng.random() < 0.05 else "f", nationality, "passport" if has_doc else "",
                    document_number, phone, "t" if rng.random() < 0.03 else "f",
                    name_key, initials, birth.year, keys.document_key, keys.phone_key,
                    "{" + ",".join(name_key.split()) + "}",
                )) + "\n")
                next_member_id += 1
                inserted_members += 1
            inserted_cases += 1
        with raw.transaction():
            with raw.cursor() as cur:
                cur.execute("SET LOCAL session_replication_role = replica")  # no audit (or FK) triggers
                with cur.copy(
                    "COPY cases_case (id, reference, programme_id, registering_office_id, registration_country, "
                    "destination_country, reception_centre_id, assigned_caseworker_id, status, caseworker_notes, "
                    "intake_date, created_by_id, created_at, updated_at, version, vulnerability_kinds) FROM STDIN"
                ) as copy:
                    copy.write(cases_buf.getvalue())
                with cur.copy(
                    "COPY cases_member (id, case_id, relationship, given_names, family_names, sex, date_of_birth, "
                    "date_of_birth_estimated, nationality, document_type, document_number, phone, "
                    "needs_medical_attention, name_key, family_initials, birth_year, document_key, phone_key, "
                    "name_tokens) "
                    "FROM STDIN"
                ) as copy:
                    copy.write(members_buf.getvalue())
        log(f"[bench]   {batch_end:,} cases, {inserted_members:,} new people, {time.perf_counter() - t0:.0f} s")
    with connection.cursor() as cursor:
        for table in ("cases_case", "cases_member"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        # COPY ran without the triggers that keep the name search's vocabulary: one set-based pass instead.
        cursor.execute("INSERT INTO cases_nameword (word) SELECT DISTINCT unnest(name_tokens) FROM cases_member "
                       "WHERE id >= %s ON CONFLICT DO NOTHING", [first_member_id])
    _vacuum(["cases_case", "cases_member", "cases_nameword"], log)
    return {"inserted_cases": inserted_cases, "inserted_members": inserted_members}


def _grants() -> int:
    """Group bench-team (with caseworker_tij) gets view_case on every 10th TIJ case, through the direct-FK table."""
    group, _ = Group.objects.get_or_create(name=GRANT_GROUP)
    User.objects.get(username="caseworker_tij").groups.add(group)
    permission = Permission.objects.get(content_type__app_label="cases", codename="view_case")
    tij = Office.objects.get(code="TIJ").pk
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(
                "INSERT INTO cases_casegroupobjectpermission (group_id, permission_id, content_object_id) "
                "SELECT %s, %s, id FROM cases_case WHERE registering_office_id = %s AND id %% %s = 0 "
                "ON CONFLICT DO NOTHING",
                [group.pk, permission.pk, tij, GRANT_MODULO],
            )
            added = cursor.rowcount
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")
        if added:
            cursor.execute("VACUUM ANALYZE cases_casegroupobjectpermission")
        cursor.execute("SELECT count(*) FROM cases_casegroupobjectpermission WHERE group_id = %s", [group.pk])
        return cursor.fetchone()[0]


def _vacuum(tables, log) -> None:
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {table}")
    log(f"[bench] VACUUM ANALYZE {', '.join(tables)}: {time.perf_counter() - t0:.0f} s")
