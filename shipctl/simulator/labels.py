"""4x6 label files (PNG, PDF, ZPL) rendered on demand for a bought shipment."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

NOT_POSTAGE = "SIMULATED — NOT VALID POSTAGE"
CONTENT_TYPES = {"png": "image/png", "pdf": "application/pdf", "zpl": "application/zpl"}
DPI = 203  # a thermal printer's resolution: 812 x 1218 dots for 4x6 inches


@dataclass(frozen=True)
class LabelContent:
    tracking_code: str
    carrier: str
    service: str
    ship_from: tuple[str, ...]
    ship_to: tuple[str, ...]
    label_date: str
    weight_oz: float


def content_of(shipment: dict[str, Any]) -> LabelContent:
    rate = shipment["selected_rate"]
    return LabelContent(
        tracking_code=shipment["tracking_code"],
        carrier=rate["carrier"],
        service=rate["service"],
        ship_from=_lines(shipment["from_address"]),
        ship_to=_lines(shipment["to_address"]),
        label_date=shipment["postage_label"]["label_date"][:10],
        weight_oz=float(shipment["parcel"]["weight"]),
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
    from PIL import Image, ImageDraw, ImageFont

    width, height = 4 * DPI, 6 * DPI
    image = Image.new("1", (width, height), 1)
    draw = ImageDraw.Draw(image)
    big, small = ImageFont.load_default(size=40), ImageFont.load_default(size=26)
    draw.rectangle((8, 8, width - 9, height - 9), outline=0, width=4)
    draw.text((30, 24), f"{content.carrier} {content.service}", font=big, fill=0)
    draw.text((30, 80), f"{content.label_date}  {content.weight_oz:g} OZ", font=small, fill=0)
    y = 130
    for line in ("FROM:", *content.ship_from):
        draw.text((30, y), line, font=small, fill=0)
        y += 32
    y += 30
    for line in ("SHIP TO:", *content.ship_to):
        draw.text((60, y), line, font=big, fill=0)
        y += 48
    # Bars two dots per module: readable at 203 dpi and fits a 22-digit code on 4 inches.
    x, top, module = 40, 800, 2
    for i, ch in enumerate(_code128_modules(content.tracking_code)):
        span = (ord(ch.lower()) - ord("a") + 1) * module
        if i % 2 == 0:
            draw.rectangle((x, top, x + span - 1, top + 200), fill=0)
        x += span
    draw.text((40, top + 215), content.tracking_code, font=small, fill=0)
    draw.text((30, height - 90), NOT_POSTAGE, font=small, fill=0)
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(DPI, DPI))
    return out.getvalue()


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
    page.drawString(0.2 * inch, 5.45 * inch, f"{content.label_date}  {content.weight_oz:g} OZ")
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
             field(30, 80, f"{content.label_date}  {content.weight_oz:g} OZ", 26)]
    y = 130
    for line in ("FROM:", *content.ship_from):
        parts.append(field(30, y, line, 26))
        y += 32
    y += 30
    for line in ("SHIP TO:", *content.ship_to):
        parts.append(field(60, y, line, 40))
        y += 48
    parts.append(f"^FO40,800^BY2^BCN,200,Y,N,N^FD{content.tracking_code}^FS")
    parts.append(field(30, 1130, NOT_POSTAGE, 26))
    parts.append("^XZ")
    return "\n".join(parts) + "\n"
