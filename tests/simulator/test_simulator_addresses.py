"""Address verification through the real SDK, as the real API answers (see the recordings in
the official SDK's test suite: test_address_*.yaml)."""

from __future__ import annotations

from typing import Any

import easypost
import pytest
from easypost.errors import InvalidRequestError

from .conftest import FROM

# The official SDK test suite's `incorrect_address` fixture (a request body: Any values).
INCORRECT: dict[str, Any] = {
    "company": "EasyPost", "street1": "000 unknown street", "city": "Not A City",
    "state": "ZZ", "zip": "00001", "country": "US", "email": "test@example.com",
    "phone": "5555555555"}
NOT_FOUND = {"code": "E.ADDRESS.NOT_FOUND", "field": "address", "message": "Address not found",
             "suggestion": None}
HOUSE_NUMBER = {"code": "E.HOUSE_NUMBER.MISSING", "field": "street1",
                "message": "House number is missing", "suggestion": None}


def test_verified_address_folds_the_secondary_line(client: easypost.EasyPostClient) -> None:
    for address in (client.address.create(verify_strict=True, **FROM),
                    client.address.create_and_verify(**FROM),
                    client.address.create(verify=True, **FROM)):
        assert (address.street1, address.street2) == ("388 TOWNSEND ST APT 20", "")
        assert (address.name, address.city, address.state) == (
            "JACK SPARROW", "SAN FRANCISCO", "CA")
        assert address.zip.startswith("94107-") and len(address.zip) == 10
        delivery = address.verifications.delivery
        assert delivery.success is True and delivery.errors == []
        assert delivery.details.time_zone == "America/Los_Angeles"
        assert address.verifications.zip4.details is None


def test_street_words_are_standardised(client: easypost.EasyPostClient) -> None:
    address = client.address.create_and_verify(
        name="A", street1="12 North Harbor Drive", street2="Suite 5", city="Redondo Beach",
        state="CA", zip="90277")
    assert (address.street1, address.street2) == ("12 N HARBOR DR STE 5", "")


def test_the_sdk_suites_incorrect_address(client: easypost.EasyPostClient) -> None:
    plain = client.address.create(**INCORRECT)
    assert plain.verifications.to_dict() == {}
    checked = client.address.create(verify=True, **INCORRECT)
    assert checked.street1 == "000 unknown street" and checked.street2 is None
    delivery, zip4 = checked.verifications.delivery, checked.verifications.zip4
    assert delivery.success is False and delivery.details.to_dict() == {}
    assert [e.to_dict() for e in delivery.errors] == [NOT_FOUND]
    assert zip4.success is False and zip4.details is None
    assert [e.to_dict() for e in zip4.errors] == [NOT_FOUND]
    # the API takes `verify` as a list too (verify[]=…); the SDK's hint says bool only
    as_list = client.address.create(verify=[True], **INCORRECT)  # type: ignore[arg-type]
    assert as_list.verifications.delivery.success is False
    with pytest.raises(InvalidRequestError) as error:
        client.address.create_and_verify(**INCORRECT)
    assert error.value.http_status == 422 and error.value.code == "ADDRESS.VERIFY.FAILURE"
    assert error.value.errors == [NOT_FOUND]


@pytest.mark.parametrize(("change", "errors"), [
    ({"zip": "00001"}, [NOT_FOUND]),  # no such ZIP
    ({"zip": "21301"}, [NOT_FOUND]),  # a prefix USPS does not use
    ({"zip": ""}, [NOT_FOUND]),
    ({"city": "Seattle", "zip": "98103"},  # a Washington ZIP with state CA
     [{**NOT_FOUND, "suggestion": "SEATTLE, WA 98103"}]),
    ({"city": "Oakland"}, [  # San Francisco's ZIP with another city
        {**NOT_FOUND, "suggestion": "SAN FRANCISCO, CA 94107"}]),
    ({"zip": "98103"}, [{**NOT_FOUND, "suggestion": "SEATTLE, WA 98103"}]),  # city SF
    ({"zip": "94100"}, [NOT_FOUND]),  # in a prefix USPS uses, but no such ZIP
    ({"zip": "94199"}, [NOT_FOUND]),  # decommissioned
    ({"street1": "Townsend St"}, [NOT_FOUND, HOUSE_NUMBER]),
])
def test_verification_fails_like_the_real_one(
    client: easypost.EasyPostClient, change: dict[str, str], errors: list[dict[str, Any]]
) -> None:
    fields = {**FROM, **change}
    soft = client.address.create(verify=True, **fields)
    assert soft.verifications.delivery.success is False
    assert [e.to_dict() for e in soft.verifications.delivery.errors] == errors
    assert soft.street2 == "Apt 20"  # not standardised
    with pytest.raises(InvalidRequestError) as strict:
        client.address.create(verify_strict=True, **fields)
    assert strict.value.http_status == 422
    assert strict.value.code == "ADDRESS.VERIFY.FAILURE"
    assert strict.value.message == "Unable to verify address."
    assert strict.value.errors == errors


def test_verify_by_id_as_recorded(client: easypost.EasyPostClient) -> None:
    # test_address_verify_invalid_address.yaml: street1 "invalid" only.
    address = client.address.create(street1="invalid")
    with pytest.raises(InvalidRequestError) as error:
        client.address.verify(address.id)
    assert str(error.value) == "Unable to verify address."
    assert error.value.errors == [NOT_FOUND, HOUSE_NUMBER]
    good = client.address.create(**FROM)
    verified = client.address.verify(good.id)
    assert verified.id != good.id and verified.street1 == "388 TOWNSEND ST APT 20"
    assert client.address.retrieve(verified.id).street2 == ""


def test_verify_carrier(client: easypost.EasyPostClient) -> None:
    # As recorded with UPS: standardised, reported found, the errors still listed.
    address = client.address.create(verify=True, verify_carrier="UPS", **INCORRECT)
    assert address.street1 == "000 UNKNOWN STREET" and address.street2 == ""
    assert address.verifications.verify_carrier == "ups"
    assert address.verifications.delivery.success is True
    assert address.verifications.delivery.errors[0].message == "Address not found"
    assert address.verifications.zip4.errors[0].message == "Address not found"
    assert address.verifications.delivery.details.latitude is None
    created = client.address.create_and_verify(verify_carrier="UPS", **INCORRECT)
    assert created.verifications.delivery.errors[0].message == "Address not found"
    good = client.address.create(verify_carrier="fedex", **FROM)
    assert good.verifications.verify_carrier == "fedex"
    assert good.verifications.delivery.errors == []
    with pytest.raises(InvalidRequestError) as error:
        client.address.create(verify_carrier="DHL", **FROM)
    assert error.value.code == "ADDRESS.VERIFY.CARRIER_INVALID"


def test_international_addresses_are_not_checked_against_us_zips(
    client: easypost.EasyPostClient,
) -> None:
    address = client.address.create_and_verify(
        name="Ann", street1="100 Queen St W", city="Toronto", state="ON", zip="M5H 2N2",
        country="CA")
    assert address.street1 == "100 QUEEN ST W" and address.zip == "M5H 2N2"


@pytest.mark.parametrize(("city", "state", "zip_code", "verified"), [
    ("Seattle", "WA", "98103-1234", ("SEATTLE", "WA", "98103-1234")),  # ZIP+4 kept
    ("seattle", "WA", "981031234", ("SEATTLE", "WA", "98103-1234")),
    ("St. Louis", "MO", "63101", ("ST. LOUIS", "MO", "63101-")),  # St. = Saint
    ("Saint Louis", "MO", "63101", ("SAINT LOUIS", "MO", "63101-")),
    ("Ft Worth", "TX", "76102", ("FT WORTH", "TX", "76102-")),  # Ft = Fort
    ("Mount Vernon", "NY", "10550", ("MOUNT VERNON", "NY", "10550-")),
    ("N Las Vegas", "NV", "89030", ("N LAS VEGAS", "NV", "89030-")),  # an accepted name
    ("Winston-Salem", "NC", "27101", ("WINSTON-SALEM", "NC", "27101-")),
    ("Wallingford", "WA", "98103", ("SEATTLE", "WA", "98103-")),  # known, not accepted
    ("Manhattan", "NY", "10118", ("NEW YORK", "NY", "10118-")),
    ("", "", "98103", ("SEATTLE", "WA", "98103-")),  # filled in from the ZIP
    ("APO", "AE", "09001", ("APO", "AE", "09001-")),  # military
    ("San Juan", "PR", "00901", ("SAN JUAN", "PR", "00901-")),  # a territory
])
def test_a_city_is_compared_as_usps_writes_it(
    client: easypost.EasyPostClient, city: str, state: str, zip_code: str,
    verified: tuple[str, str, str],
) -> None:
    address = client.address.create_and_verify(
        name="Ann", street1="100 Main St", city=city, state=state, zip=zip_code)
    assert address.verifications.delivery.success is True
    assert (address.city, address.state) == verified[:2]
    assert address.zip.startswith(verified[2]) and len(address.zip) == 10


@pytest.mark.parametrize(("city", "state", "zip_code", "suggestion"), [
    ("Portland", "WA", "98103", "SEATTLE, WA 98103"),  # another city of the state
    ("Seattle", "WA", "98013", "BURTON, WA 98013"),  # a ZIP mistyped into another town's
    ("Seattle", "OR", "98103", "SEATTLE, WA 98103"),
    ("APO", "AE", "98103", "SEATTLE, WA 98103"),
    ("Seattle", "WA", "98000", None),  # no such ZIP
])
def test_a_zip_of_another_place_is_not_found(
    client: easypost.EasyPostClient, city: str, state: str, zip_code: str,
    suggestion: str | None,
) -> None:
    fields: dict[str, Any] = {"name": "Ann", "street1": "100 Main St", "city": city,
                              "state": state, "zip": zip_code}
    with pytest.raises(InvalidRequestError) as strict:
        client.address.create(verify_strict=True, **fields)
    assert strict.value.http_status == 422
    assert strict.value.errors == [{**NOT_FOUND, "suggestion": suggestion}]
    soft = client.address.create(verify=True, **fields)
    assert soft.verifications.delivery.success is False
    assert (soft.city, soft.zip) == (city, zip_code)  # left as given
