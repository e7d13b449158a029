"""The donor report's cross-tabs: sex × age band, child status × transport mode, nationality × sex, registration
site × country of return, with both margins and complementary suppression that leaves no hidden cell recoverable
from what is published (checked here with exact linear algebra of its own); the seed's figures read directly from
one report; and a past period's numbers unchanged by what happens after it."""

import random
from datetime import datetime, timedelta
from fractions import Fraction

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.aggregates import (
    CROSS_TABS,
    CrossTab,
    Table,
    cross_tab_name,
    margin_tables,
    values_in_order,
)
from reports.data import donor_report_data, report_json
from reports.models import ReturnFact
from reports.suppression import suppress_tables, with_percentages
from tests.test_erasure_requests import arrived  # noqa: F401  (the report's dataset closed and arrived, a fixture)
from tests.test_reports import returned  # noqa: F401
from tests.test_retention_anonymise import personal  # noqa: F401

THRESHOLD = 5


# An independent check: is a hidden number determined by the published equations?


def row_space(rows: list[dict]) -> list[tuple]:
    """A basis of the rows' span in reduced echelon form: (pivot, row) with the pivot 1 and zero in every other row;
    rows are sparse {column: Fraction}."""
    basis: list[tuple] = []
    for row in rows:
        row = reduced(dict(row), basis)
        if not row:
            continue
        pivot = min(row)
        lead = row[pivot]
        row = {col: value / lead for col, value in row.items()}
        basis = [(p, subtract(r, row, r.get(pivot, 0))) for p, r in basis]
        basis.append((pivot, row))
    return basis


def subtract(row: dict, other: dict, factor) -> dict:
    if not factor:
        return row
    out = dict(row)
    for col, value in other.items():
        out[col] = out.get(col, 0) - factor * value
        if out[col] == 0:
            del out[col]
    return out


def reduced(vector: dict, basis: list[tuple]) -> dict:
    for pivot, row in basis:
        vector = subtract(vector, row, vector.get(pivot, 0))
    return vector


def published_equations(tables: list[Table]) -> tuple[list[dict], set]:
    """Every additivity the published tables state, over named numbers, and the names of the hidden ones. A margin
    is the same number in every table that shows it (a cross-tab's margin and a one-dimension table alike)."""
    equations, hidden = [], set()

    def name(table, row, dims):
        key = ("total",) if not dims else ("margin", dims[0], row[dims[0]]) if len(dims) == 1 else (
            "cell", table.name, row[dims[0]], row[dims[1]])
        if row.get("suppressed"):
            hidden.add(key)
        return key

    for table in tables:
        total = name(table, {"suppressed": table.total_suppressed}, [])
        if isinstance(table, CrossTab):
            rows_dim, columns_dim = table.dimensions
            for margin, dim, other in ((table.row_totals, rows_dim, columns_dim),
                                       (table.column_totals, columns_dim, rows_dim)):
                for row in margin:
                    cells = [cell for cell in table.rows if cell[dim] == row[dim]]
                    equations.append({**{name(table, c, table.dimensions): 1 for c in cells},
                                      name(table, row, [dim]): -1})
                equations.append({**{name(table, row, [dim]): 1 for row in margin}, total: -1})
        else:
            equations.append({**{name(table, row, table.dimensions): 1 for row in table.rows}, total: -1})
    return equations, hidden


def determined(tables: list[Table]) -> set:
    """The hidden numbers whose unit vector lies in the row space of the equations restricted to hidden numbers."""
    equations, hidden = published_equations(tables)
    basis = row_space([{key: Fraction(c) for key, c in eq.items() if key in hidden and c} for eq in equations])
    return {key for key in hidden if not reduced({key: Fraction(1)}, basis)}


# Tables from people


def crossed(people: list[dict]) -> list[Table]:
    """The four cross-tabs and their seven margin tables, as the report builds them, from a list of people."""
    tables = []
    for rows, columns in CROSS_TABS:
        counts: dict = {}
        for person in people:
            key = (person[rows], person[columns])
            counts[key] = counts.get(key, 0) + 1
        row_values, column_values = values_in_order(rows, counts, 0), values_in_order(columns, counts, 1)
        cells = [{rows: r, columns: c, "count": counts.get((r, c), 0)} for r in row_values for c in column_values]
        tables.append(CrossTab(cross_tab_name(rows, columns), [rows, columns], cells, row_values=row_values,
                               column_values=column_values))
    return [*margin_tables(tables), *tables]


def published(people: list[dict], threshold: int = THRESHOLD) -> list[Table]:
    return [with_percentages(t) for t in suppress_tables(crossed(people), threshold)]


def small_numbers_hidden(tables: list[Table], threshold: int) -> bool:
    for table in tables:
        numbers = [*table.rows, {"count": table.total, "suppressed": table.total_suppressed}]
        if isinstance(table, CrossTab):
            numbers += [*table.row_totals, *table.column_totals]
        if any(0 < n["count"] < threshold and not n["suppressed"] for n in numbers):
            return False
    return True


person = st.fixed_dictionaries({
    "sex": st.sampled_from(["male", "female"]),
    "age_band": st.sampled_from(["0-4", "5-11", "12-17", "18-24", "25-59", "60+"]),
    "child_status": st.sampled_from(["adult", "accompanied_child", "unaccompanied_child"]),
    "transport_mode": st.sampled_from(["bus", "flight"]),
    "nationality": st.sampled_from(["HN", "SV", "GT", "NI"]),
    "office": st.sampled_from(["TUM", "TAP", "MEX", "TIJ"]),
    "country_of_return": st.sampled_from(["HN", "SV", "GT"]),
})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(person, min_size=1, max_size=120), st.sampled_from([2, 3, 5]))
def test_no_hidden_number_of_the_cross_tabs_is_determined_by_what_they_publish(people, threshold):
    tables = published(people, threshold)

    assert small_numbers_hidden(tables, threshold)
    assert determined(tables) == set()
    # the same number is hidden in the cross-tab's margin and in its one-dimension table, or shown in both
    for table in tables:
        if table.margin_of:
            cross = next(t for t in tables if t.name == table.margin_of[0])
            margin = cross.row_totals if table.margin_of[1] == "rows" else cross.column_totals
            assert [r["suppressed"] for r in table.rows] == [r["suppressed"] for r in margin]


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.data())
def test_no_hidden_cell_of_a_random_grid_can_be_recovered_from_its_totals(height, width, data):
    counts = [[data.draw(st.sampled_from([0, 1, 2, 3, 4, 6, 9, 15, 40])) for _ in range(width)]
              for _ in range(height)]
    rows, columns = [f"r{i}" for i in range(height)], [f"c{j}" for j in range(width)]
    cells = [{"nationality": r, "sex": c, "count": counts[i][j]}
             for i, r in enumerate(rows) for j, c in enumerate(columns)]
    table = CrossTab("grid", ["nationality", "sex"], cells, row_values=rows, column_values=columns)

    suppress_tables([table], THRESHOLD)

    assert small_numbers_hidden([table], THRESHOLD)
    assert determined([table]) == set()
    if table.total >= THRESHOLD:
        assert not table.total_suppressed  # the pipeline publishes it: never a complementary cell


def test_two_cycles_joined_by_one_cell_get_that_cell_protected():
    """Every row and column with two hidden cells is not enough: a hidden cell joining two cycles of hidden cells is
    still their difference, so suppression hides more until it is in a cycle itself."""
    grid = [[1, 1, 9, 9, 30], [1, 1, 1, 9, 30], [9, 9, 1, 1, 30], [9, 9, 1, 1, 30], [30, 30, 30, 30, 30]]
    rows, columns = [f"r{i}" for i in range(5)], [f"c{j}" for j in range(5)]
    table = CrossTab("grid", ["nationality", "sex"], [
        {"nationality": r, "sex": c, "count": grid[i][j]} for i, r in enumerate(rows) for j, c in enumerate(columns)],
        row_values=rows, column_values=columns)

    suppress_tables([table], THRESHOLD)

    assert determined([table]) == set()
    assert sum(cell["suppressed"] for cell in table.rows) > sum(0 < n < 5 for row in grid for n in row)


def test_the_check_finds_what_subtraction_gives_away():
    """The check itself: two hidden cells joined by nothing but their row give each other away through the
    columns; the cell joining two cycles of hidden cells is their difference."""
    rows, columns = ["r0", "r1"], ["c0", "c1"]
    table = CrossTab("grid", ["nationality", "sex"], [
        {"nationality": r, "sex": c, "count": 3, "suppressed": (r, c) in {("r0", "c0"), ("r0", "c1")}}
        for r in rows for c in columns], row_values=rows, column_values=columns)
    table.row_totals = [{"nationality": r, "count": 6, "suppressed": False} for r in rows]
    table.column_totals = [{"sex": c, "count": 6, "suppressed": False} for c in columns]
    table.total, table.total_suppressed = 12, False

    assert determined([table]) == {("cell", "grid", "r0", "c0"), ("cell", "grid", "r0", "c1")}
    for cell in table.rows:
        cell["suppressed"] = True  # a full cycle: nothing follows
    assert determined([table]) == set()


def test_a_small_margin_is_hidden_in_the_cross_tab_and_in_its_own_table_alike():
    people = [{"sex": "female", "age_band": "25-59", "child_status": "adult", "transport_mode": "bus",
               "nationality": "HN", "office": "TIJ", "country_of_return": "HN"}] * 3 + [
        {"sex": "male", "age_band": "25-59", "child_status": "adult", "transport_mode": "bus",
         "nationality": "HN", "office": "TIJ", "country_of_return": "HN"}] * 30
    tables = {t.name: t for t in published(people)}

    by_sex = {r["sex"]: r["suppressed"] for r in tables["returned_by_sex"].rows}
    margin = {r["sex"]: r["suppressed"] for r in tables["returned_by_sex_and_age_band"].row_totals}
    crossed_margin = {r["sex"]: r["suppressed"] for r in tables["returned_by_nationality_and_sex"].column_totals}
    assert by_sex == margin == crossed_margin == {"male": True, "female": True}
    assert not tables["returned_by_sex"].total_suppressed  # 33 people: the total stands, both sexes hide


# The seed's figures, read from one report


def seed_people() -> list[dict]:
    """453 returns of three weeks of Nov 2018: 84% men; Honduras 57%, El Salvador 38%, Guatemala 5%; 25
    unaccompanied children by plane, 50 accompanied children, 378 adults."""
    countries = ["HN"] * 258 + ["SV"] * 172 + ["GT"] * 23
    people, women = [], 0
    for i, country in enumerate(countries):
        if i % 18 == 0 and i < 450:
            status, mode, band = "unaccompanied_child", "flight", "12-17"
        elif i % 9 == 3:
            status, mode, band = "accompanied_child", "flight" if i % 45 == 3 else "bus", ["0-4", "5-11", "12-17"][
                i % 3]
        else:
            status, mode, band = "adult", "flight" if i % 21 == 1 else "bus", "60+" if i % 50 == 7 else [
                "18-24", "25-59", "25-59"][i % 3]
        sex = "male"
        if i % 6 == 5 and women < 72:
            sex, women = "female", women + 1
        people.append({"sex": sex, "age_band": band, "child_status": status, "transport_mode": mode,
                       "nationality": country, "office": ["TUM", "TAP", "MEX", "TIJ"][i % 4],
                       "country_of_return": country})
    return people


def test_the_seed_table_keeps_its_hidden_cells_hidden():
    tables = published(seed_people())

    assert small_numbers_hidden(tables, THRESHOLD)
    assert determined(tables) == set()


@pytest.fixture
def seed_returns(db, caravan, tum, tap, tij, sps, movement_officer):
    """The seed's 453 returns as report facts, inserted directly (as bench data is), on a bus and a flight."""
    from tests.factories import OfficeFactory
    from travel.models import Movement

    offices = {"TUM": tum, "TAP": tap, "TIJ": tij, "MEX": OfficeFactory(code="MEX", name="Ciudad de México")}
    left = timezone.make_aware(datetime(2018, 11, 20, 8, 0))
    movements = {mode: Movement.objects.create(
        reference=f"SEED-{mode}", mode=mode, carrier="Seed", departure_office=tap, departure_at=left,
        departed_at=left, reception_centre=sps, country="MX", capacity=500, status="departed",
        created_by=movement_officer) for mode in ("bus", "flight")}
    people = seed_people()
    random.Random(453).shuffle(people)
    ReturnFact.objects.bulk_create([ReturnFact(
        programme=caravan, movement=movements[p["transport_mode"]], departed_at=left + timedelta(minutes=n),
        office=offices[p["office"]], days_from_registration=12,
        **{k: v for k, v in p.items() if k != "office"}) for n, p in enumerate(people)])
    return people


def test_the_seed_figures_read_directly_from_one_reports_cross_tabs(seed_returns, caravan):
    from datetime import date

    body = report_json(donor_report_data(programme=caravan, period_start=date(2018, 11, 1),
                                         period_end=date(2018, 11, 21), generated_at=timezone.now()))
    crossed = body["cross_tabs"]

    sex_by_age = crossed["returned_by_sex_and_age_band"]
    assert sex_by_age["total"] == 453
    assert {r["sex"]: (r["count"], r["percent"]) for r in sex_by_age["row_totals"]} == {
        "male": (381, 84), "female": (72, 16)}
    site_by_country = crossed["returned_by_office_and_country_of_return"]
    assert {r["country_of_return"]: r["percent"] for r in site_by_country["column_totals"]} == {
        "HN": 57, "SV": 38, "GT": 5}
    child_by_mode = crossed["returned_by_child_status_and_transport_mode"]
    assert {(c["child_status"], c["transport_mode"]): c["count"] for c in child_by_mode["cells"]}[
        ("unaccompanied_child", "flight")] == 25
    assert [r["count"] for r in body["tables"]["pipeline"] if r["stage"] == "returned"] == [453]


# Returns counted from facts written at the departure


def test_a_departure_writes_one_fact_per_person_on_board_with_the_day_of_travel(returned):  # noqa: F811
    from travel.models import Booking

    _the_family, girl = returned
    facts = ReturnFact.objects.all()

    assert facts.count() == Booking.objects.filter(status="boarded").count() == 4
    girl_fact = facts.get(booking__member__case=girl)
    assert (girl_fact.child_status, girl_fact.age_band, girl_fact.office.code, girl_fact.transport_mode) == (
        "unaccompanied_child", "12-17", "TIJ", "bus")
    assert girl_fact.departed_at == girl_fact.movement.departed_at


def test_returns_are_counted_by_when_the_movement_left_not_by_its_plan(returned, caravan):  # noqa: F811
    from travel.models import Movement

    Movement.objects.update(departure_at=timezone.now() - timedelta(days=400))
    today = timezone.localdate()

    data = donor_report_data(programme=caravan, period_start=today, period_end=today,
                             generated_at=timezone.now(), suppressed=False)

    assert {r["stage"]: r["count"] for r in data.table("pipeline").rows}["returned"] == 4
    assert sum(r["count"] for r in data.table("returns_per_week").rows) == 4


def test_a_past_periods_report_gives_the_same_numbers_after_what_happens_later(
        arrived, supervisor, movement_officer, ready_family, tap, sps, caravan, monkeypatch):  # noqa: F811
    """Run the report of the last thirty days; then, later: the girl's case moves to Tapachula, the father's
    nationality and country of return are corrected, the girl is anonymised and the father erased, and another
    family leaves three days on. The same report, run again, gives the same numbers, suppressed or not."""
    from cases.models import Case, Member
    from retention.services import case_anonymise
    from tests.reception_steps import departed
    from tests.travel_steps import convoy, with_child_escort

    the_family, girl, jorge, _ = arrived
    today = timezone.localdate()
    period = {"programme": caravan, "period_start": today - timedelta(days=30), "period_end": today}

    def numbers(**kwargs):
        body = report_json(donor_report_data(generated_at=timezone.now(), **period, **kwargs))
        body.pop("generated_at")
        return body

    before, before_exact = numbers(), numbers(suppressed=False)

    Case.objects.filter(pk=girl.pk).update(registering_office=tap)
    Member.objects.filter(pk=jorge.pk).update(nationality="GT", sex="female")
    Case.objects.filter(pk=the_family.pk).update(destination_country="SV")
    case_anonymise(case_id=girl.pk, actor=supervisor)
    from rights.services import member_erasure_request

    member_erasure_request(actor=supervisor, member_id=jorge.pk, reason="No quiere que guarden sus datos")
    later = timezone.now() + timedelta(days=3)
    monkeypatch.setattr(timezone, "now", lambda: later)
    bus = with_child_escort(convoy(movement_officer, ready_family.registering_office, sps, days_ahead=1),
                            movement_officer)
    departed(bus, movement_officer, [ready_family])

    assert ReturnFact.objects.count() == 4 + ready_family.members.count()
    assert numbers() == before
    assert numbers(suppressed=False) == before_exact
    assert before_exact["cross_tabs"]["returned_by_office_and_country_of_return"]["cells"] == [
        {"office": "TIJ", "country_of_return": "HN", "count": 4, "percent": None}]


def test_anonymising_or_erasing_cuts_the_facts_link_to_the_person(arrived, supervisor):  # noqa: F811
    from rights.services import member_erasure_request

    _the_family, girl, jorge, _ = arrived
    member_erasure_request(actor=supervisor, member_id=jorge.pk, reason="No quiere que guarden sus datos")
    from retention.services import case_anonymise

    case_anonymise(case_id=girl.pk, actor=supervisor)

    assert ReturnFact.objects.count() == 4
    assert sorted(ReturnFact.objects.filter(booking__isnull=False).values_list("booking__member__given_names",
                                                                                flat=True)) == ["Ana Lucía", "Kevin"]



# Every format prints the cross-tabs


def small_report(caravan):
    """The report's family and girl at threshold 2: by sex and age band, each adult and each child is alone in a
    cell, so all four are hidden; the totals by sex (2 and 2) and of adults (2) stand."""
    caravan.suppression_threshold = 2
    caravan.save()
    return donor_report_data(programme=caravan, generated_at=timezone.now(), period_start=timezone.localdate()
                             - timedelta(days=30), period_end=timezone.localdate())


SEX_BY_AGE = {  # (sex, age band) -> as printed; sex totals last, age band totals in the last row
    ("female", "5-11"): "0", ("female", "12-17"): "<2", ("female", "25-59"): "<2", ("female", "_total"): "2",
    ("male", "5-11"): "<2", ("male", "12-17"): "0", ("male", "25-59"): "<2", ("male", "_total"): "2",
    ("_total", "5-11"): "<2", ("_total", "12-17"): "<2", ("_total", "25-59"): "2", ("_total", "_total"): "4",
}


def test_the_json_has_each_cross_tab_with_its_cells_margins_and_total(returned, caravan):  # noqa: F811
    body = report_json(small_report(caravan))

    grid = body["cross_tabs"]["returned_by_sex_and_age_band"]
    shown = {(c["sex"], c["age_band"]): str(c["count"]) for c in grid["cells"]}
    shown |= {(r["sex"], "_total"): str(r["count"]) for r in grid["row_totals"]}
    shown |= {("_total", c["age_band"]): str(c["count"]) for c in grid["column_totals"]}
    shown[("_total", "_total")] = str(grid["total"])
    assert (grid["rows"], grid["columns"]) == ("sex", "age_band")
    assert shown == SEX_BY_AGE
    assert [r["percent"] for r in grid["row_totals"]] == [50, 50]
    assert set(body["cross_tabs"]) == {cross_tab_name(*pair) for pair in CROSS_TABS}
    assert not set(body["cross_tabs"]) & set(body["tables"])


def test_the_csv_has_a_row_per_cell_then_the_margins_and_the_total(returned, caravan):  # noqa: F811
    import csv
    import io

    from django.utils import translation

    from reports.formats import render

    with translation.override("en"):
        content, _ = render(small_report(caravan), "csv")

    rows = [r for r in csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
            if r["Table"] == "returned_by_sex_and_age_band"]
    assert {r["Dimension"] for r in rows} == {"sex;age_band"}
    assert {tuple(r["Value"].split(";")) if ";" in r["Value"] else ("_total", "_total"): r["Count"]
            for r in rows} == SEX_BY_AGE


def test_the_spreadsheet_has_a_sheet_per_cross_tab_as_a_grid_with_totals(returned, caravan):  # noqa: F811
    import io

    from django.utils import translation
    from openpyxl import load_workbook

    from reports.formats import render

    with translation.override("en"):
        content, _ = render(small_report(caravan), "xlsx")

    sheet = load_workbook(io.BytesIO(content))["Returned, by sex and age band"]
    grid = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert grid[0] == ["Sex \\ Age band", "5–11", "12–17", "25–59", "Total", "Percent", "Sex (code)"]
    assert grid[1] == ["Female", 0, "<2", "<2", 2, 0.5, "female"]
    assert grid[2] == ["Male", "<2", 0, "<2", 2, 0.5, "male"]
    assert grid[3][:5] == ["Total", "<2", "<2", 2, 4]
    assert grid[5][:4] == ["Age band (code)", "5-11", "12-17", "25-59"]


def test_the_pdf_prints_each_cross_tab_as_a_grid_in_both_languages(returned, caravan):  # noqa: F811
    import re

    from reports.formats import render
    from tests.test_report_formats import pdf_text

    text = pdf_text(render(small_report(caravan), "pdf")[0])

    assert "Retornados, por sexo y grupo de edad / Returned, by sex and age band" in text
    assert re.search(r"Mujer / Female\s+0\s+<2\s+<2\s+2 \(50%\)", text)
    assert re.search(r"Hombre / Male\s+<2\s+0\s+<2\s+2 \(50%\)", text)
    assert re.search(r"Total\s+<2\s+<2\s+2 \(50%\)\s+4", text)
    assert "Los retornos se cuentan según la hora en que el movimiento salió de verdad" in re.sub(r"\s+", " ", text)


def test_the_json_report_with_its_cross_tabs_answers_as_its_schema_documents(
        seed_returns, supervisor, caravan, django_capture_on_commit_callbacks, settings, tmp_path):
    import schemathesis

    from avr.wsgi import application
    from tests.test_openapi_contract import Contract, connection_kept_across_requests

    settings.MEDIA_ROOT = tmp_path
    with connection_kept_across_requests():
        contract = Contract(schemathesis.openapi.from_wsgi(
            "/api/v1/schema/", application, headers={"Accept": "application/vnd.oai.openapi+json"}))
        with django_capture_on_commit_callbacks(execute=True):
            report = contract(supervisor, "POST /api/v1/reports/", status=202, body={
                "kind": "donor", "programme": caravan.code, "period_start": "2018-11-01",
                "period_end": "2018-11-30", "format": "json"})
        body = contract(supervisor, "GET /api/v1/reports/{id}/download/", path={"id": report["id"]})

    cells = body["cross_tabs"]["returned_by_child_status_and_transport_mode"]["cells"]
    assert {"child_status": "unaccompanied_child", "transport_mode": "flight", "count": 25, "percent": None} in cells


def test_the_backfill_gives_the_facts_the_departure_wrote(returned):  # noqa: F811
    import importlib
    from types import SimpleNamespace

    from django.db import connection

    backfill = importlib.import_module("reports.migrations.0003_return_facts_backfill").backfill
    fields = [f.attname for f in ReturnFact._meta.concrete_fields if f.name != "id"]
    written = list(ReturnFact.objects.order_by("booking_id").values(*fields))
    ReturnFact.objects.all().delete()

    backfill(None, SimpleNamespace(connection=connection))

    assert list(ReturnFact.objects.order_by("booking_id").values(*fields)) == written
    assert len(written) == 4
