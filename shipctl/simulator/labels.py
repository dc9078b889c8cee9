"""4x6 label files (PNG, PDF, ZPL, EPL2) rendered on demand for a bought shipment."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

NOT_POSTAGE = "SIMULATED — NOT VALID POSTAGE"
CONTENT_TYPES = {"png": "image/png", "pdf": "application/pdf", "zpl": "application/zpl",
                 "epl2": "application/epl2"}
# Resolutions a label is made at: images at 300 dpi (as EasyPost's PNG labels), printer
# languages at a thermal printer's 203 dpi (812 x 1218 dots for 4x6 inches).
IMAGE_DPI = 300
THERMAL_DPI = 203
THERMAL = frozenset({"zpl", "epl2"})
CUSTOM_FIELDS = ("print_custom_1", "print_custom_2", "print_custom_3")


def resolution_of(label_format: str) -> int:
    """The label_resolution of a label bought in `label_format` (PNG, PDF, ZPL, EPL2)."""
    return THERMAL_DPI if label_format.lower() in THERMAL else IMAGE_DPI


@dataclass(frozen=True)
class LabelContent:
    tracking_code: str
    carrier: str
    service: str
    ship_from: tuple[str, ...]
    ship_to: tuple[str, ...]
    label_date: str
    weight_oz: float
    custom: tuple[str, ...] = ()  # print_custom_1..3, as given
    dpi: int = IMAGE_DPI  # the label's label_resolution: the PNG's pixels per inch


def content_of(shipment: dict[str, Any]) -> LabelContent:
    rate = shipment["selected_rate"]
    label = shipment["postage_label"]
    options = shipment.get("options") or {}
    return LabelContent(
        tracking_code=shipment["tracking_code"],
        carrier=rate["carrier"],
        service=rate["service"],
        ship_from=_lines(shipment["from_address"]),
        ship_to=_lines(shipment["to_address"]),
        label_date=label["label_date"][:10],
        weight_oz=float(shipment["parcel"]["weight"]),
        custom=tuple(str(options[f]) for f in CUSTOM_FIELDS if options.get(f) not in (None, "")),
        dpi=int(label.get("label_resolution") or IMAGE_DPI),
    )


def _lines(address: dict[str, Any]) -> tuple[str, ...]:
    city = ", ".join(p for p in (address.get("city"), address.get("state")) if p)
    lines = [address.get("name"), address.get("company"), address.get("street1"),
             address.get("street2"), f"{city} {address.get('zip') or ''}".strip(),
             address.get("country")]
    return tuple(str(line).upper() for line in lines if line)


def render(content: LabelContent, fmt: str) -> bytes:
    """The label file in `fmt` (png, pdf or zpl); cached, since labels never change."""
    return _render(content, fmt)


@lru_cache(maxsize=512)
def _render(content: LabelContent, fmt: str) -> bytes:
    if fmt == "png":
        return _png(content)
    if fmt == "pdf":
        return _pdf(content)
    if fmt == "zpl":
        return _zpl(content).encode()
    if fmt == "epl2":
        return _epl2(content).encode()
    raise ValueError(f"unknown label format {fmt!r}")


def _code128_modules(code: str) -> str:
    """Code 128 bars and spaces as reportlab encodes them: A-D bars, a-d spaces (1-4 wide)."""
    from reportlab.graphics.barcode.code128 import Code128

    symbol = Code128(code)
    symbol.validate()
    symbol.encode()
    symbol.decompose()
    return str(symbol.decomposed)


def _png(content: LabelContent) -> bytes:
    """The label as a 1-bit image of 4 x 6 inches at the label's resolution."""
    from PIL import Image, ImageDraw, ImageFont

    dpi = content.dpi
    scale = dpi / THERMAL_DPI  # the layout is drawn in 203-dpi dots

    def at(value: float) -> int:
        return round(value * scale)

    width, height = 4 * dpi, 6 * dpi
    image = Image.new("1", (width, height), 1)
    draw = ImageDraw.Draw(image)
    big, small = ImageFont.load_default(size=at(40)), ImageFont.load_default(size=at(26))
    draw.rectangle((at(8), at(8), width - at(9), height - at(9)), outline=0, width=at(4))
    draw.text((at(30), at(24)), f"{content.carrier} {content.service}", font=big, fill=0)
    draw.text((at(30), at(80)), _date_line(content), font=small, fill=0)
    y = 130
    for line in ("FROM:", *content.ship_from):
        draw.text((at(30), at(y)), line, font=small, fill=0)
        y += 32
    y += 30
    for line in ("SHIP TO:", *content.ship_to):
        draw.text((at(60), at(y)), line, font=big, fill=0)
        y += 48
    # Bars two dots per module at 203 dpi: readable, and a 22-digit code fits on 4 inches.
    x: float = at(40)
    top, module = at(800), 2 * scale
    for i, ch in enumerate(_code128_modules(content.tracking_code)):
        span = (ord(ch.lower()) - ord("a") + 1) * module
        if i % 2 == 0:
            draw.rectangle((round(x), top, round(x + span) - 1, top + at(200)), fill=0)
        x += span
    draw.text((at(40), top + at(215)), content.tracking_code, font=small, fill=0)
    for i, line in enumerate(content.custom):
        draw.text((at(30), at(1050 + 26 * i)), line, font=small, fill=0)
    # The built-in font has no dash: spell the warning in ASCII.
    draw.text((at(30), height - at(90)), NOT_POSTAGE.replace("—", "-"), font=small, fill=0)
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()


def _date_line(content: LabelContent) -> str:
    return f"{content.label_date}  {content.weight_oz:g} OZ"


def _pdf(content: LabelContent) -> bytes:
    from reportlab.graphics.barcode.code128 import Code128
    from reportlab.lib.units import inch
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=(4 * inch, 6 * inch))
    page.setTitle(f"Label {content.tracking_code}")
    page.setFont("Helvetica-Bold", 14)
    page.drawString(0.2 * inch, 5.65 * inch, f"{content.carrier} {content.service}")
    page.setFont("Helvetica", 8)
    page.drawString(0.2 * inch, 5.45 * inch, _date_line(content))
    y = 5.2 * inch
    for line in ("FROM:", *content.ship_from):
        page.drawString(0.2 * inch, y, line)
        y -= 10
    page.setFont("Helvetica-Bold", 12)
    y -= 12
    for line in ("SHIP TO:", *content.ship_to):
        page.drawString(0.4 * inch, y, line)
        y -= 15
    Code128(content.tracking_code, barWidth=0.013 * inch, barHeight=0.9 * inch,
            humanReadable=True).drawOn(page, 0.15 * inch, 1.0 * inch)
    for i, line in enumerate(content.custom):
        page.drawString(0.2 * inch, (0.85 - 0.13 * i) * inch, line)
    page.setFont("Helvetica-Bold", 9)
    page.drawString(0.2 * inch, 0.35 * inch, NOT_POSTAGE)
    page.showPage()
    page.save()
    return out.getvalue()


def _zpl(content: LabelContent) -> str:
    def field(x: int, y: int, text: str, size: int = 30) -> str:
        clean = text.replace("^", " ").replace("~", " ")
        return f"^FO{x},{y}^A0N,{size},{size}^FD{clean}^FS"

    parts = ["^XA", "^CI28", "^PW812", "^LL1218",
             field(30, 30, f"{content.carrier} {content.service}", 40),
             field(30, 80, _date_line(content), 26)]
    y = 130
    for line in ("FROM:", *content.ship_from):
        parts.append(field(30, y, line, 26))
        y += 32
    y += 30
    for line in ("SHIP TO:", *content.ship_to):
        parts.append(field(60, y, line, 40))
        y += 48
    parts.append(f"^FO40,800^BY2^BCN,200,Y,N,N^FD{content.tracking_code}^FS")
    for i, line in enumerate(content.custom):
        parts.append(field(30, 1050 + 26 * i, line, 24))
    parts.append(field(30, 1130, NOT_POSTAGE, 26))
    parts.append("^XZ")
    return "\n".join(parts) + "\n"


def _epl2(content: LabelContent) -> str:
    """The label in EPL2, the page-mode language of Eltron/Zebra desktop printers, at 203 dpi.

    N clears the image buffer; q and Q set the label width and length (with the gap between
    labels); A prints text (x, y, rotation, font 1-5, horizontal and vertical multipliers,
    N for normal, "data"); B a barcode (type 1 is Code 128 with automatic subsets; narrow and
    wide bar widths, height, B for the human-readable line); LO draws a box edge; P1 prints
    one copy."""

    def text(x: int, y: int, line: str, font: int = 3, times: int = 1) -> str:
        # EPL2 escapes a quote and a backslash inside "data" with a backslash.
        clean = line.replace("\\", "\\\\").replace('"', '\\"')
        return f'A{x},{y},0,{font},{times},{times},N,"{clean}"'

    parts = ["", "N", "q812", "Q1218,24", "LO8,8,796,4", "LO8,1206,796,4",
             text(30, 30, f"{content.carrier} {content.service}", 4),
             text(30, 80, _date_line(content))]
    y = 130
    for line in ("FROM:", *content.ship_from):
        parts.append(text(30, y, line))
        y += 32
    y += 30
    for line in ("SHIP TO:", *content.ship_to):
        parts.append(text(60, y, line, 4))
        y += 48
    parts.append(f'B40,800,0,1,2,4,200,B,"{content.tracking_code}"')
    for i, line in enumerate(content.custom):
        parts.append(text(30, 1050 + 26 * i, line, 2))
    parts.append(text(30, 1130, NOT_POSTAGE.replace("—", "-")))
    parts.append("P1")
    return "\n".join(parts) + "\n"
