#!/usr/bin/env python3
"""Set up and run Dealer Portal, or run its tests, on a machine with only Python 3.11+.

    python3 dev.py run     # venv, install, migrate, demo data, portal + timers on :8000
    python3 dev.py test    # venv with test tools, then the whole test suite (pytest, every core)

``run`` uses SQLite in ``var/`` and needs no other service: background work runs
in-process and a timer loop (``manage.py run_timers``) fires reminders, escalations
and recycles beside the web server. ``test`` passes extra arguments to pytest, and
honours ``DATABASE_URL`` / ``REDIS_URL`` (CI points them at PostgreSQL and Redis).
"""

import hashlib
import os
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def say(text: str) -> None:
    print(f"\033[1;36m==>\033[0m {text}", flush=True)


def ensure_venv(requirements: str) -> None:
    """Create .venv and install ``requirements`` when it changed since the last install."""
    if sys.version_info < (3, 11):  # noqa: UP036 - a clear message on an old python3
        sys.exit("Dealer Portal needs Python 3.11 or newer.")
    if not PYTHON.exists():
        say("Creating a virtual environment in .venv")
        venv.create(VENV, with_pip=True)
    files = [ROOT / "requirements.txt", ROOT / requirements]
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
    stamp = VENV / f".installed-{requirements}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    say(f"Installing {requirements}")
    subprocess.run(
        [
            PYTHON,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            requirements,
        ],
        cwd=ROOT,
        check=True,
    )
    stamp.write_text(digest)


def manage(*args: str, env: dict | None = None) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, check=True, env=env)


def run() -> None:
    ensure_venv("requirements.txt")
    env = {**os.environ, "REQUIRE_STAFF_MFA": os.environ.get("REQUIRE_STAFF_MFA", "0")}
    (ROOT / "var").mkdir(exist_ok=True)
    say("Migrating the database (SQLite in var/db.sqlite3)")
    manage("migrate", "--noinput", "-v", "0", env=env)
    say("Loading the demo data set (skipped when it is already there)")
    manage("seed_demo", env=env)
    say("Starting the timer loop and the portal at http://127.0.0.1:8000  (Ctrl+C stops both)")
    serve(
        [PYTHON, "manage.py", "runserver", "127.0.0.1:8000", "--noreload"],
        [PYTHON, "manage.py", "run_timers"],
        env=env,
    )


def serve(main: list, *beside: list, env: dict | None = None) -> None:
    """Run ``main`` (the web server) with ``beside`` (the timer loop) until it ends, or
    until Ctrl+C or SIGTERM (a service manager, ``kill``); then stop them all: SIGTERM
    (not SIGINT, which a program started in the background by a shell ignores), and
    after 10 s a kill. Without the SIGTERM handler a ``kill`` of this process left the
    timer loop running on its own."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    processes = []
    try:
        for command in (*beside, main):
            processes.append(subprocess.Popen(command, cwd=ROOT, env=env))
        processes[-1].wait()
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def test(args: list[str]) -> int:
    """The suite on every core (pytest-xdist), unless the arguments choose ``-n`` or
    ``-p no:xdist`` themselves; each worker gets its own test database and Redis db."""
    ensure_venv("requirements-dev.txt")
    chosen = any(a == "-n" or a.startswith(("-n", "--numprocesses")) for a in args)
    parallel = [] if chosen or "no:xdist" in args else ["-n", "auto"]
    return subprocess.run([PYTHON, "-m", "pytest", *parallel, *args], cwd=ROOT).returncode


def main() -> None:
    command, *rest = sys.argv[1:] or ["help"]
    if command == "run":
        run()
    elif command == "test":
        sys.exit(test(rest))
    else:
        print(__doc__)
        sys.exit(0 if command in ("help", "-h", "--help") else 2)


if __name__ == "__main__":
    main()
