"""The files of the scan forms a `manifest` run made: waited for, downloaded, merged into one
PDF to print."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from shipctl.errors import CarrierAuthError, CarrierError

if TYPE_CHECKING:
    from shipctl.carrier.session import CarrierSession
    from shipctl.jobs.manifest import ManifestReport
    from shipctl.store.database import Pool


async def await_files(
    pool: Pool, session: CarrierSession, report: ManifestReport, *, waits: int
) -> None:
    """EasyPost may answer `creating` with no file yet: read such forms again `waits` times
    (2, 4, 6… s apart)."""
    from shipctl.carrier.scan_forms import retrieve_scan_form
    from shipctl.store import manifests as store

    for attempt in range(waits):
        waiting = [(i, o) for i, o in enumerate(report.outcomes)
                   if o.status == "created" and not o.form_url and o.scan_form_id]
        if not waiting:
            return
        await session.executor.sleep(2.0 * (attempt + 1))
        for index, outcome in waiting:
            assert outcome.scan_form_id is not None
            try:
                form = await retrieve_scan_form(session.executor, outcome.scan_form_id)
            except CarrierAuthError:
                raise
            except CarrierError:
                continue
            if form.form_url:
                await store.record_file(pool, outcome.scan_form_id, form.form_url)
                report.outcomes[index] = replace(outcome, form_url=form.form_url)
    missing = [o.scan_form_id for o in report.outcomes
               if o.status == "created" and not o.form_url]
    if missing:
        report.download_error = (f"EasyPost has no file yet for scan form(s) "
                                 f"{', '.join(str(m) for m in missing)}: run `shipctl "
                                 "manifest list` later")


def default_pdf_path(ship_date: date) -> Path:
    """scan-forms-DATE.pdf in the working directory, numbered when it exists already."""
    path = Path(f"scan-forms-{ship_date.isoformat()}.pdf")
    number = 2
    while path.exists():
        path = Path(f"scan-forms-{ship_date.isoformat()}-{number}.pdf")
        number += 1
    return path


async def write_pdf(
    report: ManifestReport, urls: Sequence[str], out: Path | None, *, force: bool,
    concurrency: int,
) -> None:
    """Download the forms' files and write them merged, at `out` or the day's default."""
    from pypdf import PdfReader

    from shipctl.carrier.labels import fetch_label_files, merge_documents
    from shipctl.files import write_atomically

    files = await fetch_label_files(urls, concurrency=concurrency)
    missing = [url for url, data in zip(urls, files, strict=True) if data is None]
    if missing:
        report.download_error = (f"{len(missing)} scan form file(s) could not be downloaded: "
                                 + ", ".join(missing))
        return
    merged = merge_documents([data for data in files if data is not None])
    path = out or default_pdf_path(report.ship_date)
    write_atomically(path, merged, force=force)
    report.pdf_path = path
    report.pages = len(PdfReader(io.BytesIO(merged)).pages)
