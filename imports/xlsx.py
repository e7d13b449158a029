"""The two spreadsheets a partner works with: the empty template of a programme, and their own file back with what is
wrong marked on each cell. Both go out through avr.spreadsheets.workbook_bytes, so no cell is ever a formula."""

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from accounts.choices import Country
from avr.spreadsheets import workbook_bytes
from cases.choices import ConsentType, DocumentType, HowHeard, Relationship, Sex
from imports.columns import (
    HOUSEHOLD_COLUMNS,
    HOUSEHOLDS_SHEET,
    MEMBER_COLUMNS,
    MEMBERS_SHEET,
)
from imports.reader import ImportFileInvalid, column_names, normal, sheet_of, translated

# Dropdowns and date formats reach this far down; more rows than a batch may hold (IMPORT_MAX_HOUSEHOLDS).
HOUSEHOLD_ROWS = 20001
MEMBER_ROWS = 100001
DATE_FORMAT = "yyyy-mm-dd"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
ERRORS_HEADER = gettext_lazy("Errors")
AUTHOR = "AVR Case Manager"

COLUMN_HELP = {
    "household_id": gettext_lazy("Any text you choose, the same on the household's row and on each of its people's "
                                 "rows. It joins the two sheets."),
    "destination_country": gettext_lazy("The country the household returns to (one of the programme's)."),
    "intake_date": gettext_lazy("The day the household was registered. Empty: the day of the import."),
    "how_heard": gettext_lazy("How the household heard of the programme."),
    "consent_type": gettext_lazy("How the household agreed to the collection of its data."),
    "consent_reason": gettext_lazy("Required when the consent is not explicit: why."),
    "consent_date": gettext_lazy("The day the consent was given."),
    "caseworker_notes": gettext_lazy("Anything the caseworkers should know."),
    "relationship": gettext_lazy("Each household has exactly one principal; the others say how they relate to them."),
    "given_names": gettext_lazy("As in the identity document."),
    "family_names": gettext_lazy("As in the identity document."),
    "sex": gettext_lazy("As in the identity document."),
    "date_of_birth": gettext_lazy("The date of birth; leave empty and give an estimated age if it is not known."),
    "estimated_age": gettext_lazy("In years, only when the date of birth is not known."),
    "nationality": gettext_lazy("The person's nationality."),
    "document_type": gettext_lazy("The identity document the person carries, if any."),
    "document_number": gettext_lazy("Its number, as printed."),
    "document_issuing_country": gettext_lazy("The country that issued the document."),
    "phone": gettext_lazy("A phone number to reach the person, with its country code."),
    "country_of_residence": gettext_lazy("Where the person lived before leaving."),
    "languages": gettext_lazy("The languages the person speaks, separated by commas."),
    "place_of_origin": gettext_lazy("Town or city of origin."),
    "intended_destination": gettext_lazy("Where the person means to live after the return."),
}


def code_labels(column, programme) -> list[str]:
    """The labels a code column's dropdown offers (the country of return: only the programme's)."""
    choices = list(column.choices.choices)
    if column.key == "destination_country" and programme.return_countries:
        choices = [(code, label) for code, label in Country.choices if code in programme.return_countries]
    return [str(label) for _code, label in choices]


def header_row(sheet, columns) -> None:
    """The headers, required ones on their own colour with a note saying so."""
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=str(column.label))
        cell.font = Font(bold=True)
        cell.fill = REQUIRED_FILL if column.required else HEADER_FILL
        if column.required:
            cell.comment = Comment(_("Required"), AUTHOR)
        sheet.column_dimensions[get_column_letter(index)].width = max(14, len(str(column.label)) + 4)
    sheet.freeze_panes = "A2"


def data_sheet(book, title, columns, rows: int, lists, programme) -> None:
    """One data sheet: headers, a dropdown on every code column, date columns formatted as dates."""
    sheet = book.create_sheet(str(title))
    header_row(sheet, columns)
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cells = f"{letter}2:{letter}{rows}"
        if column.kind == "code":
            validation = DataValidation(type="list", formula1=lists.range_for(column, programme), allow_blank=True,
                                        errorStyle="warning", showErrorMessage=True,
                                        error=_("Choose a value from the list."), errorTitle=str(column.label))
            validation.add(cells)
            sheet.add_data_validation(validation)
        elif column.kind == "date":
            sheet.column_dimensions[letter].number_format = DATE_FORMAT
            validation = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True,
                                        errorStyle="warning", showErrorMessage=True,
                                        error=_("Write a date, for example 2024-03-14."),
                                        errorTitle=str(column.label))
            validation.add(cells)
            sheet.add_data_validation(validation)


class CodeLists:
    """The hidden sheet of code lists, one column per list, so that a dropdown may be longer than Excel's 255
    characters of an inline list."""

    def __init__(self, book):
        self.sheet = book.create_sheet(_("Lists"))
        self.sheet.sheet_state = "hidden"
        self.columns: dict[tuple, str] = {}

    def range_for(self, column, programme) -> str:
        labels = code_labels(column, programme)
        key = tuple(labels)
        if key not in self.columns:
            index = len(self.columns) + 1
            self.sheet.cell(row=1, column=index, value=str(column.label))
            for row, label in enumerate(labels, start=2):
                self.sheet.cell(row=row, column=index, value=label)
            letter = get_column_letter(index)
            self.columns[key] = f"{quote_sheetname(self.sheet.title)}!${letter}$2:${letter}${len(labels) + 1}"
        return self.columns[key]


def example_household(programme) -> tuple[list, list[list]]:
    """A household of three, to show how the two sheets join; it lives in the instructions only."""
    destination = programme.return_countries[0] if programme.return_countries else Country.HN
    country = str(Country(destination).label)
    household = {"household_id": "H-001", "destination_country": country, "intake_date": "2024-03-14",
                 "how_heard": HowHeard.SHELTER.label, "consent_type": ConsentType.EXPLICIT.label,
                 "consent_date": "2024-03-14"}
    person = {"household_id": "H-001", "nationality": country, "country_of_residence": country, "languages": "es",
              "place_of_origin": "Choloma"}
    passport = {"document_type": DocumentType.PASSPORT.label, "document_issuing_country": country}
    members = [
        {**person, **passport, "relationship": Relationship.PRINCIPAL.label, "given_names": "Ana Lucía",
         "family_names": "Reyes Paz", "sex": Sex.FEMALE.label, "date_of_birth": "1991-05-02",
         "document_number": "P1234567", "phone": "+504 9999 0000"},
        {**person, **passport, "relationship": Relationship.SPOUSE.label, "given_names": "Jorge",
         "family_names": "Mejía Cruz", "sex": Sex.MALE.label, "date_of_birth": "1988-01-20",
         "document_number": "P7654321"},
        {**person, "relationship": Relationship.CHILD.label, "given_names": "Kevin", "family_names": "Mejía Reyes",
         "sex": Sex.MALE.label, "estimated_age": 7},
    ]
    return ([str(household.get(column.key, "")) for column in HOUSEHOLD_COLUMNS],
            [[str(member.get(column.key, "")) for column in MEMBER_COLUMNS] for member in members])


def instructions_sheet(book, programme) -> None:
    """What each column means, and one household of three written out as it goes in the two sheets."""
    sheet = book.create_sheet(_("Instructions"))
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 34
    sheet.column_dimensions["C"].width = 12
    sheet.column_dimensions["D"].width = 90
    sheet.append([_("Registrations for %(programme)s") % {"programme": f"{programme.name} ({programme.code})"}])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([_("One row per household on the “%(households)s” sheet, one row per person on the "
                    "“%(members)s” sheet; the household ID joins them. Coded columns offer a list: choose from it. "
                    "Dates as year-month-day.") % {"households": HOUSEHOLDS_SHEET, "members": MEMBERS_SHEET}])
    sheet.append([])
    sheet.append([_("Sheet"), _("Column"), _("Required"), _("What it means")])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for title, columns in ((HOUSEHOLDS_SHEET, HOUSEHOLD_COLUMNS), (MEMBERS_SHEET, MEMBER_COLUMNS)):
        for column in columns:
            sheet.append([str(title), str(column.label), _("Yes") if column.required else "",
                          str(COLUMN_HELP[column.key])])
            sheet.cell(row=sheet.max_row, column=4).alignment = Alignment(wrap_text=True)
    household, members = example_household(programme)
    sheet.append([])
    sheet.append([_("Example: a household of three people")])
    sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
    for title, columns, rows in ((HOUSEHOLDS_SHEET, HOUSEHOLD_COLUMNS, [household]),
                                 (MEMBERS_SHEET, MEMBER_COLUMNS, members)):
        sheet.append([str(title)])
        sheet.cell(row=sheet.max_row, column=1).font = Font(italic=True)
        sheet.append([str(column.label) for column in columns])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)


def template_xlsx(*, programme, language: str) -> bytes:
    """The empty import file of a programme in a language: the two data sheets with their dropdowns, the
    instructions, and the code lists on a hidden sheet."""
    with translation.override(language):
        book = Workbook()
        book.remove(book.active)
        lists = CodeLists(book)
        data_sheet(book, HOUSEHOLDS_SHEET, HOUSEHOLD_COLUMNS, HOUSEHOLD_ROWS, lists, programme)
        data_sheet(book, MEMBERS_SHEET, MEMBER_COLUMNS, MEMBER_ROWS, lists, programme)
        instructions_sheet(book, programme)
        # The data sheets first: a reader that finds no sheet by its name takes them by position.
        book.move_sheet(lists.sheet, offset=len(book.worksheets) - 1)
        book.active = book.worksheets.index(book[str(HOUSEHOLDS_SHEET)])
        return workbook_bytes(book)


# The annotated copy --------------------------------------------------------------------------------------------


def find_sheet(book, label, position: int):
    """The sheet as the reader found it (by its name in either language, else by position), or None."""
    try:
        return sheet_of(book, label, position)
    except ImportFileInvalid:
        return None


def column_positions(sheet, columns) -> dict[str, int]:
    """Each known column's position in the sheet, read from its header row as the reader reads it."""
    names = column_names(columns)
    positions = {}
    for cell in next(sheet.iter_rows(min_row=1, max_row=1), ()):
        column = names.get(normal(cell.value)) if cell.value is not None else None
        if column is not None and column.key not in positions:
            positions[column.key] = cell.column
    return positions


def errors_column(sheet) -> int:
    """The sheet's "Errors" column: the one an earlier annotated copy left (emptied), else a new one at the end."""
    names = translated(ERRORS_HEADER) | {"errors"}
    for cell in next(sheet.iter_rows(min_row=1, max_row=1), ()):
        if cell.value is not None and normal(cell.value) in names:
            for (old,) in sheet.iter_rows(min_row=2, min_col=cell.column, max_col=cell.column):
                old.value = None
            return cell.column
    position = sheet.max_column + 1
    header = sheet.cell(row=1, column=position, value=str(ERRORS_HEADER))
    header.font = Font(bold=True, color="9C0006")
    header.fill = ERROR_FILL
    sheet.column_dimensions[get_column_letter(position)].width = 60
    return position


def mark_row(sheet, row: int, errors: dict, positions: dict, labels: dict, errors_at: int) -> None:
    """Highlight the row's bad cells with their messages, and write all of them in the errors column."""
    lines = []
    # In the sheet's column order (the stored errors come back in JSONB's key order), the whole row's first.
    for key, messages in sorted(errors.items(), key=lambda item: positions.get(item[0], 0)):
        messages = [str(message) for message in messages]
        position = positions.get(key)
        if position is None:  # about the whole household or row (no principal, no members, ...)
            lines.extend(messages)
            continue
        cell = sheet.cell(row=row, column=position)
        cell.fill = ERROR_FILL
        cell.comment = Comment("\n".join(messages), AUTHOR)
        lines.extend(f"{labels[key]}: {message}" for message in messages)
    if lines:
        cell = sheet.cell(row=row, column=errors_at, value="\n".join(lines))
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def errors_xlsx(batch) -> bytes:
    """The batch's uploaded file back, each bad cell red with its message as a comment and an errors column per
    sheet, in the batch's language; rows without errors are left as they were."""
    with batch.file.open("rb") as handle:
        book = load_workbook(handle)
    with translation.override(batch.language):
        sheets = []
        for position, (label, columns) in enumerate(((HOUSEHOLDS_SHEET, HOUSEHOLD_COLUMNS),
                                                     (MEMBERS_SHEET, MEMBER_COLUMNS))):
            sheet = find_sheet(book, label, position)
            positions = column_positions(sheet, columns) if sheet is not None else {}
            labels = {column.key: str(column.label) for column in columns}
            sheets.append((sheet, positions, labels, errors_column(sheet) if sheet is not None else None))
        (households, h_positions, h_labels, h_at), (members, m_positions, m_labels, m_at) = sheets
        for row in batch.household_rows.exclude(errors={}).order_by("sheet_row").iterator():
            if households is not None:
                mark_row(households, row.sheet_row, row.errors.get("households") or {}, h_positions, h_labels,
                         h_at)
            if members is not None:
                for sheet_row, errors in (row.errors.get("members") or {}).items():
                    mark_row(members, int(sheet_row), errors or {}, m_positions, m_labels, m_at)
    return workbook_bytes(book)
