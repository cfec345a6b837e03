"""`python -m web --workers N`: N processes answer on one port, and all of them stop together."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from conftest import ROOT, free_port


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"  # a zombie has exited already
    except OSError:
        return False


def _start(index_dir: str, log, *args: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "web", "--host", "127.0.0.1", "--port",
                             str(port), "--index", index_dir, *args],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server exited"
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                return proc, base
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the server did not answer")


def _gone(pids: list[int], within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.1)
    return False


def test_workers_share_the_port_and_stop_with_the_server(seed_index, tmp_path):
    with open(tmp_path / "server.log", "w") as log:
        proc, base = _start(seed_index, log, "--workers", "3", "--threads", "2")
    try:
        workers = _children(proc.pid)
        assert len(workers) == 2, workers  # the parent serves too

        def ask(_: int) -> int:
            with urllib.request.urlopen(base + "/api/search?q=Lavrov", timeout=30) as r:
                return json.loads(r.read())["total"]
        with ThreadPoolExecutor(8) as pool:
            totals = list(pool.map(ask, range(60)))
        assert len(set(totals)) == 1 and totals[0] > 0
    finally:
        proc.terminate()  # SIGTERM, as `kill` or a service manager sends
        proc.wait(timeout=30)
    assert _gone(workers), "workers outlived the server"
    assert "3 processes" in (tmp_path / "server.log").read_text()


def test_workers_exit_when_the_server_is_killed(seed_index, tmp_path):
    with open(tmp_path / "server.log", "w") as log:
        proc, _ = _start(seed_index, log, "--workers", "2")
    workers = _children(proc.pid)
    assert len(workers) == 1
    os.kill(proc.pid, signal.SIGKILL)  # no chance to stop them itself
    proc.wait(timeout=30)
    assert _gone(workers), "an orphaned worker kept serving"


def test_stopping_kills_a_worker_that_does_not_end_on_sigterm(monkeypatch):
    """A worker stuck where its SIGTERM handler cannot run must not keep the server from
    stopping: after a count of polls it is killed and reaped."""
    import web.__main__ as server
    stuck = subprocess.Popen([sys.executable, "-c",
                              "import signal, sys, time\n"
                              "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                              "print('ready', flush=True)\n"
                              "time.sleep(600)\n"], stdout=subprocess.PIPE, text=True)
    try:
        assert stuck.stdout.readline().strip() == "ready"
        monkeypatch.setattr(server, "STOP_POLLS", 10)
        server._stop([stuck.pid])
        assert not os.path.exists(f"/proc/{stuck.pid}"), "the worker outlived the server"
    finally:
        if stuck.poll() is None:
            stuck.kill()
        stuck.wait()
