"""The import's two spreadsheets: the template a partner fills in, and their own file back with the errors marked."""

import io

import pytest
from django.core.files.base import ContentFile
from openpyxl import load_workbook

from audit.models import AuditAction, AuditEvent
from imports.models import BatchStatus, ImportBatch, ImportRow, RowStatus
from imports.xlsx import errors_xlsx, template_xlsx
from tests.conftest import api_as
from tests.import_steps import household_row, member_row, workbook_bytes

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def opened(content: bytes):
    return load_workbook(io.BytesIO(content))


def validations(sheet) -> dict[str, str]:
    """The first cell's column letter of each list validation -> its formula."""
    return {str(dv.sqref).split(":")[0].rstrip("0123456789"): dv.formula1
            for dv in sheet.data_validations.dataValidation if dv.type == "list"}


def list_values(book, formula: str) -> list[str]:
    sheet_name, cells = formula.rsplit("!", 1)
    sheet = book[sheet_name.strip("'")]
    first, last = cells.replace("$", "").split(":")
    return [cell.value for (cell,) in sheet[first:last]]


def test_the_template_has_both_sheets_with_headers_in_spanish_and_in_english(caravan):
    spanish = opened(template_xlsx(programme=caravan, language="es"))
    english = opened(template_xlsx(programme=caravan, language="en"))

    assert {"Hogares", "Integrantes"} <= set(spanish.sheetnames)
    assert {"Households", "Members"} <= set(english.sheetnames)
    assert [c.value for c in english["Households"][1]][:3] == ["Household ID", "Country of return", "Intake date"]
    assert spanish["Hogares"]["A1"].value == "ID del hogar"
    assert "Given names" in [c.value for c in english["Members"][1]]
    required = {c.value for c in english["Members"][1] if c.comment is not None}
    assert {"Household ID", "Given names", "Sex"} <= required and "Phone" not in required


def test_every_code_column_has_a_dropdown_of_labels_and_the_country_of_return_only_the_programmes(caravan):
    book = opened(template_xlsx(programme=caravan, language="en"))
    households, members = book["Households"], book["Members"]

    household_lists = validations(households)
    assert list_values(book, household_lists["B"]) == ["Guatemala", "Honduras", "El Salvador"]
    assert "Explicit" in list_values(book, household_lists["E"])
    member_lists = validations(members)
    assert set(member_lists) == {"B", "E", "H", "I", "K", "M"}
    assert "Principal" in list_values(book, member_lists["B"])
    assert "Mexico" in list_values(book, member_lists["H"])  # nationalities are every country
    lists_sheet = household_lists["B"].rsplit("!", 1)[0].strip("'")
    assert book[lists_sheet].sheet_state == "hidden"
    assert households.column_dimensions["C"].number_format == "yyyy-mm-dd"
    assert members.column_dimensions["F"].number_format == "yyyy-mm-dd"


def test_the_example_household_of_three_is_in_the_instructions_not_in_the_data_sheets(caravan):
    book = opened(template_xlsx(programme=caravan, language="en"))

    assert book["Households"].max_row == 1 and book["Members"].max_row == 1
    text = [c.value for row in book["Instructions"].iter_rows() for c in row if c.value]
    assert sum(1 for value in text if value == "H-001") == 4  # the household and its three people
    assert "Ana Lucía" in text and "Kevin" in text


def test_the_template_is_read_back_by_the_importer_once_filled_in(caravan):
    from imports.reader import workbook_households

    book = opened(template_xlsx(programme=caravan, language="es"))
    book["Hogares"].append(["H-1", "Honduras", None, "Consulado", "Explícito"])
    book["Integrantes"].append(["H-1", "Titular", "Ana", "Reyes", "Mujer", None, 30, "Honduras"])
    out = io.BytesIO()
    book.save(out)
    out.seek(0)

    _total, households = workbook_households(out)
    household = next(iter(households))

    assert household.data["destination_country"] == "HN" and household.data["consent"]["type"] == "explicit"
    assert household.data["members"][0]["sex"] == "female"


def batch_with_errors(caseworker, caravan, tij, content: bytes, digest: str = "d") -> ImportBatch:
    batch = ImportBatch.objects.create(programme=caravan, office=tij, uploaded_by=caseworker, file_name="lista.xlsx",
                                       file_digest=digest * 64, language="en", status=BatchStatus.VALIDATED, invalid=2)
    batch.file.save("lista.xlsx", ContentFile(content))
    ImportRow.objects.create(batch=batch, household_key="HH-1", sheet_row=2, member_rows=[2], status=RowStatus.VALID)
    ImportRow.objects.create(batch=batch, household_key="HH-2", sheet_row=3, member_rows=[3, 4],
                             status=RowStatus.INVALID, errors={
                                 "households": {"destination_country": ["“Atlantis” is not one of the choices."]},
                                 "members": {"4": {"date_of_birth": ["Not a date."], "sex": ["Choose a sex."]}}})
    ImportRow.objects.create(batch=batch, household_key="HH-3", sheet_row=4, member_rows=[5],
                             status=RowStatus.INVALID, errors={
                                 "households": {"members": ["The household has no principal."]}})
    return batch


@pytest.fixture
def marked(caseworker, caravan, tij):
    content = workbook_bytes(
        [household_row(1, notes="=HYPERLINK(\"http://x\",\"y\")"), household_row(2, country="Atlantis"),
         household_row(3)],
        [member_row(1), member_row(2), member_row(2, "child", born="someday", sex="robot"),
         member_row(3, "spouse")])
    return batch_with_errors(caseworker, caravan, tij, content)


def test_the_errors_file_marks_exactly_the_bad_cells_with_their_messages(marked):
    book = opened(errors_xlsx(marked))
    households, members = book["Households"], book["Members"]

    red = {(c.coordinate) for sheet in (households, members) for row in sheet.iter_rows(min_row=2) for c in row
           if c.fill.fgColor.rgb == "00FFC7CE"}
    assert red == {"B3", "E4", "F4"}
    assert households["B3"].comment.text == "“Atlantis” is not one of the choices."
    assert members["F4"].comment.text == "Not a date." and members["E4"].comment.text == "Choose a sex."
    assert households["A2"].comment is None and members["A2"].comment is None


def test_the_errors_column_holds_each_rows_messages_and_the_whole_households_too(marked):
    book = opened(errors_xlsx(marked))
    households, members = book["Households"], book["Members"]

    assert households["I1"].value == "Errors" and members["Q1"].value == "Errors"
    assert households["I2"].value is None and members["Q2"].value is None  # rows without errors are untouched
    assert households["I3"].value == "Country of return: “Atlantis” is not one of the choices."
    assert households["I4"].value == "The household has no principal."
    assert members["Q4"].value == "Sex: Choose a sex.\nDate of birth: Not a date."  # in column order


def test_the_errors_file_is_in_the_batchs_language(marked):
    marked.language = "es"
    marked.save()

    book = opened(errors_xlsx(marked))

    assert book["Households"]["I1"].value == "Errores"
    assert book["Households"]["I3"].value.startswith("País de retorno: ")


def test_formula_like_text_stays_text_in_the_errors_file(marked):
    book = opened(errors_xlsx(marked))

    cell = book["Households"]["H2"]
    assert cell.value == "=HYPERLINK(\"http://x\",\"y\")" and cell.data_type == "s" and cell.quotePrefix


def test_an_errors_file_uploaded_again_reuses_its_errors_column(marked, caseworker, caravan, tij):
    again = batch_with_errors(caseworker, caravan, tij, errors_xlsx(marked), digest="e")

    book = opened(errors_xlsx(again))

    headers = [c.value for c in book["Households"][1]]
    assert headers.count("Errors") == 1


def test_the_template_api_answers_in_the_users_language_and_refuses_an_unknown_programme(caseworker, caravan):
    client = api_as(caseworker)

    response = client.get("/api/v1/imports/template.xlsx", {"programme": caravan.code, "language": "en"})
    unknown = client.get("/api/v1/imports/template.xlsx", {"programme": "NOPE"})

    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert "Households" in opened(response.content).sheetnames
    assert unknown.status_code == 400 and unknown.json()["code"] == "invalid"
    assert "programme" in unknown.json()["fields"]
    caseworker.language = "es"
    caseworker.save()
    assert "Hogares" in opened(api_as(caseworker).get("/api/v1/imports/template.xlsx",
                                                      {"programme": caravan.code}).content).sheetnames


@pytest.mark.parametrize("who, allowed", [("caseworker", True), ("supervisor", True), ("other_supervisor", False),
                                          ("reception", False)])
def test_the_template_is_for_caseworkers_and_the_programmes_supervisors(who, allowed, caravan, request):
    response = api_as(request.getfixturevalue(who)).get("/api/v1/imports/template.xlsx",
                                                        {"programme": caravan.code})

    assert response.status_code == (200 if allowed else 403)


def test_the_errors_file_api_is_for_who_sees_the_batch_and_is_audited_as_an_export(marked, caseworker, outsider):
    response = api_as(caseworker).get(f"/api/v1/imports/{marked.pk}/errors.xlsx")
    hidden = api_as(outsider).get(f"/api/v1/imports/{marked.pk}/errors.xlsx")

    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert "lista-errors.xlsx" in response["Content-Disposition"]
    assert hidden.status_code == 404
    event = AuditEvent.objects.get(action=AuditAction.EXPORT, object_type="imports.importbatch")
    assert event.actor == caseworker and event.object_id == str(marked.pk) and len(event.object_ids) == 2


def test_a_kept_file_that_is_no_workbook_answers_404_not_an_error(caseworker, caravan, tij):
    batch = batch_with_errors(caseworker, caravan, tij, b"PK\x03\x04 not really a zip")

    assert api_as(caseworker).get(f"/api/v1/imports/{batch.pk}/errors.xlsx").status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_a_programme_without_countries_of_return_offers_every_country(caravan):
    caravan.return_countries = []
    book = opened(template_xlsx(programme=caravan, language="en"))

    assert "Mexico" in list_values(book, validations(book["Households"])["B"])


def test_the_data_sheets_come_first_and_the_lists_last(caravan):
    assert opened(template_xlsx(programme=caravan, language="en")).sheetnames == [
        "Households", "Members", "Instructions", "Lists"]
