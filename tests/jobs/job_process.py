"""A child process for the jobs tests (run as a script on the suite's database).

job_process.py race START_AT     run probe_job once at wall time START_AT, print the outcome
job_process.py loop START_AT     from START_AT, try probe_job with short pauses until it ran
                                 here 5 times (at most 200 tries or 30 s)
job_process.py stall MARKER      claim due messages, touch MARKER, then hang while "sending"
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

from commerce_dash.jobs.outbox_delivery import deliver_due
from commerce_dash.jobs.registry import JOBS, JobSpec, run_job

PROBE_SECONDS = float(os.environ.get("PROBE_SECONDS", "0.2"))


def probe() -> None:
    time.sleep(PROBE_SECONDS)


def _wait_until(wall_time: float) -> None:
    while time.time() < wall_time:
        time.sleep(0.005)


def main(command: str, arg: str) -> None:
    JOBS["probe_job"] = JobSpec("probe_job", probe, {"trigger": "interval", "seconds": 1}, "probe")
    if command == "race":
        _wait_until(float(arg))
        print(run_job("probe_job"), flush=True)
    elif command == "loop":
        _wait_until(float(arg))
        outcomes: list[str] = []
        deadline = time.monotonic() + 30
        # A run count, not a number of tries: under a loaded machine the other process can
        # hold the lease for most tries, and the test needs turns on both sides.
        while outcomes.count("ok") < 5 and len(outcomes) < 200 and time.monotonic() < deadline:
            time.sleep(random.uniform(0.01, 0.08))
            outcomes.append(run_job("probe_job"))
        print(" ".join(outcomes), flush=True)
    elif command == "stall":
        marker = Path(arg)

        def hang(_payload: dict[str, object]) -> str:
            marker.touch()
            time.sleep(120)
            return "never"

        deliver_due(handlers={"webhook.": hang})


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
