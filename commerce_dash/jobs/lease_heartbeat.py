"""The heartbeat that renews a job's lease while the job runs.

Without it a run longer than its lease (``COMMERCE_JOB_LEASE_SECONDS``) could be started a
second time by another process. The heartbeat is a thread of the holder's own process, so when
the process dies the renewals stop with it and the lease lapses after at most one lease term.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from commerce_dash.db import session_scope
from commerce_dash.services.platform import renew_lease

log = logging.getLogger(__name__)

# Renew three times per term: two renewals in a row may fail (a busy database) before it lapses.
RENEWALS_PER_TERM = 3


class LeaseHeartbeat:
    """Renews ``holder``'s lease of ``job_name`` for ``seconds`` until the block ends.

    Use it around the job's work, after taking the lease and before releasing it::

        with LeaseHeartbeat(name, me, seconds) as heartbeat:
            spec.func()
        if heartbeat.lost.is_set(): ...

    ``lost`` is set when a renewal found the lease taken by another holder (this process was
    stalled past a whole term); renewing then stops, since the lease is no longer ours.
    """

    def __init__(self, job_name: str, holder: str, seconds: int) -> None:
        self.job_name = job_name
        self.holder = holder
        self.seconds = seconds
        self.interval = seconds / RENEWALS_PER_TERM
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"lease-heartbeat:{job_name}", daemon=True
        )

    def __enter__(self) -> LeaseHeartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # Joined before the caller releases the lease: no renewal runs after the job ended.
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                with session_scope() as session:
                    held = renew_lease(
                        session=session,
                        job_name=self.job_name,
                        holder=self.holder,
                        seconds=self.seconds,
                    )
            except Exception:  # try again next beat; the lease still runs for a while
                log.exception("job %s: could not renew its lease", self.job_name)
                continue
            if not held:
                log.error(
                    "job %s: its lease was taken by another holder while it ran", self.job_name
                )
                self.lost.set()
                return
