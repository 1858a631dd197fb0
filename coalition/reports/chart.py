"""Bar charts as SVG written on the server: no script, no chart library, no CDN. The numbers
are in a table beside each chart (the chart is its picture); hidden small numbers draw no bar."""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup, escape

from coalition.reports.cells import Cell

WIDTH = 600
ROW = 28
LABEL = 230


def bar_chart(
    chart_id: str, title: str, rows: list[tuple[str, Cell]], shown: Callable[[Cell], str]
) -> Markup:
    """A horizontal bar per row, its value written at its end."""
    values = [cell.value for _label, cell in rows if not cell.hidden and cell.value]
    top = max(values, default=0)
    height = ROW * max(len(rows), 1) + 8
    parts = [
        f'<svg class="report-chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-labelledby="{escape(chart_id)}-title" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
    ]
    for index, (label, cell) in enumerate(rows):
        y = 4 + index * ROW
        text = shown(cell)
        short = label if len(label) <= 30 else label[:29] + "…"
        parts.append(
            f'<text x="{LABEL - 8}" y="{y + 18}" text-anchor="end" class="chart-label">'
            f"{escape(short)}</text>"
        )
        bar = 0 if cell.hidden or not top else round((WIDTH - LABEL - 110) * cell.value / top)
        if bar:
            parts.append(
                f'<rect x="{LABEL}" y="{y + 4}" width="{bar}" height="{ROW - 8}" '
                'class="chart-bar"/>'
            )
        parts.append(
            f'<text x="{LABEL + bar + 6}" y="{y + 18}" class="chart-value">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
