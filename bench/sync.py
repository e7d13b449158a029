"""Offline booth benchmark (issue #15): a day of queued registrations synced through `POST /api/v1/sync/`.

A tablet is enrolled for caseworker_tij at the Tijuana booth; BENCH_SYNC_N (default 500) households of 1-5 people
are queued as `register` operations captured over yesterday, and uploaded in batches of SYNC_BATCH_MAX through the
real API (Django's test Client, signed in), the duplicate check included (target: all of them in under a minute).
Then the same operations once more (every one a replay), and, as the baseline, the same households through the
online path, `POST /api/v1/cases/` one at a time with `confirm_duplicates`.

Households are drawn like bench.generate's people (its given names, so the duplicate check reads blocks as big as
real ones), with family names the generator never uses, so that only the planted ones are likely duplicates: every
20th principal is a copy of an existing person (name and birth date, ~5%) and every 100th carries an existing
document number. The cases, operations and the tablet are deleted afterwards (audit triggers off, as
bench.manifest does), also those of an earlier run that died half-way, so repeated runs stay comparable.

`run(results)` works in whatever database Django is connected to; alone: `python -m bench.sync` (the bench
database, migrated and seeded as bench.run does).
"""

import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta

OPERATIONS = 500
TARGET_S = 60.0
DEVICE_LABEL = "Bench sync tablet"
USERNAME = "caseworker_tij"
DUPLICATE_EVERY = 20  # every 20th principal is an existing person: ~5% likely duplicates
DOCUMENT_EVERY = 100  # and every 100th (offset 10) carries an existing document number
HOST = {"SERVER_NAME": "localhost", "HTTP_HOST": "localhost"}
# Surnames of the region that bench.generate never draws: a household of these is nobody already registered.
FRESH_FAMILY = ["Alvarado", "Barahona", "Canales", "Dubón", "Euceda", "Fiallos", "Gálvez", "Pavón",
                "Irías", "Jerezano", "Lagos", "Midence", "Nolasco", "Ochoa", "Pacheco", "Quezada", "Raudales",
                "Sevilla", "Turcios", "Umanzor", "Valladares", "Yanes", "Zúniga", "Bonilla", "Carías", "Duarte",
                "Espinal", "Figueroa", "Girón", "Hándal"]


def log(message: str) -> None:
    print(message, flush=True)


def percentile(samples: list, fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


# The households


def existing_people(count: int, rng, *, with_document: bool = False) -> list:
    """`count` existing people (principals with a birth date, or anyone with a document), spread over the table."""
    from django.db.models import Max

    from cases.models import Member

    people = Member.objects.exclude(document_number="") if with_document else Member.objects.filter(
        relationship="principal", date_of_birth__isnull=False)
    top = Member.objects.aggregate(top=Max("pk"))["top"] or 0
    found = []
    for _ in range(count * 3 if top else 0):  # a random start, then the next such person: one index read each
        person = people.filter(pk__gte=rng.randrange(1, top + 1)).order_by("pk").values(
            "given_names", "family_names", "date_of_birth", "sex", "nationality", "document_type",
            "document_number").first()
        if person and person not in found:
            found.append(person)
        if len(found) == count:
            break
    return found


def household_body(i: int, rng, day: date, copies: list, documents: list, tag: str) -> dict:
    """One household as the registration form sends it: a principal, maybe a spouse, children; 1-5 people."""
    from bench.generate import GIVEN_FEMALE, GIVEN_MALE, PHONE_PREFIX

    nationality = rng.choice(["HN", "HN", "SV", "GT"])
    size = rng.choices([1, 2, 3, 4, 5], weights=[40, 25, 18, 11, 6])[0]
    first = rng.choice(FRESH_FAMILY)
    members = []
    for n in range(size):
        sex = rng.choice(("female", "male"))
        given = rng.choice(GIVEN_FEMALE if sex == "female" else GIVEN_MALE)
        if n == 0:
            relationship, age, family = "principal", rng.randrange(18, 60), f"{first} {rng.choice(FRESH_FAMILY)}"
        elif n == 1 and rng.random() < 0.6:
            relationship, age = "spouse", rng.randrange(18, 55)
            family = f"{rng.choice(FRESH_FAMILY)} {rng.choice(FRESH_FAMILY)}"
        else:
            relationship, age, family = "child", rng.randrange(0, 17), f"{first} {rng.choice(FRESH_FAMILY)}"
        member = {"given_names": given, "family_names": family, "sex": sex, "nationality": nationality,
                  "relationship": relationship, "place_of_origin": rng.choice(["Choloma", "San Pedro Sula",
                                                                               "Santa Ana", "Quetzaltenango"])}
        if relationship == "child" and rng.random() < 0.3:
            member["estimated_age"] = max(age, 1)
        else:
            member["date_of_birth"] = (day - timedelta(days=age * 365 + rng.randrange(365))).isoformat()
        if relationship != "child" and rng.random() < 0.8:
            member.update(document_type="passport", document_number=f"BS{tag}{i:04d}{n}")
        if relationship == "principal" and rng.random() < 0.7:
            member["phone"] = f"{PHONE_PREFIX[nationality]} {rng.randrange(10**7, 10**8)}"
        members.append(member)
    principal = members[0]
    if i % DUPLICATE_EVERY == 0 and copies:
        # The same person registered before (at another booth, or in an earlier caravan).
        person = copies[(i // DUPLICATE_EVERY) % len(copies)]
        principal.update(given_names=person["given_names"], family_names=person["family_names"],
                         date_of_birth=person["date_of_birth"].isoformat(), sex=person["sex"],
                         nationality=person["nationality"] or nationality)
        principal.pop("estimated_age", None)
    if i % DOCUMENT_EVERY == 10 and documents:
        person = documents[(i // DOCUMENT_EVERY) % len(documents)]
        principal.update(document_type=person["document_type"] or "passport",
                         document_number=person["document_number"])
    return {"programme": "CARAVAN-2018", "office": "TIJ", "destination_country": nationality,
            "how_heard": rng.choice(["shelter", "word_of_mouth", "booth_outreach"]), "consent": {"type": "explicit"},
            "intake_date": day.isoformat(), "caseworker_notes": f"bench-sync {tag}", "members": members}


def households(count: int, *, seed: int) -> tuple[list, str, date]:
    rng = random.Random(seed)
    tag = f"{seed % 10**6:06d}"
    day = date.today() - timedelta(days=1)
    copies = existing_people(max(1, count // DUPLICATE_EVERY), rng)
    documents = existing_people(max(1, count // DOCUMENT_EVERY), rng, with_document=True)
    return [household_body(i, rng, day, copies, documents, tag) for i in range(count)], tag, day


def operations_for(bodies: list, prefix: str, day: date) -> list:
    """The tablet's queue: one register operation per household, captured 08:00-18:00 yesterday, in order."""
    start = datetime(day.year, day.month, day.day, 8, tzinfo=UTC)
    step = timedelta(seconds=10 * 3600 / max(len(bodies), 1))
    return [{"id": str(uuid.uuid4()), "sequence": n, "kind": "register", "form_version": "registration-1",
             "captured_at": (start + step * (n - 1)).isoformat().replace("+00:00", "Z"),
             "payload": {**body, "provisional_reference": f"{prefix}{n:04d}"}}
            for n, body in enumerate(bodies, 1)]


# The measures


def signed_in_client(user):
    from django.test import Client

    from accounts.mfa import MFA_STATE, VERIFIED

    client = Client(**HOST)
    client.force_login(user)
    session = client.session  # as if the second factor was given at sign-in
    session[MFA_STATE] = VERIFIED
    session.save()
    return client


def post(client, url: str, body: dict, expect: int = 200) -> dict:
    response = client.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code == expect, (url, response.status_code, response.content[:500])
    return response.json()


def tablet_enrol(client, count: int) -> dict:
    """Enrol the tablet with slip numbers for the whole queue in its first block.

    One block as big as the queue rather than `POST /api/v1/devices/{id}/references/` for more: that view locks
    the device row outside a transaction (TransactionManagementError, a 500) when requests are not atomic.
    """
    from django.conf import settings
    from django.test import override_settings

    with override_settings(SYNC_REFERENCE_BLOCK_SIZE=max(count, settings.SYNC_REFERENCE_BLOCK_SIZE)):
        device = post(client, "/api/v1/devices/", {"label": DEVICE_LABEL, "office": "TIJ"}, expect=201)
    assert device["reference_block"]["end"] >= count, device["reference_block"]
    return device


def upload(client, device: dict, operations: list, batch: int) -> tuple[float, float, list, list]:
    """The whole queue in batches, as the booth sends it on reconnect: the wall time, the app's CPU time (a busy
    machine stretches only the former), per-batch ms, results."""
    seconds, results = [], []
    oldest = operations[0]["captured_at"] if operations else None
    started, cpu_started = time.perf_counter(), time.process_time()
    for first in range(0, len(operations), batch):
        chunk = operations[first:first + batch]
        envelope = {"device": device["id"], "pending": len(operations) - first, "oldest_pending_at": oldest,
                    "storage": {"usage": 4_000_000, "quota": 2_000_000_000, "persisted": True}, "operations": chunk}
        batch_started = time.perf_counter()
        answer = post(client, "/api/v1/sync/", envelope)
        seconds.append((time.perf_counter() - batch_started) * 1000)
        results += answer["results"]
        oldest = chunk[-1]["captured_at"]
    return time.perf_counter() - started, time.process_time() - cpu_started, seconds, results


def online(client, bodies: list) -> tuple[float, float, int]:
    """The baseline: the same households through the online form's API, one request each."""
    flagged = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    for body in bodies:
        answer = post(client, "/api/v1/cases/", {**body, "confirm_duplicates": True}, expect=201)
        flagged += bool(answer.get("possible_duplicates"))
    return time.perf_counter() - started, time.process_time() - cpu_started, flagged


def run(results: dict, log=log, *, count: int | None = None, seed: int | None = None) -> dict:
    """Queue, sync, replay, register online; records results["sync_500"] (whatever the count, for the table)."""
    from django.conf import settings

    from accounts.models import User

    count = count or int(os.environ.get("BENCH_SYNC_N", OPERATIONS))
    seed = seed if seed is not None else int(time.time())
    batch = settings.SYNC_BATCH_MAX
    sync_data_delete()
    user = User.objects.get(username=USERNAME)
    client = signed_in_client(user)
    try:
        bodies, _tag, day = households(count, seed=seed)
        device = tablet_enrol(client, count)
        operations = operations_for(bodies, device["reference_block"]["prefix"], day)
        people = sum(len(b["members"]) for b in bodies)
        log(f"  {count} households ({people} people) queued on tablet {device['reference_block']['prefix']}; "
            f"batches of {batch}")

        sync_s, sync_cpu, per_batch, answered = upload(client, device, operations, batch)
        statuses = {}
        for result in answered:
            statuses[result["status"]] = statuses.get(result["status"], 0) + 1
        flagged = sum(1 for r in answered if r.get("possible_duplicates"))
        replay_s, _replay_cpu, replay_batch, replayed = upload(client, device, operations, batch)
        replay_ok = sum(1 for r in replayed if r["status"] == "replayed")
        sync_data_delete()  # the online path must not find the synced copies as duplicates

        online_s, online_cpu, online_flagged = online(client, bodies)
    finally:
        sync_data_delete()
    row = {"operations": count, "people": people, "batch_size": batch, "batches": len(per_batch),
           "seconds": round(sync_s, 2), "app_cpu_seconds": round(sync_cpu, 2), "ops_per_s": round(count / sync_s, 1) if sync_s else None,
           "batch_p50_ms": round(statistics.median(per_batch), 1), "batch_p95_ms": round(percentile(per_batch, 0.95), 1),
           "statuses": statuses, "possible_duplicates": flagged,
           "replay_seconds": round(replay_s, 2), "replayed": replay_ok,
           "replay_batch_p50_ms": round(statistics.median(replay_batch), 1),
           "online_seconds": round(online_s, 2), "online_app_cpu_seconds": round(online_cpu, 2),
           "online_possible_duplicates": online_flagged,
           "online_ms_per_case": round(online_s * 1000 / count, 1), "target_s": TARGET_S * count / OPERATIONS}
    row["ok"] = row["seconds"] <= row["target_s"] and statuses.get("applied", 0) == count and replay_ok == count
    results["sync_500"] = row
    log(f"  {f'sync of {count} registrations':<48} {row['seconds']:>7} s  {row['ops_per_s']} ops/s  per batch "
        f"p50 {row['batch_p50_ms']} ms  p95 {row['batch_p95_ms']} ms  (app CPU {row['app_cpu_seconds']} s; {statuses}; "
        f"{flagged} possible duplicates)")
    log(f"  {f'sync replay of {count}':<48} {row['replay_seconds']:>7} s  ({replay_ok} replayed)")
    log(f"  {f'online registration of {count} (baseline)':<48} {row['online_seconds']:>7} s  "
        f"({row['online_ms_per_case']} ms a case, app CPU {row['online_app_cpu_seconds']} s; {online_flagged} possible "
        "duplicates)")
    return row


def sync_data_delete() -> None:
    """Remove the bench tablet, its operations and every case it or the baseline created (this run's or a crashed
    run's); nothing else. Audit triggers off: bench rows are nobody's work."""
    from django.db import connection, transaction

    from cases.counts import case_counts_rebuild
    from cases.models import Case
    from sync.models import Device, SyncConflict, SyncOperation

    devices = Device.objects.filter(label=DEVICE_LABEL)
    cases = Case.objects.filter(caseworker_notes__startswith="bench-sync ", registering_office__code="TIJ")
    if not devices.exists() and not cases.exists():
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        SyncConflict.objects.filter(operation__device__in=devices).delete()
        SyncOperation.objects.filter(device__in=devices).delete()
        devices.delete()
        cases.delete()
    case_counts_rebuild()


def main() -> int:
    from bench.run import setup

    setup()
    from django.core.management import call_command
    from django.db import connection

    log(f"[bench] database {connection.settings_dict['NAME']}: migrate, seed_demo")
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case")
        log(f"[bench] sync: {cursor.fetchone()[0]:,} cases")
    results = {}
    run(results)
    return 0 if results["sync_500"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
