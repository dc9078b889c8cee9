"""Every recorded EasyPost interaction, replayed against the simulator: same status, same shape."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import yaml

from shipctl.simulator import RunningSimulator

# Recorded against the real API by the official SDK's test suite (MIT; see SOURCE.md there).
CASSETTES = Path(__file__).resolve().parents[1] / "fixtures" / "easypost"
RECORDINGS = sorted(CASSETTES.glob("*.yaml"))
ID = re.compile(r"^[a-z]+_[0-9a-f]{32}$")


def shape_mismatches(recorded: Any, actual: Any, path: str = "$") -> list[str]:
    """Where `actual` differs from `recorded` in keys or value types (null matches anything)."""
    # Upstream redacted email/phone fields even when they were null, so they say nothing.
    if recorded is None or recorded == "<REDACTED>":
        return []
    if isinstance(recorded, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected object, got {type(actual).__name__}"]
        problems = []
        if set(recorded) != set(actual):
            missing = sorted(set(recorded) - set(actual))
            extra = sorted(set(actual) - set(recorded))
            problems.append(f"{path}: missing keys {missing}, extra keys {extra}")
        for key in set(recorded) & set(actual):
            problems += shape_mismatches(recorded[key], actual[key], f"{path}.{key}")
        return problems
    if isinstance(recorded, list):
        if not isinstance(actual, list):
            return [f"{path}: expected list, got {type(actual).__name__}"]
        if not recorded or not actual:
            return []
        problems = []
        for i, item in enumerate(actual):
            problems += shape_mismatches(recorded[min(i, len(recorded) - 1)], item, f"{path}[{i}]")
        return problems
    if type(recorded) is not type(actual):
        return [f"{path}: expected {type(recorded).__name__}, got {type(actual).__name__}"]
    return []


def collect_ids(recorded: Any, actual: Any, mapping: dict[str, str]) -> None:
    """Learn which simulator id stands for which recorded id, walking both bodies together."""
    if isinstance(recorded, dict) and isinstance(actual, dict):
        for key in set(recorded) & set(actual):
            collect_ids(recorded[key], actual[key], mapping)
    elif isinstance(recorded, list) and isinstance(actual, list):
        for rec, act in zip(recorded, actual, strict=False):
            collect_ids(rec, act, mapping)
    elif isinstance(recorded, str) and isinstance(actual, str) and ID.match(recorded):
        mapping.setdefault(recorded, actual)


def substitute(text: str, mapping: dict[str, str]) -> str:
    for recorded, actual in mapping.items():
        text = text.replace(recorded, actual)
    return text


def test_the_recordings_are_there() -> None:
    """Fail, rather than replay nothing, when the cassettes are missing."""
    assert len(RECORDINGS) >= 12, f"expected the recorded cassettes in {CASSETTES}"
    assert "MIT" in (CASSETTES / "SOURCE.md").read_text()


@pytest.mark.parametrize("cassette", RECORDINGS, ids=lambda p: p.stem)
def test_replay_matches_recording(sim: RunningSimulator, cassette: Path) -> None:
    interactions = yaml.safe_load(cassette.read_text())["interactions"]
    mapping: dict[str, str] = {}
    session = requests.Session()
    for interaction in interactions:
        request, response = interaction["request"], interaction["response"]
        url = urlsplit(substitute(request["uri"], mapping))
        body = request["body"]
        query = f"?{url.query}" if url.query else ""
        target = sim.api_base.removesuffix("/v2") + url.path + query
        got = session.request(
            request["method"], target,
            data=None if body is None else substitute(body, mapping).encode(),
            headers={"Authorization": "Bearer EZTK_simulated",
                     "Content-Type": "application/json"},
            timeout=10,
        )
        assert got.status_code == response["status"]["code"], got.text
        assert got.headers["Content-Type"].startswith("application/json")
        recorded = json.loads(response["body"]["string"])
        actual = got.json()
        assert shape_mismatches(recorded, actual) == [], request["uri"]
        collect_ids(recorded, actual, mapping)
        # Rates are chosen by id: map by service so the recorded buy picks the same service.
        for rec_rate in recorded.get("rates") or []:
            for act_rate in actual.get("rates") or []:
                if (rec_rate["service"], rec_rate["carrier"]) == (
                        act_rate["service"], act_rate["carrier"]):
                    mapping[rec_rate["id"]] = act_rate["id"]


def test_shape_checker_catches_differences() -> None:
    assert shape_mismatches({"a": 1, "b": [{"c": "x"}]}, {"a": 2, "b": [{"c": "y"}]}) == []
    assert shape_mismatches({"a": 1}, {"a": "1"})
    assert shape_mismatches({"a": {"b": 1}}, {"a": {"c": 1}})
    assert shape_mismatches({"a": None}, {"a": {"any": "thing"}}) == []
    assert shape_mismatches({"a": 1.5}, {"a": None})
