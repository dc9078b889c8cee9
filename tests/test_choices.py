"""Label formats and rate strategies: one list each, matched in any case."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from shipctl.choices import LabelFormat, RateStrategy
from shipctl.models import RateRule


@pytest.mark.parametrize("text", ["pdf", "PDF", " Pdf "])
def test_a_label_format_in_any_case(text: str) -> None:
    assert LabelFormat.parse(text) is LabelFormat.PDF
    assert LabelFormat(text) == "PDF"


def test_unknown_words_name_no_member() -> None:
    assert LabelFormat.parse("GIF") is None
    assert RateStrategy.parse("slowest") is None
    assert (LabelFormat.spoken(), RateStrategy.spoken()) == ("PNG, PDF or ZPL",
                                                             "cheapest or fastest")


def test_a_rate_rule_keeps_its_strategy_as_text() -> None:
    rule = RateRule.parse("Fastest", ["USPS"])
    assert rule.strategy is RateStrategy.FASTEST
    assert rule.describe() == "fastest USPS"
    assert rule.model_dump(mode="json")["strategy"] == "fastest"
    assert RateRule.model_validate_json(rule.model_dump_json()) == rule


def test_help_lists_the_choices_and_typer_checks_them() -> None:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    shown = subprocess.run([sys.executable, "-m", "shipctl", "create", "--help"],
                           capture_output=True, text=True, env=env, check=True).stdout
    assert "--label-format PNG|PDF|ZPL" in shown
    assert "--rule cheapest|fastest" in shown
    refused = subprocess.run([sys.executable, "-m", "shipctl", "create", "--label-format", "gif"],
                             capture_output=True, text=True, env=env)
    assert refused.returncode == 2
    assert "'gif' is not one of 'png', 'pdf', 'zpl'" in refused.stderr
