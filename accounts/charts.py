"""Small SVG charts for the home dashboard, built as strings on the server: no script, no CDN, no inline style.

Every text is escaped; each chart is an image with a <title> and <desc> for screen readers, and the page shows the
same numbers in a table (see templates/accounts/_dashboard_chart.html). Colours come from classes in app.css.
"""

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 24, 36


@dataclass(frozen=True)
class Column:
    """One column: its label under the axis and its value."""

    label: str
    value: int


@dataclass
class Chart:
    """An SVG chart and the numbers it draws, for the table next to it."""

    chart_id: str
    title: str
    description: str
    columns: list[Column]
    svg: SafeString = SafeString("")

    @property
    def total(self) -> int:
        return sum(c.value for c in self.columns)


def _nice_top(value: int) -> int:
    """The axis top: the value rounded up to 1, 2 or 5 times a power of ten (at least 1)."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if value <= step * factor:
                return step * factor
        step *= 10


def column_chart(*, chart_id: str, title: str, description: str, columns: list[Column]) -> Chart:
    """A column chart with a zero line, a top gridline labelled with its value, and each value above its column."""
    top = _nice_top(max((c.value for c in columns), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(columns), 1)
    bar_w = slot * 0.6
    base_y = TOP + plot_h
    ident = escape(chart_id)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dashboard-chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{ident}-title {ident}-desc" data-testid="{ident}">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
        f'<line class="chart-grid" x1="{LEFT}" y1="{TOP}" x2="{WIDTH - RIGHT}" y2="{TOP}"/>',
        f'<text class="chart-axis-label" x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end">{top}</text>',
        f'<line class="chart-axis" x1="{LEFT}" y1="{base_y}" x2="{WIDTH - RIGHT}" y2="{base_y}"/>',
        f'<text class="chart-axis-label" x="{LEFT - 6}" y="{base_y + 4}" text-anchor="end">0</text>',
    ]
    for i, column in enumerate(columns):
        height = plot_h * column.value / top
        x = LEFT + i * slot + (slot - bar_w) / 2
        centre = LEFT + i * slot + slot / 2
        parts.append(f'<rect class="chart-bar" x="{x:.1f}" y="{base_y - height:.1f}" width="{bar_w:.1f}" '
                     f'height="{height:.1f}"><title>{escape(column.label)}: {column.value}</title></rect>')
        parts.append(f'<text class="chart-value" x="{centre:.1f}" y="{base_y - height - 4:.1f}" '
                     f'text-anchor="middle">{column.value}</text>')
        parts.append(f'<text class="chart-axis-label" x="{centre:.1f}" y="{base_y + 16}" '
                     f'text-anchor="middle">{escape(column.label)}</text>')
    parts.append("</svg>")
    return Chart(chart_id=chart_id, title=title, description=description, columns=columns,
                 svg=mark_safe("".join(parts)))  # every interpolated text above is escaped
