"""Manifest benchmark: a movement of 300 booked passengers, its PDF rendered five times (target: p95 <= 4 s).

Each timed render starts with the QR codes' cache empty (a movement drawn for the first time); one more render with
it full gives the figure for a manifest drawn again. Memory: one render in a forked child, which reports the growth
of its peak RSS (Pango, cairo and PIL included) and tracemalloc's peak of Python allocations.

`run(results)` works in whatever database Django is connected to (bench.run's avr_bench), needs the demo reference
data (it runs seed_demo if TIJ is missing), inserts its movement, households and bookings in bulk with the audit
triggers off, and deletes them again, also those of an earlier run that died half-way. Standalone, against the
database in DATABASE_URL as it is: `python -m bench.manifest`.
"""

import os
import statistics
import sys
import time
from datetime import date, timedelta

PASSENGERS = 300
RENDERS = 5
TARGET_P95_S = 4.0
MOVEMENT_REFERENCE = "BENCH-MANIFEST-300"
CASE_PREFIX = "BENCH-MF-"
HOUSEHOLD_SIZES = (1, 2, 3, 4)  # 10 people every 4 households


def log(message: str) -> None:
    print(message, flush=True)


def run(results: dict) -> dict:
    """Build the movement, time RENDERS renders of its manifest PDF, clean up; records results["manifest_pdf_300"]."""
    from travel.manifest import manifest_pdf
    from travel.qr import boarding_qr_png

    manifest_data_delete()
    try:
        movement = manifest_data_create()
        started = time.perf_counter()
        content = manifest_pdf(movement)  # warm-up: templates, fonts, the first layout
        first = time.perf_counter() - started
        samples, cpu = [], []
        for _ in range(RENDERS):
            boarding_qr_png.cache_clear()
            started, cpu_started = time.perf_counter(), time.process_time()
            manifest_pdf(movement)
            samples.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        cpu_started = time.process_time()
        manifest_pdf(movement)
        warm_cpu = time.process_time() - cpu_started
        memory = render_memory_in_child(movement)
    finally:
        manifest_data_delete()
    samples.sort()
    cpu.sort()
    # CPU time beside the wall clock: a busy machine (tests running alongside) stretches only the latter.
    row = {"passengers": PASSENGERS, "n": RENDERS, "first_s": round(first, 2),
           "p50_s": round(statistics.median(samples), 2), "cpu_p50_s": round(statistics.median(cpu), 2),
           "p95_s": round(samples[min(len(samples) - 1, int(round(0.95 * len(samples))) - 1)], 2),
           "cpu_p95_s": round(cpu[min(len(cpu) - 1, int(round(0.95 * len(cpu))) - 1)], 2),
           "cpu_warm_qr_s": round(warm_cpu, 2), **memory,
           "pages": pdf_pages(content), "bytes": len(content), "target_p95_s": TARGET_P95_S}
    row["ok"] = row["p95_s"] <= TARGET_P95_S
    results["manifest_pdf_300"] = row
    log(f"  {'manifest PDF, 300 passengers':<48} p50 {row['p50_s']:>6} s  p95 {row['p95_s']:>6} s  "
        f"(CPU p50 {row['cpu_p50_s']} s, p95 {row['cpu_p95_s']} s, QR cached {row['cpu_warm_qr_s']} s; "
        f"{row['pages']} pages, {row['bytes'] // 1024} KB, first {row['first_s']} s)")
    log(f"  {'manifest PDF, 300 passengers: memory':<48} peak RSS +{row['rss_growth_mb']} MB "
        f"(of {row['rss_peak_mb']} MB), Python allocations peak {row['tracemalloc_peak_mb']} MB")
    return row


def render_memory_in_child(movement) -> dict:
    """Render once in a forked child: its peak RSS before and after (so the render's own growth) and tracemalloc's
    peak; the parent's memory, grown by earlier renders, stays out of the figure."""
    import multiprocessing
    import resource
    import tracemalloc

    from django.db import connections

    from travel.manifest import manifest_pdf
    from travel.qr import boarding_qr_png

    def child(pipe):
        connections.close_all()  # the child opens its own connection, never the parent's socket
        boarding_qr_png.cache_clear()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        manifest_pdf(movement)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        pipe.send({"rss_peak_mb": round(after / 1024, 1), "rss_growth_mb": round((after - before) / 1024, 1),
                   "tracemalloc_peak_mb": round(peak / 2**20, 1)})
        pipe.close()

    connections.close_all()
    receiver, sender = multiprocessing.get_context("fork").Pipe(duplex=False)
    process = multiprocessing.get_context("fork").Process(target=child, args=(sender,))
    process.start()
    result = receiver.recv()
    process.join()
    return result


def pdf_pages(content: bytes) -> int | None:
    try:
        import io

        import pypdf
    except ImportError:  # pypdf is a test dependency
        return None
    return len(pypdf.PdfReader(io.BytesIO(content)).pages)


def _without_audit(cursor) -> None:
    # Bulk benchmark rows are not anybody's work: keep them out of the append-only audit log, as bench.generate does.
    cursor.execute("SET LOCAL session_replication_role = replica")


def manifest_data_create():
    """One bus convoy TIJ -> San Pedro Sula with PASSENGERS people in households of 1-4, each with a ready document."""
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Office, Programme, User
    from cases.counts import case_counts_rebuild

    ensure_reference_data()
    tij, sps = Office.objects.get(code="TIJ"), Office.objects.get(code="HN-SPS")
    programme = Programme.objects.get(code="CARAVAN-2018")
    officer = User.objects.get(username="movement_mx")
    departure = timezone.now() + timedelta(days=3)
    with transaction.atomic(), connection.cursor() as cursor:
        _without_audit(cursor)
        movement = movement_create(tij, sps, officer, departure)
        members = households_create(programme, tij, sps, officer, departure.date())
        bookings_create(movement, members, officer)
    case_counts_rebuild()  # the households went in without the triggers that keep the dashboards' counts
    return movement


def ensure_reference_data() -> None:
    from django.core.management import call_command

    from accounts.models import Office

    if not Office.objects.filter(code="TIJ").exists():
        call_command("seed_demo", verbosity=0)


def movement_create(tij, sps, officer, departure):
    from travel.models import Escort, Movement, MovementLeg

    movement = Movement.objects.create(
        reference=MOVEMENT_REFERENCE, mode="bus", carrier="Transportes del Pacífico", vehicle="Autobús 12",
        departure_office=tij, departure_place="Garita El Chaparral", departure_at=departure, reception_centre=sps,
        country=tij.country, capacity=PASSENGERS, status="confirmed", created_by=officer)
    MovementLeg.objects.bulk_create([
        MovementLeg(movement=movement, order=1, crossing_point="Ciudad Hidalgo – Tecún Umán",
                    expected_at=departure + timedelta(days=2)),
        MovementLeg(movement=movement, order=2, crossing_point="Agua Caliente", expected_at=departure + timedelta(days=3)),
    ])
    Escort.objects.bulk_create([Escort(movement=movement, name=name, kind=kind) for name, kind in (
        ("Lucía Gómez Ibáñez", "child"), ("Raúl Castillo", "operational"), ("Dra. Núñez", "medical"))])
    return movement


def households_create(programme, tij, sps, officer, day: date) -> list:
    """Households until PASSENGERS people: a principal, then a spouse, then children; some lone children (UMC)."""
    from bench.generate import FAMILY
    from cases.models import Case, Member
    from travel.models import TravelDocument

    cases, people = [], []
    while sum(len(p) for p in people) < PASSENGERS:
        i = len(cases)
        size = min(HOUSEHOLD_SIZES[i % len(HOUSEHOLD_SIZES)], PASSENGERS - sum(len(p) for p in people))
        lone_child = i % 25 == 0 and size == 1
        cases.append(Case(reference=f"{CASE_PREFIX}{i:05d}", programme=programme, registering_office=tij,
                          registration_country=tij.country, destination_country="HN", reception_centre=sps,
                          status="booked", created_by=officer, has_unaccompanied_child=lone_child))
        family = f"{FAMILY[i % len(FAMILY)]} {FAMILY[(i * 7 + 3) % len(FAMILY)]}"
        people.append([person(i, n, family, day, lone_child) for n in range(size)])
    Case.objects.bulk_create(cases)
    members = []
    for case, household in zip(cases, people):
        for member in household:
            member.case = case
            members.append(member)
    Member.objects.bulk_create(members)
    TravelDocument.objects.bulk_create([
        TravelDocument(member=m, type="consular_document", number=f"CE-{m.pk:07d}", status="ready",
                       issuing_consulate="Consulado de Honduras en Tijuana", issued_on=day - timedelta(days=10),
                       expires_on=day + timedelta(days=180), recorded_by=officer)
        for m in members if m.pk % 5])  # every fifth travels on the passport they registered with
    return members


def person(i: int, n: int, family: str, day: date, lone_child: bool):
    from bench.generate import GIVEN_FEMALE, GIVEN_MALE
    from cases.models import Member

    sex = "female" if (i + n) % 2 else "male"
    given = (GIVEN_FEMALE if sex == "female" else GIVEN_MALE)[(i * 3 + n) % 22]
    relationship, age = ("principal", 20 + i % 40) if n == 0 else ("spouse", 22 + i % 30) if n == 1 \
        else ("child", 2 + (i + n) % 15)
    if lone_child:
        age = 15
    return Member(relationship=relationship, given_names=given, family_names=family, sex=sex,
                  date_of_birth=day - timedelta(days=age * 365 + i % 300), nationality="HN",
                  document_type="passport" if relationship != "child" else "",
                  document_number=f"HN{i:05d}{n}" if relationship != "child" else "",
                  is_unaccompanied_child=lone_child)


def bookings_create(movement, members, officer) -> None:
    from travel.models import Booking

    Booking.objects.bulk_create([Booking(movement=movement, case_id=m.case_id, member=m, seat=seat, status="booked",
                                         booked_by=officer) for seat, m in enumerate(members, 1)])


def manifest_data_delete() -> None:
    """Remove the benchmark movement and its households (this run's or a crashed run's); nothing else."""
    from django.db import connection, transaction

    from cases.counts import case_counts_rebuild
    from cases.models import Case
    from travel.models import Booking, Movement

    with transaction.atomic(), connection.cursor() as cursor:
        _without_audit(cursor)
        cases = Case.objects.filter(reference__startswith=CASE_PREFIX)
        Booking.objects.filter(movement__reference=MOVEMENT_REFERENCE).delete()
        Booking.objects.filter(case__in=cases).delete()
        Movement.objects.filter(reference=MOVEMENT_REFERENCE).delete()
        cases.delete()
    case_counts_rebuild()


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avr.settings")
    os.environ.setdefault("DJANGO_DEBUG", "0")  # measured as in production: no template debugging
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-" + "k" * 50)
    os.environ.setdefault("DJANGO_SECURE", "0")
    import django

    django.setup()
    results = {}
    run(results)
    return 0 if results["manifest_pdf_300"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
