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


def _connections_by_process(pids: list[int], port: int) -> dict[int, int]:
    """Established TCP connections on the server's ``port`` held by each of ``pids``."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                inodes.add(fields[9])
    counts = {}
    for pid in pids:
        held = 0
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            held += target.startswith("socket:[") and target[8:-1] in inodes
        counts[pid] = held
    return counts


def test_keep_alive_clients_are_shared_evenly_by_the_workers(seed_index, tmp_path):
    """A burst of keep-alive clients is spread over the processes (the kernel alone settled
    20 bench clients 15 to 5 on two): each holds its share, within one."""
    import socket
    with open(tmp_path / "server.log", "w") as log:
        proc, base = _start(seed_index, log, "--workers", "2", "--threads", "2")
    port = int(base.rsplit(":", 1)[1])
    clients = []
    try:
        for _ in range(12):
            sock = socket.create_connection(("127.0.0.1", port), timeout=30)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
            clients.append(sock)  # kept open: a keep-alive client
        counts = _connections_by_process([proc.pid, *_children(proc.pid)], port)
        assert sum(counts.values()) == 12, counts
        assert max(counts.values()) - min(counts.values()) <= 1, counts
    finally:
        for sock in clients:
            sock.close()
        proc.terminate()
        proc.wait(timeout=30)


def test_balance_accepts_while_no_live_process_has_fewer(monkeypatch):
    """web.shed.Balance: the fewest accepts, a process with more waits; a process that left,
    or whose loop stood still for STALE passes, is not waited for."""
    import copy
    from web.shed import Balance
    first = Balance(2)
    second = copy.copy(first)  # the same shared memory, seen from the other process
    second._seen, second._still = [0, 0], [0, 0]
    first.join(0)
    second.join(1)
    assert first.may_accept(0) and first.may_accept(0)
    assert not first.may_accept(1)  # the second has none
    assert second.may_accept(0) and second.may_accept(1)
    assert first.counts() == [1, 1]
    assert not second.may_accept(2)
    second.leave()
    assert first.may_accept(5) and first.counts() == [5, -1]
    second.join(1)
    second.may_accept(0)
    monkeypatch.setattr(Balance, "STALE", 3)
    answers = [first.may_accept(5) for _ in range(6)]  # the second's loop stands still
    assert answers[:2] == [False, False] and answers[-1], answers
