"""gunicorn settings for benchmarks: with ``BENCH_NOW`` (ISO 8601 with its offset) every
worker runs at that moment (time-machine, the clock moving on from there), so a result
does not depend on the hour it was measured at: outside working hours each lead also
queues a confirmation to the prospect."""

import os
from datetime import datetime


def post_fork(server, worker):
    moment = os.environ.get("BENCH_NOW")
    if moment:
        import time_machine

        time_machine.travel(datetime.fromisoformat(moment), tick=True).start()
