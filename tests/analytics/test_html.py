"""`shipctl analytics --format html`: one offline page, opened in a real (headless) Chromium.

The browser is the system's Chromium (`apt-get install chromium`, as .ci/run does), driven by
playwright; playwright's own browser downloads are never used.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.db

MARCH = ("--since", "2026-03-01", "--until", "2026-03-31")
CHROMIUM = (
    os.environ.get("SHIPCTL_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
)
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
CHARTS = ["spend", "labels", "average-cost", "transit", "transit-distribution", "on-time",
          "routes", "failures"]  # fmt: skip

# plotly's drawn marks: bars, points, lines and the heat map's image
MARKS = ("g.trace .point path, g.trace path.point, g.trace path.js-line, g.hm image, "
         "g.trace image")
needs_browser = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"no Chromium at {CHROMIUM}: install it with `apt-get install chromium` (.ci/run does)",
)


def _json(shipctl: Callable[..., Any], *args: str) -> dict[str, Any]:
    result = shipctl("analytics", *MARCH, "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _html(shipctl: Callable[..., Any], path: Path, *args: str) -> str:
    result = shipctl("analytics", *MARCH, "--format", "html", "--out", str(path), *args)
    assert result.exit_code == 0, result.stderr
    assert f"wrote {path}" in result.stderr
    return path.read_text("utf-8")


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """The system Chromium under playwright. Opened only after the database work: playwright's
    sync API keeps an event loop running on this thread while it is open."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


def test_the_page_is_self_contained(
    history: str, shipctl: Callable[..., Any], tmp_path: Path
) -> None:
    page = _html(shipctl, tmp_path / "report.html")
    assert page.startswith("<!DOCTYPE html>")
    # nothing to fetch: every script is inline, and no style, image or font comes from elsewhere
    assert not re.search(r"<script[^>]*\bsrc=", page)
    markup = re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.S)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", markup)
    assert "@import" not in markup and "url(" not in markup
    assert "modes: live, test, simulated, demo" in page  # no key configured: every mode
    found = re.search(r'<script type="application/json" id="report">(.*?)</script>', page, re.S)
    assert found is not None
    embedded = json.loads(found[1])
    assert embedded["sections"]["overview"][0]["spend"] == "165.35"


def _read_tables(page: Any) -> dict[str, list[dict[str, tuple[str, str]]]]:
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll("table[data-section]")].map(
            t => [t.dataset.section, [...t.querySelectorAll("tbody tr")].map(
                r => Object.fromEntries([...r.querySelectorAll("td")].map(
                    c => [c.dataset.field, [c.dataset.kind, c.innerText.trim()]])))]))"""
    )


def _shown(kind: str, text: str) -> Any:
    """A figure as the page shows it, back as the JSON report writes it."""
    if text == "–":
        return None
    if kind == "money":
        assert text.startswith("$"), text
        return str(Decimal(text[1:].replace(",", "")))
    if kind == "share":
        assert text.endswith("%"), text
        return round(float(text[:-1]) / 100, 3)
    if kind == "days":
        return float(text)
    if kind == "count":
        return int(text.replace(",", ""))
    return text


@pytest.mark.slow
@needs_browser
def test_in_a_browser(history: str, shipctl: Callable[..., Any], tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    _html(shipctl, path)
    expected = _json(shipctl, "--by", "overview,carrier,service,day,route,status,failures")
    with chromium() as browser:
        _check_in_browser(browser, path, expected)


def _check_in_browser(browser: Any, path: Path, expected: dict[str, Any]) -> None:
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    fetched: list[str] = []

    def only_the_file(route: Any) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:  # offline: anything else is a failure
            fetched.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_file)
    page.goto(path.as_uri())
    page.wait_for_function(
        f"document.querySelectorAll('.chart .main-svg').length >= {len(CHARTS)}", timeout=20_000
    )
    assert problems == [] and fetched == []

    # every chart has drawn marks of a visible size: bars, lines and points, the heat map
    marks = page.evaluate(
        """marks => Object.fromEntries([...document.querySelectorAll(".chart")].map(c => {
            const box = c.getBoundingClientRect();
            const drawn = [...c.querySelectorAll(marks)]
                .filter(m => { const r = m.getBoundingClientRect();
                               return r.width > 0 && r.height > 0; });
            return [c.dataset.chart, {w: box.width, h: box.height, marks: drawn.length}];
        }))""",
        MARKS,
    )
    assert list(marks) == CHARTS
    for name, chart in marks.items():
        assert chart["w"] > 100 and chart["h"] > 100, name
        assert chart["marks"] > 0, (name, chart)

    # every figure in the tables is the JSON report's
    tables = _read_tables(page)
    assert list(tables) == ["overview", "carrier", "service", "day", "route", "status",
                            "failures"]  # fmt: skip
    for section, rows in tables.items():
        shown = [{field: _shown(kind, text) for field, (kind, text) in row.items()}
                 for row in rows]  # fmt: skip
        assert shown == expected["sections"][section], section

    # and the charts add up to the same totals
    totals = page.evaluate(
        """() => ["chart-spend", "chart-labels"].map(id => document.getElementById(id).data
            .reduce((sum, trace) => sum + trace.y.reduce((a, b) => a + b, 0), 0))"""
    )
    overview = expected["sections"]["overview"][0]
    assert round(totals[0], 2) == float(overview["spend"])
    assert totals[1] == overview["labels"]
    failures = page.evaluate("() => document.getElementById('chart-failures').data[0].x")
    assert sorted(failures) == sorted(r["failures"] for r in expected["sections"]["failures"])
    scope = page.inner_text("#scope")
    assert "modes: live, test, simulated, demo" in scope
    page.close()


@pytest.mark.slow
@needs_browser
def test_an_empty_window_in_a_browser(
    db: str, shipctl: Callable[..., Any], tmp_path: Path
) -> None:
    path = tmp_path / "empty.html"
    result = shipctl("analytics", "--since", "2025-01-01", "--until", "2025-01-31",
                     "--format", "html", "--out", str(path), "--mode", "live")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    with chromium() as browser:
        page = browser.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(path.as_uri())
        assert "nothing to chart" in page.inner_text("body")
        assert "modes: live" in page.inner_text("#scope")
        assert problems == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "html"), "--format html writes a file: give it with --out report.html"),
        (("--open",), "--open opens an HTML report: add --format html"),
    ],
)
def test_html_options(
    db: str, shipctl: Callable[..., Any], args: tuple[str, ...], message: str
) -> None:
    result = shipctl("analytics", *args)
    assert result.exit_code != 0
    assert result.stderr.strip().splitlines() == [f"error: {message}"] or message in result.stderr
    assert "Traceback" not in result.stderr


def test_unwritable_out(db: str, shipctl: Callable[..., Any], tmp_path: Path) -> None:
    result = shipctl("analytics", "--format", "html", "--out", str(tmp_path / "no" / "r.html"))
    assert result.exit_code == 7  # an output error
    assert "cannot write" in result.stderr and "Traceback" not in result.stderr


def test_json_to_a_file(history: str, shipctl: Callable[..., Any], tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    result = shipctl("analytics", *MARCH, "--format", "json", "--out", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert json.loads(path.read_text())["sections"]["overview"][0]["labels"] == 11


def test_help_loads_no_chart_library() -> None:
    """The charting library is loaded by `--format html` only: `--help` stays fast."""
    probe = (
        "import sys, json\n"
        "from shipctl.cli.main import run\n"
        "try:\n    run(['analytics', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(json.dumps([m for m in ('plotly', 'playwright', 'narwhals') if m in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
    assert "--format" in done.stdout and "html" in done.stdout
