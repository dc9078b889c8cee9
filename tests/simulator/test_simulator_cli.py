"""`shipctl simulator serve` as a separate process, driven by the SDK and stopped by Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import easypost
import pytest
from easypost.errors import UnauthorizedError

from .conftest import shipment_params

ROOT = Path(__file__).resolve().parents[2]

SERVE = """
import sys
from shipctl.cli.simulator import app
sys.argv = ["shipctl-simulator", *sys.argv[1:]]
app()
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_until_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, "serve", "--port", str(port), "--latency", "0ms",
         "--state", str(tmp_path / "state.sqlite"), "--api-key", "warehouse-key",
         "--days-per-minute", "1440"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        api_base = f"http://127.0.0.1:{port}/v2"
        assert api_base in lines[0]
        assert (f"export EASYPOST_API_BASE={api_base} EASYPOST_API_KEY=EZTK-simulator"
                in "".join(lines))
        assert "warehouse-key" not in "".join(lines)
        client = easypost.EasyPostClient("warehouse-key", api_base=api_base)
        shipment = client.shipment.create(**shipment_params())
        bought = client.shipment.buy(shipment.id, rate=shipment.rates[0])
        assert bought.postage_label
        # --days-per-minute 1440: 24 simulated days a real second, so it has moved on.
        time.sleep(1.2)
        tracker = client.tracker.retrieve(bought.tracker.id)
        assert tracker.status != "pre_transit"
        with pytest.raises(UnauthorizedError):
            easypost.EasyPostClient("another-key", api_base=api_base).shipment.create(
                **shipment_params())
    finally:
        process.send_signal(signal.SIGINT)
        try:
            out, err = process.communicate(timeout=60)  # a clean exit, not a fast one
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert "stopped" in out


def test_help_does_not_import_aiohttp() -> None:
    code = "import sys, shipctl.cli.simulator; print('aiohttp' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True).stdout
    assert out.strip() == "False"
