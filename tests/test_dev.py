"""``dev.py run`` stops what it started however it is stopped."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.portal.test_processes import running

ROOT = Path(__file__).resolve().parents[1]
# The timer loop: a sleeper. The web server: a sleeper that ignores SIGINT, as a program
# started in the background by a shell does, writes "ready" once it has said so, and
# writes down a SIGTERM.
TIMERS = [sys.executable, "-c", "import time; time.sleep(120)"]
WEB = (
    "import signal, sys, time; signal.signal(signal.SIGINT, signal.SIG_IGN);"
    " signal.signal(signal.SIGTERM, lambda *a: (open(sys.argv[1], 'w').write('SIGTERM'),"
    " sys.exit(0))); open(sys.argv[1], 'w').write('ready'); time.sleep(120)"
)
SERVE = "import sys; sys.path.insert(0, sys.argv[1]); import dev; dev.serve(*eval(sys.argv[2]))"


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def sleeping(pid: int) -> bool:
    """The child runs its sleeper (it has been started, not only forked)."""
    try:
        return b"time.sleep" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_the_timer_loop_and_the_server_end_with_dev_run_however_it_is_stopped(stop, tmp_path):
    web = [sys.executable, "-c", WEB, str(tmp_path / "web")]

    def web_said(word: str) -> bool:
        return (tmp_path / "web").exists() and (tmp_path / "web").read_text() == word

    runner = subprocess.Popen([sys.executable, "-c", SERVE, str(ROOT), repr((web, TIMERS))])
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            started = [pid for pid in children(runner.pid) if sleeping(pid)]
            if len(started) == 2 and web_said("ready"):
                break
            time.sleep(0.05)
        assert len(started) == 2 and web_said("ready"), started
        runner.send_signal(stop)
        runner.wait(timeout=30)
        deadline = time.monotonic() + 5
        while any(running(pid) for pid in started) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in started if running(pid)]
        # asked to stop, not killed after the 10 s it was given
        assert web_said("SIGTERM")
    finally:
        if running(runner.pid):
            for pid in children(runner.pid):
                os.kill(pid, signal.SIGKILL)
        runner.kill()
