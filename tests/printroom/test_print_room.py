"""The print room end to end: references on labels, sorted stacks, 2-up sheets, packing
slips, thermal files and printing, with the real SDK, the simulator and PostgreSQL."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import easypost
import pypdf
import pytest

from tests.conftest import CliResult
from tests.jobs.bulk_support import read_results

Shipctl = Callable[..., CliResult]
HEADER = ["reference", "name", "street1", "city", "state", "zip", "weight", "parcel"]
# Written out of every order the tests sort by: references, ZIPs and input order disagree.
ROWS = [
    ["R-300", "Carla Ruiz", "17 Elm Ct", "Denver", "CO", "80202", "12oz", "small"],
    ["R-100", "Ann Lee", "100 Main St", "Portland", "OR", "97214", "4oz", "small"],
    ["R-200", "Bo Chan", "9 Harbor Way", "Boston", "MA", "02108", "8oz", "small"],
    ["R-400", "Dee Park", "2200 Oak Ave", "Austin", "TX", "78701", "6oz", "small"],
]
BY_ZIP = ["R-200", "R-400", "R-300", "R-100"]


def write_file(path: Path, rows: list[list[str]] = ROWS, header: list[str] = HEADER) -> Path:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def shipment_ids(sql: Callable[..., list[Any]]) -> dict[str, str]:
    rows = sql("SELECT reference, easypost_shipment_id AS id FROM shipments")
    return {row["reference"]: row["id"] for row in rows}


def page_texts(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in pypdf.PdfReader(path).pages]


def references_in(text: str) -> list[str]:
    return re.findall(r"R-\d{3}", text)


def test_the_reference_is_printed_on_each_label(
    shipctl: Shipctl, home: Path, sql: Callable[..., list[Any]],
    sdk: Callable[[], easypost.EasyPostClient],
) -> None:
    orders = write_file(home / "orders.csv")
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--labels-out", "labels.zpl")
    assert result.exit_code == 0, result.stdout + result.stderr
    client = sdk()
    for reference, shipment_id in shipment_ids(sql).items():
        shipment = client.shipment.retrieve(shipment_id)
        assert shipment.options["print_custom_1"] == reference
    zpl = (home / "labels.zpl").read_text()
    assert references_in(zpl) == [row[0] for row in ROWS]  # printed, in input order


def test_label_reference_none_prints_nothing(
    shipctl: Shipctl, home: Path, sql: Callable[..., list[Any]],
    sdk: Callable[[], easypost.EasyPostClient],
) -> None:
    orders = write_file(home / "orders.csv", ROWS[:1])
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--labels-out", "labels.zpl",
                     env={"SHIPCTL_LABEL_REFERENCE": "none"})
    assert result.exit_code == 0, result.stdout + result.stderr
    [shipment_id] = shipment_ids(sql).values()
    assert "print_custom_1" not in sdk().shipment.retrieve(shipment_id).options.to_dict()
    assert references_in((home / "labels.zpl").read_text()) == []


def test_sort_orders_labels_slips_and_results_alike(shipctl: Shipctl, home: Path) -> None:
    orders = write_file(home / "orders.csv")
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--sort", "zip",
                     "--labels-out", "labels.zpl", "--results-out", "results.csv",
                     "--packing-slips", "slips.pdf")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert references_in((home / "labels.zpl").read_text()) == BY_ZIP
    assert [row["reference"] for row in read_results(home / "results.csv")] == BY_ZIP
    slips = page_texts(home / "slips.pdf")
    assert [references_in(text)[0] for text in slips] == BY_ZIP
    assert "slips:   slips.pdf (4 slips)" in result.stdout
    # By reference, the same run's files again, through `runs show`.
    again = shipctl("--simulate", "runs", "show", "1", "--sort", "reference",
                    "--results-out", "by-ref.csv", "--labels-out", "by-ref.zpl")
    assert again.exit_code == 0, again.stdout + again.stderr
    assert references_in((home / "by-ref.zpl").read_text()) == sorted(BY_ZIP)
    assert [r["reference"] for r in read_results(home / "by-ref.csv")] == sorted(BY_ZIP)


def test_packing_slips_one_page_per_order_with_its_label_data(
    shipctl: Shipctl, home: Path, sql: Callable[..., list[Any]],
) -> None:
    orders = write_file(home / "orders.csv")
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--labels-out", "labels.pdf",
                     "--packing-slips", "slips.pdf")
    assert result.exit_code == 0, result.stdout + result.stderr
    reader = pypdf.PdfReader(home / "slips.pdf")
    assert len(reader.pages) == 4
    assert {(round(float(p.mediabox.width)), round(float(p.mediabox.height)))
            for p in reader.pages} == {(288, 432)}
    bought = {row["reference"]: row for row in sql(
        "SELECT reference, carrier, service, tracking_code FROM shipments")}
    for row, text in zip(ROWS, page_texts(home / "slips.pdf"), strict=True):
        reference = row[0]
        assert f"Order {reference}" in text
        assert row[1] in text and row[2] in text and f"{row[3]}, {row[4]} {row[5]}" in text
        assert bought[reference]["tracking_code"] in text
        assert f"Carrier: {bought[reference]['carrier']}" in text
        assert f"Service: {bought[reference]['service']}" in text
        assert "ITEM" not in text  # these orders carry no line items


def test_slips_with_labels_interleave_slip_then_label(shipctl: Shipctl, home: Path) -> None:
    orders = write_file(home / "orders.csv")
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--sort", "reference",
                     "--labels-out", "labels.pdf", "--slips-with-labels")
    assert result.exit_code == 0, result.stdout + result.stderr
    texts = page_texts(home / "labels.pdf")
    assert len(texts) == 8
    assert [references_in(t)[0] for t in texts[0::2]] == sorted(BY_ZIP)
    assert all("PACKING SLIP" in t for t in texts[0::2])
    assert not any("PACKING SLIP" in t for t in texts[1::2])
    assert [references_in(t) for t in texts[1::2]] == [[r] for r in sorted(BY_ZIP)]


@pytest.mark.parametrize(("layout", "size"), [("letter-2up", (612, 792)),
                                             ("a4-2up", (595, 842))])
def test_two_labels_per_sheet(shipctl: Shipctl, home: Path, layout: str,
                              size: tuple[int, int]) -> None:
    orders = write_file(home / "orders.csv", ROWS[:3])
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--labels-out", "labels.pdf",
                     "--labels-layout", layout)
    assert result.exit_code == 0, result.stdout + result.stderr
    reader = pypdf.PdfReader(home / "labels.pdf")
    assert len(reader.pages) == 2  # three labels: a full sheet and a half
    assert {(round(float(p.mediabox.width)), round(float(p.mediabox.height)))
            for p in reader.pages} == {size}
    top, bottom = ink_by_half(home / "labels.pdf", 0)
    assert top > 0.02 and bottom > 0.02  # a label in each half
    top, bottom = ink_by_half(home / "labels.pdf", 1)
    assert top > 0.02 and bottom == 0.0  # the third label alone, on top


def ink_by_half(path: Path, page_index: int) -> tuple[float, float]:
    """The share of dark pixels in the top and bottom half of one page, rendered."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    image = document[page_index].render(scale=0.5).to_pil().convert("L")
    document.close()
    width, height = image.size
    pixels = image.load()
    assert pixels is not None

    def share(rows: range) -> float:
        dark = sum(1 for y in rows for x in range(0, width, 2) if pixels[x, y] < 128)
        return dark / (len(rows) * len(range(0, width, 2)))

    return share(range(0, height // 2)), share(range(height // 2, height))


def test_epl2_labels_for_thermal_printers(
    shipctl: Shipctl, home: Path, sql: Callable[..., list[Any]],
) -> None:
    orders = write_file(home / "orders.csv", ROWS[:2])
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--labels-out", "labels.epl")
    assert result.exit_code == 0, result.stdout + result.stderr
    epl = (home / "labels.epl").read_bytes()
    assert epl.startswith(b"\nN\n") and epl.count(b"\nP1") == 2
    assert b"^XA" not in epl and b"q812" in epl
    assert references_in(epl.decode()) == ["R-300", "R-100"]
    assert {row["label_file_format"] for row in sql(
        "SELECT label_file_format FROM shipments")} == {"EPL2"}  # bought as EPL2


def test_label_dpi_reaches_the_shipment(
    shipctl: Shipctl, home: Path, sql: Callable[..., list[Any]],
    sdk: Callable[[], easypost.EasyPostClient],
) -> None:
    orders = write_file(home / "orders.csv", ROWS[:1])
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--label-dpi", "300")
    assert result.exit_code == 0, result.stdout + result.stderr
    [shipment_id] = shipment_ids(sql).values()
    assert sdk().shipment.retrieve(shipment_id).options["label_resolution"] == 300


@pytest.mark.parametrize(("args", "hint"), [
    (["--label-dpi", "150"], "--label-dpi"),
    (["--sort", "weight"], "--sort"),
    (["--labels-layout", "letter-2up", "--labels-out", "l.zpl"], "--labels-layout"),
    (["--slips-with-labels"], "--slips-with-labels"),
    (["--print"], "--print"),
])
def test_bad_print_room_options_are_refused_before_anything_is_bought(
    shipctl: Shipctl, home: Path, args: list[str], hint: str,
) -> None:
    orders = write_file(home / "orders.csv", ROWS[:1])
    result = shipctl("--simulate", "bulk", str(orders), "--yes", *args)
    assert result.exit_code != 0
    assert hint in result.stderr + result.stdout
    assert not (home / "data" / "simulator.sqlite3").exists()


def stand_in_lp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *,
                printers: tuple[str, ...] = ("Zebra", "Laser"), lpstat: bool = False) -> Path:
    """An `lp` on PATH that knows `printers`, records its arguments and keeps each file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "lp-log"
    log.mkdir()
    script = bin_dir / "lp"
    script.write_text(f"""#!/usr/bin/env python3
import json, pathlib, shutil, sys
args = sys.argv[1:]
log = pathlib.Path({str(log)!r})
printer = args[args.index("-d") + 1] if "-d" in args else None
if printer is not None and printer not in {list(printers)!r}:
    print("lp: The printer or class does not exist.", file=sys.stderr)
    sys.exit(1)
n = len(list(log.glob("*.json")))
shutil.copy(args[-1], log / f"{{n}}.bin")
(log / f"{{n}}.json").write_text(json.dumps(args))
print(f"request id is {{printer or 'default'}}-{{n + 1}} (1 file(s))")
""")
    script.chmod(0o755)
    if lpstat:  # CUPS's own check of a printer's name, as `lpstat -p NAME` answers it
        status = bin_dir / "lpstat"
        status.write_text(f"""#!/bin/sh
for known in {' '.join(printers)}; do
    [ "$2" = "$known" ] && echo "printer $2 is idle." && exit 0
done
echo "lpstat: Invalid destination name in list \\"$2\\"." >&2
exit 1
""")
        status.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    return log


def printed(log: Path) -> list[tuple[list[str], bytes]]:
    jobs = sorted(log.glob("*.json"), key=lambda p: int(p.stem))
    return [(json.loads(p.read_text()), (log / f"{p.stem}.bin").read_bytes()) for p in jobs]


def test_print_sends_zpl_raw_to_the_printer(
    shipctl: Shipctl, home: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = stand_in_lp(home, monkeypatch)
    orders = write_file(home / "orders.csv", ROWS[:2])
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--labels-out", "labels.zpl",
                     "--print", "--printer", "Zebra")
    assert result.exit_code == 0, result.stdout + result.stderr
    [(args, data)] = printed(log)
    assert args[:4] == ["-d", "Zebra", "-o", "raw"] and args[-1].endswith("labels.zpl")
    assert data == (home / "labels.zpl").read_bytes()
    assert "request id is Zebra-1" in result.stdout


def test_print_sends_labels_and_slips_to_the_configured_printer(
    shipctl: Shipctl, home: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = stand_in_lp(home, monkeypatch)
    orders = write_file(home / "orders.csv", ROWS[:2])
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--labels-out", "labels.pdf",
                     "--packing-slips", "slips.pdf", "--print",
                     env={"SHIPCTL_PRINTER": "Laser"})
    assert result.exit_code == 0, result.stdout + result.stderr
    jobs = printed(log)
    assert [args for args, _ in jobs] == [["-d", "Laser", "--", "labels.pdf"],
                                          ["-d", "Laser", "--", "slips.pdf"]]
    assert [data for _, data in jobs] == [(home / "labels.pdf").read_bytes(),
                                          (home / "slips.pdf").read_bytes()]


def test_an_unknown_printer_is_one_clear_error(
    shipctl: Shipctl, home: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    stand_in_lp(home, monkeypatch)
    orders = write_file(home / "orders.csv", ROWS[:1])
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--labels-out", "labels.pdf",
                     "--print", "--printer", "Nowhere")
    assert result.exit_code != 0
    assert "printer 'Nowhere'" in result.stderr and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr
    assert (home / "labels.pdf").exists()  # the labels are written all the same


def test_a_printer_cups_does_not_know_is_refused_before_anything_is_bought(
    shipctl: Shipctl, home: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = stand_in_lp(home, monkeypatch, lpstat=True)
    orders = write_file(home / "orders.csv", ROWS[:1])
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--labels-out", "labels.pdf",
                     "--print", "--printer", "Nowhere")
    assert result.exit_code != 0
    assert "printer 'Nowhere' is unknown to CUPS" in result.stderr
    assert "Invalid destination" in result.stderr
    assert not (home / "data" / "simulator.sqlite3").exists() and printed(log) == []
    known = shipctl("--simulate", "bulk", str(orders), "--yes", "--labels-out", "labels.pdf",
                    "--print", "--printer", "Laser")
    assert known.exit_code == 0, known.stdout + known.stderr
    assert [args[:2] for args, _ in printed(log)] == [["-d", "Laser"]]


def test_no_lp_is_one_clear_error(
    shipctl: Shipctl, home: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    empty = home / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    orders = write_file(home / "orders.csv", ROWS[:1])
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--labels-out", "labels.pdf",
                     "--print")
    assert result.exit_code != 0
    assert "`lp` (CUPS) is not installed" in result.stderr
    assert not (home / "data" / "simulator.sqlite3").exists()  # refused before buying


def test_runs_show_reproduces_a_past_runs_sort_layout_and_slips(
    shipctl: Shipctl, home: Path,
) -> None:
    orders = write_file(home / "orders.csv")
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--sort", "zip",
                     "--labels-out", "labels.pdf", "--labels-layout", "letter-2up",
                     "--slips-with-labels")
    assert result.exit_code == 0, result.stdout + result.stderr
    again = shipctl("--simulate", "runs", "show", "1", "--labels-out", "again.pdf",
                    "--packing-slips", "slips.pdf")
    assert again.exit_code == 0, again.stdout + again.stderr
    first, second = pypdf.PdfReader(home / "labels.pdf"), pypdf.PdfReader(home / "again.pdf")
    assert len(first.pages) == len(second.pages) == 4  # 4 slips + 4 labels, two a sheet
    assert {(round(float(p.mediabox.width)), round(float(p.mediabox.height)))
            for p in second.pages} == {(612, 792)}
    assert page_texts(home / "labels.pdf") == page_texts(home / "again.pdf")
    # Each sheet: the order's slip on top, its label (the reference printed on it) below.
    assert [references_in(t) for t in page_texts(home / "again.pdf")] == [[r, r]
                                                                          for r in BY_ZIP]
    slips = page_texts(home / "slips.pdf")
    assert len(slips) == 2 and [r for t in slips for r in references_in(t)] == BY_ZIP


def test_runs_show_prints_a_past_runs_labels_again(
    shipctl: Shipctl, home: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = stand_in_lp(home, monkeypatch)
    orders = write_file(home / "orders.csv", ROWS[:2])
    assert shipctl("--simulate", "bulk", str(orders), "--yes").exit_code == 0
    again = shipctl("--simulate", "runs", "show", "1", "--labels-out", "again.epl", "--print",
                    "--printer", "Zebra")
    assert again.exit_code == 0, again.stdout + again.stderr
    [(args, data)] = printed(log)
    assert args == ["-d", "Zebra", "-o", "raw", "--", "again.epl"]
    assert data == (home / "again.epl").read_bytes() and data.count(b"\nP1") == 2
