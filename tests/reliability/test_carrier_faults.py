"""5–20 % of carrier calls fail (500, 503, timeout, drop, lost buy response): nothing is lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import chaos

pytestmark = [pytest.mark.db, pytest.mark.slow]


@pytest.mark.parametrize(
    ("fault_rate", "kinds", "orders"),
    [
        (0.2, ("500", "503", "timeout", "drop", "lost_response"), 150),
        (0.3, ("lost_response",), 60),
        (0.15, ("timeout",), 60),
    ],
    ids=["all-kinds", "lost-buy-responses", "timeouts"],
)
def test_faulty_carrier_ends_every_order_purchased_once_or_failed_with_reason(
    fault_rate: float, kinds: tuple[str, ...], orders: int, workdir: Path, db: str
) -> None:
    orders_file = workdir / "orders.csv"
    references = chaos.write_orders(orders_file, orders, seed=orders, prefix="F")
    with chaos.simulator_process(
        workdir / "sim.sqlite3",
        fault_rate=fault_rate,
        seed=5,
        fault_kinds=list(kinds),
        timeout_delay=3.0,
    ) as sim:
        # A 1 s client timeout: the simulator's timeouts (3 s) still outlast it.
        env = chaos.shipctl_env(workdir, database_url=db, api_base=sim.api_base,
                                SHIPCTL_TIMEOUT="1")
        done = chaos.shipctl(
            ["bulk", str(orders_file), "--yes", "--concurrency", "16"], cwd=workdir, env=env
        )
        audit = chaos.audit(db, sim, references)
        stats = sim.stats()

    assert done.exit_code in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    assert audit.problems() == {}
    assert audit.purchased_db + audit.failed_db == orders
    assert audit.max_per_reference <= 1 and audit.max_per_shipment <= 1
    assert set(stats["faults"]) <= set(kinds) and stats["faults_total"] > 0
