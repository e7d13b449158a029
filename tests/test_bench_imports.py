"""The import benchmark's pieces at a tiny scale: the partner's file it builds reads back whole, its planted
copies are found as duplicates, the figures are recorded, and nothing is left behind."""

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from bench import imports as bench_imports
from bench import run
from cases.models import Case
from imports.models import ImportBatch, ImportRow
from tests.factories import household


@pytest.fixture
def demo(db):
    from accounts.models import Office, Programme, User

    call_command("seed_demo", verbosity=0)
    caravan = Programme.objects.get(code="CARAVAN-2018")
    for _ in range(3):
        household(actor=User.objects.get(username="caseworker_tap"), programme=caravan,
                  office=Office.objects.get(code="TAP"))


def test_the_bench_file_has_both_sheets_with_every_household_and_person(demo, tmp_path):
    path = tmp_path / "partner.xlsx"

    built = bench_imports.xlsx_write(str(path), 12, seed=3)

    book = load_workbook(path, read_only=True)
    homes, people = book.worksheets
    assert (homes.title, people.title) == ("Households", "Members")
    assert sum(1 for _ in homes.iter_rows(min_row=2)) == 12
    assert sum(1 for _ in people.iter_rows(min_row=2)) == built["people"] >= 12


def test_the_import_bench_stages_both_files_records_its_figures_and_leaves_nothing_behind(demo):
    cases_before = Case.objects.count()
    results, lines = {}, []

    row = bench_imports.run(results, log=lines.append, count=25, small=5, seed=20, isolated=False)

    assert results["import_10000"] is row
    assert (row["households"], row["read"], row["rows"], row["small"]["rows"]) == (25, 25, 25, 5)
    assert row["valid"] == 25 and row["invalid"] == 0
    assert row["duplicates"] >= 1  # the first principal is a copy of an existing person
    assert row["seconds"] > 0 and row["parse_seconds"] > 0 and row["peak_rss_mb"] >= row["rss_before_mb"] > 0
    assert row["ok"] is True and "peak_growth_mb" in row
    assert any("import of 25 households" in line for line in lines)
    assert Case.objects.count() == cases_before
    assert not ImportBatch.objects.exists() and not ImportRow.objects.exists()


def test_the_final_table_carries_the_import_figures():
    results = [{"name": f"API list page 1 ({u})", "p95_ms": 20.0} for u in run.ROLES]
    results += [{"name": f"HTML /cases/ page 1 ({u})", "p95_ms": 30.0} for u in run.ROLES]
    results += [{"name": "API search by name (caseworker_tij)", "p95_ms": 10.0},
                {"name": "API registration of 3 with duplicate check", "p95_ms": 70.0}]
    documents = {"import_10000": {"seconds": 150.0, "target_s": 180.0, "peak_rss_mb": 300.0,
                                  "small": {"peak_rss_mb": 290.0}}}

    figures = {f["figure"]: f for f in run.final_figures(results, documents, None, None)}

    assert figures["import 10,000 households: parse + validate + dedup"]["ok"] is True
    assert figures["import peak memory, 10,000 households"]["value"] == 300.0
    assert figures["import peak memory, 2,000 households"]["value"] == 290.0
    missed = run.final_figures(results, {"import_10000": {"seconds": 200.0, "target_s": 180.0}}, None, None)
    assert next(f for f in missed if f["figure"].startswith("import 10,000"))["ok"] is False
