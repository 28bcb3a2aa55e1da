"""``pyesx esxtop -b`` against a real host: a busy VM under a limit shows %RUN at its limit and %MLMTD."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clients import Client
from tests.harness import BootedHost, register_busy_vm

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def test_batch_mode_shows_the_cpu_view_of_a_limited_vm(host: BootedHost, client: Client) -> None:
    mhz = client.host().cpu_mhz
    vm = register_busy_vm(host, client, "limited", 1, {"sched.cpu.max": str(mhz // 4)})
    client.wait_for_task(client.power_on(vm).id)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYESX_")}
    env |= {"PYESX_SERVER": host.address, "PYESX_USER": "root", "PYESX_PASSWORD": host.password}
    done = subprocess.run(
        [str(Path(sys.executable).with_name("pyesx")), "esxtop", "-b", "-n", "2", "-d", "1.5"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, "")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert rows and all(row["VM"] == vm and row["World"] == "vmm0:limited" for row in rows)
    last = rows[-1]
    run, ready, limited, wait = (float(last[k]) for k in ("%RUN", "%RDY", "%MLMTD", "%WAIT"))
    assert 15 <= run <= 35  # a 25 % limit
    assert limited >= 40 and ready >= limited  # held back by the limit most of the time it wanted to run
    assert run + ready + float(last["%CSTP"]) + wait == pytest.approx(100, abs=1.0)
