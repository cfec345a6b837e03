"""Slow clients (slowloris) against the real server, and how normal clients fare meanwhile.

``python bench/slowclients.py [--slow 250] [--requests 300]`` starts `python -m web` on the
seeds, measures normal clients alone, then again while SLOW sockets each send one header line
every 5 s (reconnecting when the server drops them, as an attacker would), and prints both
p99s and their ratio. bench/faults.py and tests/test_shed.py use the same parts.
"""
from __future__ import annotations

import argparse
import http.client
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

if str(Path(__file__).resolve().parent) not in sys.path:  # last: bench/web.py is no package
    sys.path.append(str(Path(__file__).resolve().parent))

from common import HOST, percentile  # noqa: E402


class SlowClients:
    """``count`` sockets that never finish their headers: one line every ``interval`` s."""

    def __init__(self, port: int, count: int, interval: float = 5.0,
                 reconnect: bool = True) -> None:
        self.port, self.count, self.interval, self.reconnect = port, count, interval, reconnect
        self.socks: list[socket.socket | None] = [None] * count
        self.connected = 0  # connections opened in all (reconnections included)
        self.dropped = 0  # times the server closed one of them
        self.bytes_sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _open(self, i: int) -> None:
        try:
            s = socket.create_connection((HOST, self.port), timeout=5)
            s.setblocking(False)
            start = b"GET /?q=slow HTTP/1.1\r\nHost: localhost\r\n"
            s.send(start)
            self.bytes_sent += len(start)
            self.socks[i] = s
            self.connected += 1
        except OSError:
            self.socks[i] = None

    def _tick(self, i: int) -> None:
        s = self.socks[i]
        if s is None:
            if self.reconnect:
                self._open(i)
            return
        try:
            if s.recv(4096, socket.MSG_PEEK) == b"":  # the server closed it
                raise ConnectionResetError
        except BlockingIOError:
            pass
        except OSError:
            self._drop(i)
            return
        try:
            line = f"X-Slow-{i}: {int(time.time())}\r\n".encode()
            s.send(line)
            self.bytes_sent += len(line)
        except OSError:
            self._drop(i)

    def _drop(self, i: int) -> None:
        self.dropped += 1
        try:
            self.socks[i].close()
        finally:
            self.socks[i] = None
        if self.reconnect:
            self._open(i)

    def _run(self) -> None:
        for i in range(self.count):
            self._open(i)
        while not self._stop.wait(self.interval):
            for i in range(self.count):
                if self._stop.is_set():
                    break
                self._tick(i)

    def open_now(self) -> int:
        """How many of the sockets are open right now."""
        return sum(s is not None for s in self.socks)

    def __enter__(self) -> "SlowClients":
        self._thread.start()
        deadline = time.monotonic() + 30
        while self.connected < self.count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        for s in self.socks:
            if s is not None:
                s.close()


def one_request(port: int, path: str, timeout: float) -> tuple[int, float]:
    """(status or 0 for no answer, milliseconds) of one GET on a fresh connection."""
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        status = resp.status
    except OSError:
        status = 0
    finally:
        conn.close()
    return status, (time.perf_counter() - t0) * 1000


def normal_clients(port: int, requests: int, concurrency: int = 4, timeout: float = 10.0,
                   paths: tuple[str, ...] = ("/api/search?q=Lavrov", "/?q=Zarif", "/healthz")
                   ) -> tuple[int, list[float]]:
    """``requests`` GETs by ``concurrency`` clients: (how many got a 200, their latencies)."""
    with ThreadPoolExecutor(concurrency) as pool:
        answers = list(pool.map(lambda n: one_request(port, paths[n % len(paths)], timeout),
                                range(requests)))
    return sum(status == 200 for status, _ in answers), [ms for status, ms in answers
                                                          if status == 200]


def slow_client_trial(port: int, slow: int, requests: int, interval: float = 5.0,
                      concurrency: int = 4) -> dict:
    """Normal clients alone, then beside ``slow`` slow sockets: both p99s and success counts."""
    normal_clients(port, 20, concurrency)  # warm the caches first: both passes alike
    ok_alone, alone = normal_clients(port, requests, concurrency)
    with SlowClients(port, slow, interval) as attack:
        time.sleep(min(interval, 2.0))  # the first header lines have gone in
        held = attack.open_now()
        ok_loaded, loaded = normal_clients(port, requests, concurrency)
        sent = attack.bytes_sent
    p99_alone, p99_loaded = percentile(alone, 99), percentile(loaded, 99)
    return {"slow": slow, "held": held, "requests": requests, "ok_alone": ok_alone,
            "ok_loaded": ok_loaded, "p99_alone_ms": p99_alone, "p99_loaded_ms": p99_loaded,
            "ratio": p99_loaded / p99_alone if alone and loaded else float("inf"),
            "worst_ms": max(loaded, default=float("inf")), "slow_bytes": sent,
            "dropped": attack.dropped}


def main() -> None:
    from common import running_server
    import search
    import tempfile

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--slow", type=int, default=250, help="slow sockets (default 250)")
    p.add_argument("--requests", type=int, default=300, help="normal requests per pass")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between header lines")
    p.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        search.build_index([str(Path(__file__).resolve().parents[1] / "seeds")], tmp)
        with running_server(Path(tmp), workers=args.workers) as (port, _):
            row = slow_client_trial(port, args.slow, args.requests, args.interval)
    for key, value in row.items():
        print(f"{key:15} {value:.1f}" if isinstance(value, float) else f"{key:15} {value}")


if __name__ == "__main__":
    main()
