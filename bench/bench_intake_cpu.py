"""The single-lead intake's Python CPU, in one process, without gunicorn or HTTP.

    .venv/bin/python bench/bench_intake_cpu.py [--requests 1000] [--rounds 3]
    .venv/bin/python bench/bench_intake_cpu.py --instructions [--requests 100]

``bench_api_intake.py`` measures the intake as it is served, but on this machine its CPU
figures move by a fifth with the machine's moment (a portal CPU of 5.3 and 7.3 ms per
request within minutes), more than most changes to the intake. This one calls the
portal's WSGI application directly with the same requests (an integration key, unique
leads over six countries), at the same fixed moment (Tuesday 15 December 2026 10:00
Amsterdam time, via time-machine), so two versions of the code can be compared:

- by default: CPU seconds of this process per request (``time.process_time``: Python,
  psycopg and the Redis client, and the kernel's share of their I/O), per round of
  ``--requests`` after 30 requests of warm-up; the median of ``--rounds`` is printed.
  PostgreSQL's CPU is not in it.
- ``--instructions``: the same run twice under valgrind's callgrind (0 and ``--requests``
  requests, both after the warm-up, hash seed fixed), and the difference per request in
  millions of instructions. That count does not move with the machine's speed (9.44
  and 9.41 M in two runs of the same code, while the timings of one run spread by a
  fifth), so it shows a change of 2 % that the timings cannot.
  Needs ``valgrind`` (``apt-get install valgrind``); 100 requests take 2-3 minutes.

Resets its database (BENCH_DATABASE_URL, default ``portal_bench_cpu``; refused unless its
name contains "bench") with the demo data, and uses Redis at BENCH_REDIS_URL (default
db 10), emptied at the end only if it was empty at the start.
"""

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime

from _setup import ROOT, BenchRedis, database_url, django_setup, ensure_database, manage
from bench_api_intake import IN_HOURS, leads, portal_environment

WARM_UP = 30


def prepare(url: str) -> str:
    """A fresh database with the demo data and an integration key; returns the key."""
    ensure_database(url, fresh=True)
    manage("migrate", "-v", "0")
    manage("seed_demo", "--leads", "2000", "--quiet-logins")
    django_setup()
    from django.db import connection

    from leads.models import Integration
    from leads.services.api_keys import api_key_create

    integration = Integration.objects.create(name="Bench website", kind=Integration.Kind.WEB_FORM)
    _key, secret = api_key_create(name="bench", integration=integration)
    connection.close()
    return secret


class Intake:
    """``POST /api/v1/leads/`` through the WSGI application, in this process."""

    def __init__(self, secret: str):
        import time_machine

        time_machine.travel(datetime.fromisoformat(IN_HOURS), tick=True).start()
        django_setup()
        from django.core.wsgi import get_wsgi_application

        self.app = get_wsgi_application()
        self.secret = secret
        self.stamp = os.urandom(4).hex()  # (the clock is fixed: the time tells no run apart)

    def post(self, i: int) -> None:
        (body,) = leads("cpu", f"{self.stamp}-{i}", 1)
        body = body.encode()
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/api/v1/leads/",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1",
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_AUTHORIZATION": f"Api-Key {self.secret}",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        statuses = []
        answer = self.app(environ, lambda status, headers, exc_info=None: statuses.append(status))
        content = b"".join(answer)
        answer.close()
        if not statuses[0].startswith("201"):
            raise SystemExit(f"the intake answered {statuses[0]}: {content[:300]!r}")

    def run(self, first: int, n: int) -> None:
        for i in range(first, first + n):
            self.post(i)


def measure(args, secret: str) -> None:
    intake = Intake(secret)
    intake.run(0, WARM_UP)
    per_request = []
    for round_ in range(args.rounds):
        started = time.process_time()
        intake.run(WARM_UP + round_ * args.requests, args.requests)
        per_request.append((time.process_time() - started) / args.requests * 1000)
    print(
        f"Python CPU per intake, in process, {args.requests} requests a round: median "
        f"{statistics.median(per_request):.2f} ms "
        f"(rounds {', '.join(f'{ms:.2f}' for ms in per_request)})"
    )


def instructions(args, secret: str, env: dict) -> None:
    if shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind (apt-get install valgrind)")
    totals = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (0, args.requests):
            out = os.path.join(tmp, f"callgrind.{n}")
            subprocess.run(
                [
                    "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                    sys.executable, __file__, "--only-run", str(n), "--key", secret,
                ],
                check=True, cwd=ROOT, env={**os.environ, **env, "PYTHONHASHSEED": "0"},
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            with open(out) as profile:
                totals[n] = next(
                    int(line.split()[1]) for line in profile if line.startswith("summary:")
                )
    per_request = (totals[args.requests] - totals[0]) / args.requests / 1e6
    print(
        f"Python instructions per intake (callgrind, {args.requests} requests minus none, "
        f"after {WARM_UP} of warm-up): {per_request:.2f} M"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--instructions", action="store_true", help="count under callgrind")
    parser.add_argument("--only-run", type=int, help=argparse.SUPPRESS)  # (under callgrind)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.requests is None:
        args.requests = 100 if args.instructions else 1000

    url = database_url("portal_bench_cpu")
    redis_db = BenchRedis(default_db=10)
    env = portal_environment(redis_db.url)
    os.environ.update(env)
    if args.only_run is not None:
        intake = Intake(args.key)
        intake.run(0, WARM_UP)
        intake.run(WARM_UP, args.only_run)
        return 0
    try:
        secret = prepare(url)
        if args.instructions:
            instructions(args, secret, env)
        else:
            measure(args, secret)
    finally:
        redis_db.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
