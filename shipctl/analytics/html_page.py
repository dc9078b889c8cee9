"""The markup of the HTML report: styles, the inlined plotly.js, the charts and the tables."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from html import escape
from importlib.resources import files
from typing import Any

from shipctl.analytics.sections import Section
from shipctl.analytics.window import Window

CHART_TITLES = {
    "spend": "Spend",
    "labels": "Labels",
    "average-cost": "Average cost per label",
    "transit": "Transit times",
    "transit-distribution": "Transit-time distribution",
    "on-time": "On time",
    "routes": "Top routes",
    "failures": "Purchase failures",
}

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 1200px;
       padding: 1em 2em; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
.scope { color: #555; margin-top: 0; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr));
          gap: 1em; }
.chart { min-height: 380px; border: 1px solid #e3e3e3; border-radius: 4px; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { padding: 0.2em 0.7em; border-bottom: 1px solid #e3e3e3; }
th { text-align: left; background: #f6f6f6; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
.empty { color: #777; font-style: italic; }
"""

# Draws every figure of the JSON block `figures`; a failure shows in the console.
SCRIPT = """
(function () {
  const figures = JSON.parse(document.getElementById("figures").textContent);
  for (const [id, figure] of Object.entries(figures)) {
    Plotly.newPlot("chart-" + id, figure.data, figure.layout,
                   {displaylogo: false, responsive: true});
  }
})();
"""


@cache
def plotly_js() -> str:
    """plotly.min.js as shipped inside the `plotly` package (no network at run time)."""
    return files("plotly").joinpath("package_data", "plotly.min.js").read_text("utf-8")


def _json_block(element_id: str, value: Any) -> str:
    text = json.dumps(value, separators=(",", ":")) if not isinstance(value, str) else value
    # a JSON string may hold "</script>"; "<\/" means the same to JSON
    text = text.replace("</", "<\\/")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def _table(section: Section, rows: list[dict[str, Any]]) -> str:
    from shipctl.analytics.html import display

    head = "".join(
        f'<th class="{"text" if f.kind in ("text", "date") else "number"}">{escape(f.title)}</th>'
        for f in section.fields
    )
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="{"text" if f.kind in ("text", "date") else "number"}" '
            f'data-field="{f.name}" data-kind="{f.kind}">'
            f"{escape(display(f.kind, row[f.name]))}</td>"
            for f in section.fields
        )
        body.append(f"<tr>{cells}</tr>")
    if not rows:
        return (f'<h3>{escape(section.title)}</h3><p class="empty" '
                f'data-section="{section.name}">no labels in this window</p>')
    return (
        f"<h3>{escape(section.title)}</h3>"
        f'<table data-section="{section.name}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def page(
    *,
    window: Window,
    figures: dict[str, dict[str, Any]],
    tables: list[tuple[Section, list[dict[str, Any]]]],
    document: str,
    generated: datetime,
) -> str:
    modes = ", ".join(window.modes)
    scope = (
        f"Labels bought {window.since:%Y-%m-%d %H:%M} → {window.until:%Y-%m-%d %H:%M} UTC"
        f" · modes: {modes}" + (f" · carrier: {window.carrier}" if window.carrier else "")
    )
    charts = "".join(
        f'<div class="chart" id="chart-{name}" data-chart="{name}" '
        f'aria-label="{escape(CHART_TITLES.get(name, name))}"></div>'
        for name in figures
    ) or '<p class="empty">no labels in this window: nothing to chart</p>'
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>shipctl analytics · {escape(modes)}</title>
<style>{STYLE}</style>
<script>{plotly_js()}</script>
</head>
<body>
<h1>shipctl analytics</h1>
<p class="scope" id="scope" data-modes="{escape(modes)}">{escape(scope)}</p>
<p class="scope">Generated {generated:%Y-%m-%d %H:%M} UTC. On time: by EasyPost's delivery date,
else the rate's delivery days in business days from purchase.</p>
<section class="charts">{charts}</section>
<h2>Tables</h2>
<p class="scope">The figures of <code>shipctl analytics --format json</code> for the same window
and modes.</p>
{"".join(_table(section, rows) for section, rows in tables)}
{_json_block("figures", figures)}
{_json_block("report", document)}
<script>{SCRIPT}</script>
</body>
</html>
"""
