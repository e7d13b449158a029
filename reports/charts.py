"""Small bar charts as inline SVG, built as strings on the server: no JavaScript, no library, nothing fetched.

Only rectangles, lines and text, which WeasyPrint draws quickly. A suppressed count is drawn as a short hatched bar
of one fixed size, labelled "<5", so the picture never tells more than the number does.
"""

from dataclasses import dataclass
from html import escape
from itertools import count

from django.utils.safestring import SafeString, mark_safe

WIDTH = 640            # px; about 170 mm on the page
FONT = 9               # px
ROW = 15               # px per bar of a horizontal chart
BAR_COLOUR = "#3b6ea5"
HATCH_COLOUR = "#8c8c8c"
SUPPRESSED_SHARE = 0.04  # the fixed length of a suppressed bar, a share of the longest possible bar
LABEL_MAX = 220        # px kept for labels at most; longer ones are cut with an ellipsis
COLUMN_HEIGHT = 120    # px of the column chart's plotting area

_ids = count(1)


@dataclass
class Bar:
    """One bar: its label, its number (None when suppressed) and the text printed beside it ("12", "<5")."""

    label: str
    value: float | None
    text: str


def text(x: float, y: float, content: str, *, anchor: str = "start", size: float = FONT, fill: str = "#000") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}">'
            f"{escape(content)}</text>")


def hatch_defs(pattern_id: str) -> str:
    return (f'<defs><pattern id="{pattern_id}" width="4" height="4" patternUnits="userSpaceOnUse">'
            f'<rect width="4" height="4" fill="#e3e3e3"/><rect width="2" height="4" fill="{HATCH_COLOUR}"/>'
            "</pattern></defs>")


def svg(width: float, height: float, body: list[str]) -> SafeString:
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="DejaVu Sans">{"".join(body)}</svg>')


NARROW, WIDE = set("iljtfrI.,:;|!'() "), set("mwMWÑ@%")


def text_width(content: str, size: float = FONT) -> float:
    """Roughly how wide DejaVu Sans sets `content` (it has no narrow letters to spare): enough to size a column."""
    return size * sum(0.36 if c in NARROW else 0.9 if c in WIDE else 0.72 if c.isupper() else 0.63 for c in content)


def fit(label: str, room: float) -> str:
    """The label, cut with an ellipsis if it would not fit in `room`."""
    if text_width(label) <= room + 0.5:
        return label
    while label and text_width(label + "…") > room:
        label = label[:-1]
    return label + "…"


def bar_chart(bars: list[Bar], *, width: float = WIDTH) -> SafeString:
    """A horizontal bar chart, one bar a row, in the given order."""
    if not bars:
        return mark_safe("")
    label_room = min(LABEL_MAX, max(text_width(bar.label) for bar in bars)) + 8
    value_room = max(text_width(bar.text) for bar in bars) + 8
    plot = width - label_room - value_room
    largest = max([bar.value for bar in bars if bar.value] or [1])
    pattern = f"hatch{next(_ids)}"
    body = [hatch_defs(pattern)]
    for index, bar in enumerate(bars):
        top = index * ROW + 2
        baseline = top + ROW / 2 + FONT / 3
        body.append(text(label_room - 5, baseline, fit(bar.label, label_room - 8), anchor="end"))
        if bar.value is None:
            length, fill = plot * SUPPRESSED_SHARE, f"url(#{pattern})"
        else:
            length, fill = plot * bar.value / largest, BAR_COLOUR
        if length:
            body.append(f'<rect x="{label_room:.1f}" y="{top + 2:.1f}" width="{length:.1f}" height="{ROW - 4}" '
                        f'fill="{fill}"/>')
        body.append(text(label_room + length + 4, baseline, bar.text))
    body.append(f'<line x1="{label_room:.1f}" y1="2" x2="{label_room:.1f}" y2="{len(bars) * ROW + 2}" '
                'stroke="#444" stroke-width="0.8"/>')
    return svg(width, len(bars) * ROW + 4, body)


def column_chart(bars: list[Bar], *, width: float = WIDTH, height: float = COLUMN_HEIGHT) -> SafeString:
    """A column chart for a series in time (returns per week): every column labelled only every few weeks."""
    if not bars:
        return mark_safe("")
    left, top, bottom = 34, 12, 28
    plot = width - left - 4
    step = min(plot / len(bars), 28)  # a week or two should not look like a wall
    largest = max([bar.value for bar in bars if bar.value] or [1])
    every = max(1, -(-len(bars) * 62 // plot))  # a date label needs about 62 px
    pattern = f"hatch{next(_ids)}"
    base = top + height
    body = [hatch_defs(pattern),
            f'<line x1="{left}" y1="{base}" x2="{width - 4}" y2="{base}" stroke="#444" stroke-width="0.8"/>',
            f'<line x1="{left}" y1="{top}" x2="{width - 4}" y2="{top}" stroke="#ccc" stroke-width="0.5"/>',
            text(left - 4, top + FONT / 3, f"{largest:g}", anchor="end"), text(left - 4, base, "0", anchor="end")]
    for index, bar in enumerate(bars):
        x = left + index * step + step * 0.15
        if bar.value is None:
            tall, fill = height * SUPPRESSED_SHARE * 2, f"url(#{pattern})"
            body.append(text(x + step * 0.35, base - tall - 2, bar.text, anchor="middle", size=FONT * 0.7))
        else:
            tall, fill = height * bar.value / largest, BAR_COLOUR
        if tall:
            body.append(f'<rect x="{x:.1f}" y="{base - tall:.1f}" width="{step * 0.7:.1f}" height="{tall:.1f}" '
                        f'fill="{fill}"/>')
        if index % every == 0:
            body.append(text(x + step * 0.35, base + FONT + 4, bar.label, anchor="middle", size=FONT * 0.85))
    return svg(width, base + bottom, body)
