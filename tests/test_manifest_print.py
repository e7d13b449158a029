"""The manifest PDF's lean print setup: its own user-agent stylesheet must cover every element its template uses,
and a boarding code's QR image is drawn once per process."""

import re
from pathlib import Path

from travel.manifest import PRINT_UA_CSS
from travel.qr import boarding_qr_png

TEMPLATE = Path(PRINT_UA_CSS).with_name("manifest.html")


def test_every_element_of_the_manifest_template_has_its_defaults_in_the_print_stylesheet():
    # An element missing there would be laid out as an inline box (a table cell as plain text) in the PDF.
    used = set(re.findall(r"<([a-z][a-z0-9]*)\b", TEMPLATE.read_text()))
    rules = PRINT_UA_CSS.read_text()
    declared = set(re.findall(r"(?:^|[\s,{}])([a-z][a-z0-9]*)(?=[\s,]*[,{])", rules))
    assert used - {"html"} <= declared | {"html"}, used - declared
    assert "html" in declared


def test_a_boarding_code_is_drawn_once_and_then_served_from_the_cache():
    boarding_qr_png.cache_clear()
    first = boarding_qr_png("AVR1:1:2:signature")
    again = boarding_qr_png("AVR1:1:2:signature")
    assert again is first and boarding_qr_png.cache_info().hits == 1
    assert first.startswith(b"\x89PNG")
