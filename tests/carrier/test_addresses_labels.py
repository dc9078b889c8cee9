"""Address verification and label files against the simulator."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from shipctl.carrier import shipments
from shipctl.carrier.addresses import verify_address
from shipctl.carrier.errors import AddressVerificationError
from shipctl.carrier.labels import fetch_labels, merge_labels
from shipctl.carrier.rates import choose_rate
from shipctl.errors import ExitCode
from shipctl.models import RateRule
from shipctl.simulator import RunningSimulator

from .simulated import FROM, TO, executor_for, order

Simulator = Callable[..., RunningSimulator]


async def test_a_deliverable_address_comes_back_standardised(simulator: Simulator) -> None:
    sim = simulator()
    async with executor_for(sim, 2) as executor:
        verified = await verify_address(executor, TO)
    assert verified.street1 == "22 OAK AVE"
    assert verified.zip.startswith("02108-")


async def test_a_failed_verification_lists_easyposts_field_messages(
    simulator: Simulator,
) -> None:
    sim = simulator()
    no_number = TO.model_copy(update={"street1": "Oak Avenue"})
    with pytest.raises(AddressVerificationError) as raised:
        async with executor_for(sim, 2) as executor:
            await verify_address(executor, no_number)
    assert raised.value.code == "ADDRESS.VERIFY.FAILURE"
    assert raised.value.exit_code == ExitCode.BAD_INPUT
    assert "street1: House number is missing" in raised.value.message
    assert sim.stats()["purchases"]["total"] == 0


async def buy_labels(sim: RunningSimulator, fmt: str, count: int) -> list[bytes]:
    async with executor_for(sim, 4) as executor:
        urls = []
        for i in range(count):
            quoted = await shipments.create_shipment(
                executor, order(f"{fmt}-{i}"), FROM, label_format=fmt)
            label = await shipments.buy(
                executor, quoted.shipment_id, choose_rate(quoted, RateRule()))
            urls.append(label.label_url)
        return await fetch_labels(urls, concurrency=4)


async def test_pdf_and_png_labels_merge_into_one_4x6_pdf(simulator: Simulator) -> None:
    from pypdf import PdfReader

    sim = simulator()
    pdfs, pngs = await buy_labels(sim, "PDF", 2), await buy_labels(sim, "PNG", 2)
    assert all(p.startswith(b"%PDF") for p in pdfs)
    assert all(p.startswith(b"\x89PNG") for p in pngs)
    merged = PdfReader(io.BytesIO(merge_labels([*pdfs, *pngs], "PDF")))
    assert len(merged.pages) == 4
    assert {(round(float(p.mediabox.width)), round(float(p.mediabox.height)))
            for p in merged.pages} == {(288, 432)}


async def test_zpl_labels_concatenate_in_order(simulator: Simulator) -> None:
    sim = simulator()
    zpls = await buy_labels(sim, "ZPL", 3)
    merged = merge_labels(zpls, "ZPL")
    assert merged.count(b"^XA") == 3 and merged.count(b"^XZ") == 3
    assert merged.index(zpls[0].strip()) < merged.index(zpls[1].strip()) < merged.index(
        zpls[2].strip())


def test_several_png_labels_do_not_make_one_png() -> None:
    with pytest.raises(ValueError, match="write PDF instead"):
        merge_labels([b"\x89PNG1", b"\x89PNG2"], "PNG")
