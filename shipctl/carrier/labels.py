"""Label files: download them concurrently, merge them into one file to print."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence

from shipctl.errors import CarrierError

LABEL_WIDTH_PT = 4 * 72  # a 4x6 inch thermal label, in PDF points
LABEL_HEIGHT_PT = 6 * 72
PDF_MAGIC = b"%PDF"
PNG_MAGIC = b"\x89PNG"


async def fetch_labels(
    urls: Sequence[str], *, concurrency: int, seconds_per_label: float = 60.0
) -> list[bytes]:
    """The label files at `urls`, downloaded `concurrency` at a time, in input order."""
    found = await fetch_label_files(urls, concurrency=concurrency,
                                    seconds_per_label=seconds_per_label)
    for url, data in zip(urls, found, strict=True):
        if data is None:
            raise CarrierError(f"label download failed: {url}", code="LABEL.DOWNLOAD")
    return [data for data in found if data is not None]


async def fetch_label_files(
    urls: Sequence[str | None], *, concurrency: int, seconds_per_label: float = 60.0
) -> list[bytes | None]:
    """Each label file at `urls`, or None where there is no URL or it did not answer with one.

    Label URLs are pre-signed (no API key), so a plain HTTP client fetches them; aiohttp does
    it on the event loop without tying up the executor's threads.
    """
    import aiohttp

    limit = max(1, concurrency)
    connector = aiohttp.TCPConnector(limit=limit)
    client_timeout = aiohttp.ClientTimeout(total=seconds_per_label)
    gate = asyncio.Semaphore(limit)
    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as session:

        async def fetch(url: str | None) -> bytes | None:
            if url is None:
                return None
            async with gate:
                try:
                    async with session.get(url) as response:
                        if response.status != 200:
                            return None
                        return await response.read()
                except (aiohttp.ClientError, TimeoutError, ValueError):
                    return None

        return list(await asyncio.gather(*(fetch(url) for url in urls)))


def label_fits(data: bytes, file_format: str) -> bool:
    """Whether a label file's bytes can go into a labels file of `file_format`."""
    if file_format.upper() == "ZPL":  # ZPL may open with ~ commands (graphics) before ^XA
        return b"^XA" in data[:65536] and not data.startswith((PDF_MAGIC, PNG_MAGIC))
    if file_format.upper() == "EPL2":  # page mode: N clears the buffer, P prints
        head = data[:65536]
        return (head.lstrip().startswith(b"N") and b"\nP" in data
                and not data.startswith((PDF_MAGIC, PNG_MAGIC)) and b"^XA" not in head)
    return data.startswith(PDF_MAGIC) or data.startswith(PNG_MAGIC)


def merge_labels(labels: Sequence[bytes], label_format: str) -> bytes:
    """One file to print: PDF (PDF and PNG labels as 4x6 pages), ZPL or EPL2 concatenated,
    or one PNG."""
    fmt = label_format.upper()
    if fmt in ("ZPL", "EPL2"):
        return b"\n".join(label.rstrip(b"\r\n") for label in labels) + b"\n"
    if fmt == "PNG":
        if len(labels) != 1:
            raise ValueError("PNG labels cannot be merged into one file: write PDF instead")
        return labels[0]
    if fmt == "PDF":
        return _merge_pdf(labels)
    raise ValueError(f"label format {label_format!r} is not PDF, ZPL, EPL2 or PNG")


def _merge_pdf(labels: Sequence[bytes]) -> bytes:
    from pypdf import PdfReader, PdfWriter, Transformation

    writer = PdfWriter()
    for label in labels:
        data = png_to_pdf(label) if label.startswith(PNG_MAGIC) else label
        if not data.startswith(PDF_MAGIC):
            raise ValueError("a label is neither a PDF nor a PNG")
        for source in PdfReader(io.BytesIO(data)).pages:
            # Transformed once in the writer (pypdf changes only a writer's pages).
            page = writer.add_page(source)
            width, height = float(page.mediabox.width), float(page.mediabox.height)
            if (round(width), round(height)) != (LABEL_WIDTH_PT, LABEL_HEIGHT_PT):
                # Fit any other page size onto a 4x6 page, so one printer setting prints all.
                scale = min(LABEL_WIDTH_PT / width, LABEL_HEIGHT_PT / height)
                page.add_transformation(Transformation().scale(scale, scale))
                page.mediabox.lower_left = (0, 0)
                page.mediabox.upper_right = (LABEL_WIDTH_PT, LABEL_HEIGHT_PT)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_to_pdf(png: bytes) -> bytes:
    """A PNG label as a one-page 4x6 PDF, the image scaled to fill the page."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=(LABEL_WIDTH_PT, LABEL_HEIGHT_PT))
    page.drawImage(ImageReader(io.BytesIO(png)), 0, 0, width=LABEL_WIDTH_PT,
                   height=LABEL_HEIGHT_PT, preserveAspectRatio=True, anchor="c")
    page.showPage()
    page.save()
    return out.getvalue()


def merge_documents(documents: Sequence[bytes]) -> bytes:
    """PDF documents (scan forms) as one PDF, every page kept at its own size."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for document in documents:
        if not document.startswith(PDF_MAGIC):
            raise ValueError("a document is not a PDF")
        for page in PdfReader(io.BytesIO(document)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
