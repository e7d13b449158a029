"""Bulk import benchmark (issue #16): a 10,000-household XLSX read, checked and deduplicated at 1M cases.

The file is built like a partner's: the two sheets of imports/columns.py with English headers, BENCH_IMPORT_N
(default 10,000) households of 1-5 people drawn as bench.sync draws them (bench.generate's given names, surnames the
generator never uses), every 20th principal a copy of an existing person (name and birth date, ~5% likely
duplicates) and every 100th carrying an existing document number. What is timed is what happens before anyone
approves: the core's streamed reader (imports.reader.workbook_households) and batch_stage (the registration's
rules, the duplicate check within the file and against every existing case, the circuit breaker, the rows
written); not the merge. Target: under 3 minutes on 2 cores.

Memory: each file is staged in a forked child, whose peak resident size (ru_maxrss) is its own; a 2,000-household
file is staged the same way, so the two peaks side by side show whether memory grows with the file.

The batches and rows are deleted afterwards (and those of a run that died half-way); no case is created.
`run(results)` works in whatever database Django is connected to; alone: `python -m bench.imports` (the bench
database, migrated and seeded as bench.run does).
"""

import multiprocessing
import os
import resource
import sys
import tempfile
import time
from datetime import date

HOUSEHOLDS = 10_000
SMALL = 2_000
TARGET_S = 180.0
NAME_PREFIX = "bench-imports"
USERNAME = "caseworker_tij"


def log(message: str) -> None:
    print(message, flush=True)


def rss_mb() -> float:
    """This process's peak resident size so far, in MB (Linux reports ru_maxrss in kB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# The file


def xlsx_write(path: str, count: int, *, seed: int) -> dict:
    """The partner's workbook, written streamed (openpyxl write-only); returns what it holds."""
    from django.utils import translation
    from openpyxl import Workbook

    from bench.sync import households
    from imports.columns import (
        HOUSEHOLD_COLUMNS,
        HOUSEHOLDS_SHEET,
        MEMBER_COLUMNS,
        MEMBERS_SHEET,
    )

    bodies, _tag, _day = households(count, seed=seed)
    book = Workbook(write_only=True)
    with translation.override("en"):
        homes, people = book.create_sheet(str(HOUSEHOLDS_SHEET)), book.create_sheet(str(MEMBERS_SHEET))
        homes.append([str(c.label) for c in HOUSEHOLD_COLUMNS])
        people.append([str(c.label) for c in MEMBER_COLUMNS])
    members = 0
    for i, body in enumerate(bodies, 1):
        key = f"H{seed % 10**4:04d}-{i:05d}"
        flat = {"household_id": key, "destination_country": body["destination_country"],
                "intake_date": date.fromisoformat(body["intake_date"]), "how_heard": body["how_heard"],
                "consent_type": body["consent"]["type"], "caseworker_notes": f"{NAME_PREFIX} {seed}"}
        homes.append([flat.get(c.key) for c in HOUSEHOLD_COLUMNS])
        for member in body["members"]:
            row = {**member, "household_id": key}
            if row.get("date_of_birth"):
                row["date_of_birth"] = date.fromisoformat(row["date_of_birth"])
            people.append([row.get(c.key) for c in MEMBER_COLUMNS])
            members += 1
    book.save(path)
    return {"households": count, "people": members, "bytes": os.path.getsize(path)}


# The measure


def stage(path: str, *, tag: str) -> dict:
    """Read the file once alone (the parse), then read and stage it as the parse task does; times and counts."""
    from accounts.models import Office, Programme, User
    from imports.models import BatchKind, ImportBatch
    from imports.reader import workbook_households
    from imports.staging import batch_stage

    rss_before = rss_mb()
    started = time.perf_counter()
    with open(path, "rb") as handle:
        _total, households = workbook_households(handle)
        read = sum(1 for _ in households)
    parse_s = time.perf_counter() - started

    batch = ImportBatch.objects.create(
        kind=BatchKind.XLSX, programme=Programme.objects.get(code="CARAVAN-2018"),
        office=Office.objects.get(code="TIJ"), uploaded_by=User.objects.get(username=USERNAME),
        file_name=f"{NAME_PREFIX}-{tag}.xlsx", file_digest=f"{NAME_PREFIX}-{tag}-{time.time_ns()}", language="en")
    started, cpu_started = time.perf_counter(), time.process_time()
    with open(path, "rb") as handle:
        total, households = workbook_households(handle)
        batch = batch_stage(batch, households, total=total)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {"read": read, "parse_seconds": round(parse_s, 2), "seconds": round(seconds, 2),
            "app_cpu_seconds": round(cpu, 2), "status": batch.status, "rows": batch.rows, "valid": batch.valid,
            "invalid": batch.invalid, "new": batch.new, "duplicates": batch.duplicates,
            "rss_before_mb": rss_before, "peak_rss_mb": rss_mb()}


def _child(path: str, tag: str, answer) -> None:
    from django.db import connections

    connections.close_all()  # the parent's sockets are not this process's
    try:
        answer.put(stage(path, tag=tag))
    except Exception as error:  # noqa: BLE001 - the parent reports it; a child never raises past here
        answer.put({"error": repr(error)})
    finally:
        connections.close_all()


def stage_isolated(path: str, *, tag: str) -> dict:
    """`stage` in a forked child, so its peak memory is the file's own and not an earlier run's."""
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    answer = context.Queue()
    child = context.Process(target=_child, args=(path, tag, answer))
    child.start()
    row = answer.get()
    child.join()
    if "error" in row:
        raise RuntimeError(f"staging {tag} failed: {row['error']}")
    return row


def run(results: dict, log=log, *, count: int | None = None, small: int | None = None, seed: int | None = None,
        isolated: bool = True) -> dict:
    """Build the two files, stage each, clean up; records results["import_10000"] (whatever the count)."""
    count = count or int(os.environ.get("BENCH_IMPORT_N", HOUSEHOLDS))
    small = small or max(1, min(SMALL, count // 5))
    seed = seed if seed is not None else int(time.time())
    measure = stage_isolated if isolated else stage
    imports_data_delete()
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as folder:
        try:
            big_path, small_path = os.path.join(folder, "big.xlsx"), os.path.join(folder, "small.xlsx")
            built = time.perf_counter()
            big_file = xlsx_write(big_path, count, seed=seed)
            small_file = xlsx_write(small_path, small, seed=seed + 1)
            log(f"  files: {count} households ({big_file['people']} people, {big_file['bytes'] / 2**20:.1f} MB) and "
                f"{small} ({small_file['people']} people), built in {time.perf_counter() - built:.1f} s")
            small_run = measure(small_path, tag=f"{seed}-small")
            imports_data_delete()  # the small file's rows are not the big one's duplicates
            big_run = measure(big_path, tag=f"{seed}-big")
        finally:
            imports_data_delete()
    row = {"households": count, "people": big_file["people"], "file_mb": round(big_file["bytes"] / 2**20, 2),
           **big_run, "small": {"households": small, "people": small_file["people"], **small_run},
           "target_s": TARGET_S * count / HOUSEHOLDS}
    row["ms_per_household"] = round(row["seconds"] * 1000 / count, 2)
    row["peak_growth_mb"] = round(big_run["peak_rss_mb"] - small_run["peak_rss_mb"], 1)
    row["ok"] = row["seconds"] <= row["target_s"] and row["rows"] == count
    results["import_10000"] = row
    log(f"  {f'import of {count} households: parse+validate+dedup':<48} {row['seconds']:>7} s  "
        f"({row['ms_per_household']} ms a household, app CPU {row['app_cpu_seconds']} s; parse alone "
        f"{row['parse_seconds']} s; {row['valid']} valid, {row['invalid']} invalid, {row['new']} new, "
        f"{row['duplicates']} possible duplicates; {row['status']})")
    log(f"  {f'import of {small} households (memory baseline)':<48} {small_run['seconds']:>7} s  "
        f"peak RSS {small_run['peak_rss_mb']} MB (from {small_run['rss_before_mb']})")
    log(f"  {f'peak RSS, {count} households':<48} {big_run['peak_rss_mb']:>7} MB  (from {big_run['rss_before_mb']}; "
        f"{row['peak_growth_mb']:+} MB over the {small}-household file)")
    return row


def imports_data_delete() -> None:
    """Remove the bench's batches and their rows (this run's or a crashed run's); nothing else."""
    from django.db import connection, transaction

    from imports.models import ImportBatch, ImportRow

    batches = ImportBatch.objects.filter(file_name__startswith=f"{NAME_PREFIX}-")
    if not batches.exists():
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # bench rows are nobody's work: no audit
        ImportRow.objects.filter(batch__in=batches).delete()
        batches.delete()


def main() -> int:
    from bench.run import setup

    setup()
    from django.core.management import call_command
    from django.db import connection

    log(f"[bench] database {connection.settings_dict['NAME']}: migrate, seed_demo")
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM cases_case), (SELECT count(*) FROM cases_member)")
        cases, people = cursor.fetchone()
    log(f"[bench] imports: {cases:,} cases, {people:,} people; {os.cpu_count()} cores")
    results = {}
    run(results)
    return 0 if results["import_10000"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
