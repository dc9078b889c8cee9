"""Which labels made EasyPost refuse a scan form: read from its message, or from each label's
shipment checked against the rules EasyPost documents for forms."""

from __future__ import annotations

from datetime import date
from typing import Any

from shipctl.carrier.scan_forms import LabelFacts
from shipctl.errors import CarrierError
from shipctl.jobs.form_refusals import check, named, reason_in
from shipctl.store.manifests import ManifestLabel

TODAY = date(2026, 12, 1)
HERE = {"street1": "1 Main St", "city": "Springfield", "state": "IL", "zip": "62701",
        "country": "US"}
A, B = "ca_" + "a" * 32, "ca_" + "b" * 32


def label(n: int) -> ManifestLabel:
    return ManifestLabel(n, f"R-{n}", f"shp_{n:04d}x", f"9400{n:06d}", "USPS", None, A)


def facts(n: int, **changes: Any) -> LabelFacts:
    values: dict[str, Any] = {
        "shipment_id": f"shp_{n:04d}x", "bought": True, "refund_status": None,
        "scan_form_id": None, "label_date": TODAY, "carrier_account_id": A,
        "from_address": dict(HERE)}
    values.update(changes)
    return LabelFacts(**values)


def test_the_reason_is_read_from_easypost_words() -> None:
    assert reason_in("Unable to create manifest. 2 of the specified shipments were not found: "
                     "shp_1, shp_2") == "not_found"
    assert reason_in("Shipment shp_1 has been refunded.") == "refunded"
    assert reason_in("Shipment shp_1 is already on scan form sf_9.") == "on_scan_form"
    assert reason_in("Shipment shp_1 is dated 2026-11-30, before the form's date") == \
        "dated_before"
    assert reason_in("Shipment shp_1 has not been purchased.") == "not_bought"
    assert reason_in("Something else entirely.") == "refused"


def test_the_labels_a_message_names_are_the_offenders() -> None:
    labels = [label(1), label(2), label(3)]
    message = ("Unable to create manifest. 2 of the specified shipments were not found: "
               "shp_0001x, shp_0003x, shp_9999x")
    verdict = named(labels, message, "SCAN_FORM.CREATE.FAILURE")
    assert [(x.label.id, x.reason, x.error_code) for x in verdict.exclusions] == [
        (1, "not_found", "SCAN_FORM.CREATE.FAILURE"), (3, "not_found", "SCAN_FORM.CREATE.FAILURE")]
    on_form = named(labels, "Shipment shp_0002x is already on scan form sf_77ab.", None)
    assert [(x.label.id, x.on_scan_form) for x in on_form.exclusions] == [(2, "sf_77ab")]
    # A message naming no label of the form (or none at all) pins nobody.
    assert not named(labels, "All shipments must have the same from address.", None)
    assert not named(labels, "Shipment shp_0004x has been refunded.", None)


def test_each_label_is_checked_against_easyposts_rules() -> None:
    labels = [label(n) for n in range(1, 9)]
    found: dict[str, LabelFacts | CarrierError] = {
        "shp_0001x": facts(1),
        "shp_0002x": facts(2, refund_status="submitted"),
        "shp_0003x": facts(3, scan_form_id="sf_elsewhere"),
        "shp_0004x": facts(4, label_date=date(2026, 11, 30)),
        "shp_0005x": facts(5, carrier_account_id=B),
        "shp_0006x": CarrierError("gone", code="NOT_FOUND"),
        "shp_0007x": CarrierError("EasyPost answered 503", code="HTTP_503"),
        # The same place as EasyPost spells it again, upper case: one origin.
        "shp_0008x": facts(8, from_address={k: v.upper() for k, v in HERE.items()}),
    }
    verdict = check(labels, found, account=A, code="X", today=TODAY)
    assert sorted((x.label.id, x.reason, x.on_scan_form) for x in verdict.exclusions) == [
        (2, "refunded", None), (3, "on_scan_form", "sf_elsewhere"), (4, "dated_before", None),
        (6, "not_found", None)]
    # Another account's label is not at fault: it is grouped again with its own.
    assert [(lab.id, account) for lab, account in verdict.regroup] == [(5, B)]
    # Label 7 could not be read: given the benefit of the doubt.
    assert 7 not in verdict.label_ids() and 1 not in verdict.label_ids()


def test_the_odd_origin_and_account_out_are_found_among_the_labels() -> None:
    labels = [label(n) for n in range(1, 5)]
    elsewhere = {**HERE, "street1": "500 Harbor Way", "city": "Boston", "state": "MA",
                 "zip": "02110"}
    found: dict[str, LabelFacts | CarrierError] = {
        "shp_0001x": facts(1, carrier_account_id=B),
        "shp_0002x": facts(2, carrier_account_id=B),
        "shp_0003x": facts(3, carrier_account_id=A),
        "shp_0004x": facts(4, carrier_account_id=B, from_address=elsewhere),
    }
    # The form's account not known: the labels' most common account is the form's.
    verdict = check(labels, found, account=None, code=None, today=TODAY)
    assert [(lab.id, account) for lab, account in verdict.regroup] == [(3, A)]
    assert [(x.label.id, x.reason) for x in verdict.exclusions] == [(4, "origin")]
    assert "500 HARBOR WAY" in verdict.exclusions[0].message
