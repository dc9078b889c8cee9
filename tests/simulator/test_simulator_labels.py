"""Label options through the real SDK: EPL2, label_date, label_resolution, print_custom_1..3."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime
from typing import Any

import easypost
import pytest
import requests
from easypost.errors import InvalidRequestError
from PIL import Image
from pypdf import PdfReader

from .conftest import error_detail, shipment_params

CUSTOM = {"print_custom_1": "ORDER #A-1001", "print_custom_2": "Bin 14 / shelf C",
          "print_custom_3": "Gift: no invoice"}


def _buy(client: easypost.EasyPostClient, **options: Any) -> Any:
    shipment = client.shipment.create(**shipment_params(options=options))
    return client.shipment.buy(shipment.id, rate=shipment.lowest_rate())


def test_an_epl2_label_is_epl2(client: easypost.EasyPostClient) -> None:
    bought = _buy(client, label_format="EPL2", **CUSTOM)
    label = bought.postage_label
    assert label.label_file_type == "application/epl2"
    assert label.label_url.endswith(".epl2") and label.label_epl2_url == label.label_url
    assert label.label_zpl_url is None and label.label_pdf_url is None
    assert label.label_resolution == 203
    answer = requests.get(label.label_epl2_url, timeout=10)
    assert answer.headers["Content-Type"].startswith("application/epl2")
    lines = answer.text.splitlines()
    assert not answer.content.startswith(b"\x89PNG")
    assert {"N", "q812", "Q1218,24"} <= set(lines) and lines[-1] == "P1"
    assert f'B40,800,0,1,2,4,200,B,"{bought.tracking_code}"' in lines
    texts = [line for line in lines if line.startswith("A")]
    assert any(f'"{label.label_date[:10]}' in line for line in texts)
    for value in CUSTOM.values():
        assert any(f'"{value.upper()}"' in line or f'"{value}"' in line for line in texts)
    assert any("NOT VALID POSTAGE" in line for line in texts)


def test_a_label_converts_to_epl2(client: easypost.EasyPostClient) -> None:
    bought = _buy(client)
    converted = client.shipment.label(bought.id, file_format="EPL2")
    assert converted.postage_label.label_epl2_url.endswith(".epl2")
    assert converted.postage_label.label_url == bought.postage_label.label_url
    text = requests.get(converted.postage_label.label_epl2_url, timeout=10).text
    assert bought.tracking_code in text and text.rstrip().endswith("P1")
    with pytest.raises(InvalidRequestError):
        client.shipment.label(bought.id, file_format="GIF")


@pytest.mark.parametrize(("given", "expected"), [
    ("2031-05-17T09:30:00Z", "2031-05-17T09:30:00Z"),
    ("2031-05-17", "2031-05-17T00:00:00Z"),
    ("2031-05-17T11:30:00+02:00", "2031-05-17T09:30:00Z"),
])
def test_label_date_is_returned_and_printed(
    client: easypost.EasyPostClient, given: str, expected: str
) -> None:
    bought = _buy(client, label_format="ZPL", label_date=given)
    label = bought.postage_label
    assert label.label_date == expected
    zpl = requests.get(label.label_zpl_url, timeout=10).text
    assert "^FD2031-05-17 " in zpl
    pdf_url = client.shipment.label(bought.id, file_format="PDF").postage_label.label_pdf_url
    text = PdfReader(io.BytesIO(requests.get(pdf_url, timeout=10).content)).pages[0].extract_text()
    assert "2031-05-17" in text


def test_date_advance_moves_the_label_date(client: easypost.EasyPostClient) -> None:
    bought = _buy(client, date_advance=3)
    label = bought.postage_label
    assert label.date_advance == 3
    stamp = datetime.fromisoformat(label.label_date.replace("Z", "+00:00"))
    created = datetime.fromisoformat(label.created_at.replace("Z", "+00:00"))
    assert round((stamp - created).total_seconds() / 86400) == 3


def test_a_bad_label_date_is_refused(client: easypost.EasyPostClient) -> None:
    shipment = client.shipment.create(**shipment_params(options={"label_date": "next tuesday"}))
    with pytest.raises(InvalidRequestError) as raised:
        client.shipment.buy(shipment.id, rate=shipment.rates[0])
    assert error_detail(raised.value) == "options.label_date"
    assert client.shipment.retrieve(shipment.id).postage_label is None


def test_label_resolution_is_the_images(client: easypost.EasyPostClient) -> None:
    bought = _buy(client)
    label = bought.postage_label
    assert label.label_resolution == 300 and label.label_size == "4x6"
    image = Image.open(io.BytesIO(requests.get(label.label_url, timeout=10).content))
    assert image.size == (4 * label.label_resolution, 6 * label.label_resolution)
    assert tuple(round(v) for v in image.info["dpi"]) == (300, 300)
    thermal = _buy(client, label_format="ZPL")
    assert thermal.postage_label.label_resolution == 203
    zpl = requests.get(thermal.postage_label.label_zpl_url, timeout=10).text
    assert "^PW812" in zpl and "^LL1218" in zpl
    # Its image, made at the label's resolution too.
    png_url = thermal.postage_label.label_url.rsplit(".", 1)[0] + ".png"
    small = Image.open(io.BytesIO(requests.get(png_url, timeout=10).content))
    assert small.size == (812, 1218)


def test_print_custom_fields_are_printed(client: easypost.EasyPostClient) -> None:
    bought = _buy(client, label_format="PDF", **CUSTOM)
    assert {k: bought.options[k] for k in CUSTOM} == CUSTOM
    text = PdfReader(io.BytesIO(requests.get(bought.postage_label.label_url,
                                             timeout=10).content)).pages[0].extract_text()
    for value in CUSTOM.values():
        assert value in text
    zpl_url = client.shipment.label(bought.id, file_format="ZPL").postage_label.label_zpl_url
    zpl = requests.get(zpl_url, timeout=10).text
    for value in CUSTOM.values():
        assert f"^FD{value}^FS" in zpl
    plain = _buy(client, label_format="ZPL")
    assert "ORDER #A-1001" not in requests.get(plain.postage_label.label_zpl_url,
                                                timeout=10).text


def test_label_date_defaults_to_the_purchase_time(client: easypost.EasyPostClient) -> None:
    before = time.time()
    label = _buy(client).postage_label
    stamp = datetime.fromisoformat(label.label_date.replace("Z", "+00:00"))
    assert stamp.tzinfo == UTC or stamp.utcoffset() is not None
    assert label.date_advance == 0 and label.label_date == label.created_at
    assert stamp.timestamp() >= before - 5
