"""The server's front: it keeps serving others under slow clients and floods of requests.

Two attacks stopped the server before. 250 sockets sending one header line every 5 s held all
of waitress's 100 connections per process, so every other client waited in the kernel's
backlog; and requests beyond the worker threads queued without bound, so a burst of expensive
ones made every later request (``/healthz`` too) wait behind them.

- Connections: waitress parses headers in its event loop, never in a worker thread, so a slow
  client costs a socket, not a thread. The limit on open sockets is raised well above any
  plausible number of slow clients (poll(), not select(), so past 1,024 descriptors); a client
  has ``header_timeout`` seconds from a request's first bytes to send its headers (at most
  ``MAX_HEADER_BYTES``), and is closed after that; one that sends nothing is closed after
  ``IDLE_SECONDS``. A clock is the only bound a trickle of bytes respects: the accepted
  exception to counts.
- Work: at most ``threads`` requests run in the app per process and at most ``queue`` wait for
  one of them; any further request is answered 503 with Retry-After at once, by spare threads
  that do nothing else, instead of joining a queue that grows.
- Turns: of the requests running in a process, one computes at a time (``COMPUTING``): the
  others wait on a lock for their turn, not on the interpreter's lock. Python runs one thread
  at a time anyway, and four threads taking turns at its lock spent over a third more CPU a
  request than one (9.1-9.2 against 6.6-6.8 ms: the web bench's 600 requests through Flask in
  one process, twice each; in turns behind a lock, 5.8-5.9 against 5.4-5.6). A turn
  covers the app's call and its answer up to ``READY_BYTES`` (a page or an API answer whole:
  waiting for another turn only to hand it over cost 23-64 ms of p99 a run in the web bench),
  then each further part of a streamed answer, never the wait for a slow client to take it; a
  POST (the intake: it waits for the write lock and embeds) takes none.
- Balance: the worker processes share one listening socket, and the kernel hands a new
  connection to whichever polls first, so a burst of keep-alive clients could settle 15 to 5
  on two processes (measured: 20 bench clients), one process serving three times the other's
  requests while the other idled. Each process now writes its count of open connections
  into memory they share (``Balance``, made before they fork) and stops accepting while it
  has more than the fewest of the others; the fewest always accepts, so the server never
  stops accepting. A process that stopped without a word (killed) is left out once its
  count has not moved for ``Balance.STALE`` of the others' loops.
"""
from __future__ import annotations

import itertools
import json
import logging
import mmap
import resource
import socket
import threading
import time
from typing import Callable, Iterable, Iterator

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher
from werkzeug.wsgi import ClosingIterator

log = logging.getLogger(__name__)

MAX_HEADER_BYTES = 64 * 1024  # request line and headers (waitress allows 256 KB)
IDLE_SECONDS = 30  # a connection silent this long in the middle of a body is closed
SPARE_THREADS = 4  # threads that only ever answer "busy": a 503 never waits for the app
RETRY_AFTER = 1  # seconds; a busy spell lasts about one request's time
UNGATED = ("/healthz",)  # cheap, and what tells a balancer the process is alive
COMPUTING = 1  # requests of a process computing at once (the others wait for their turn)
READY_BYTES = 1 << 20  # of an answer made in the turn that computed it (a longer one streams)
TURNLESS = ("POST",)  # methods whose requests wait on other things than the processor
BUSY_MESSAGE = "The server is busy; try again in a moment."


class LoadGate:
    """WSGI middleware: ``running`` requests in the app at once, ``waiting`` more queued for a
    slot, and a 503 with Retry-After for any beyond those."""

    def __init__(self, app: Callable, running: int, waiting: int,
                 headers: Iterable[tuple[str, str]] = (), computing: int = COMPUTING,
                 ready_bytes: int = READY_BYTES) -> None:
        self.app = app
        self.running = running
        self.waiting = waiting
        self._slots = threading.BoundedSemaphore(running)
        self._turns = threading.BoundedSemaphore(computing)
        self.ready_bytes = ready_bytes
        self._lock = threading.Lock()
        self._queued = 0
        self.refused = 0  # 503s answered (for logs and tests)
        self._headers = list(headers)

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") in UNGATED:
            return self.app(environ, start_response)
        if not self._slots.acquire(blocking=False):
            with self._lock:
                full = self._queued >= self.waiting
                if full:
                    self.refused += 1
                else:
                    self._queued += 1
            if full:
                return self._busy(environ, start_response)
            try:
                self._slots.acquire()  # a bounded wait: at most `waiting` requests are here
            finally:
                with self._lock:
                    self._queued -= 1
        try:
            if environ.get("REQUEST_METHOD") in TURNLESS:
                result = self.app(environ, start_response)
            else:
                result = self._in_turn(environ, start_response)
        except BaseException:
            self._slots.release()
            raise
        # a streamed answer holds its slot until the server has sent it all
        return ClosingIterator(result, self._slots.release)

    def _in_turn(self, environ, start_response) -> Iterable[bytes]:
        """The app's answer, made in one turn up to ``ready_bytes`` (a page or an API answer
        whole: waiting for a turn again to hand its parts over would make it wait behind
        another request's computing); the rest of a longer streamed answer in later turns."""
        with self._turns:
            result = self.app(environ, start_response)
            parts, size, rest = [], 0, iter(result)
            try:
                for part in rest:
                    parts.append(part)
                    size += len(part)
                    if size >= self.ready_bytes:
                        later = _InTurns(rest, result, self._turns)
                        return ClosingIterator(itertools.chain(parts, later), later.close)
            except BaseException:
                _close(result)
                raise
            _close(result)
        return parts

    def _busy(self, environ, start_response):
        path = environ.get("PATH_INFO") or ""
        if path.startswith("/api/"):
            body = json.dumps({"error": {"status": 503, "type": "ServerBusy",
                                         "message": BUSY_MESSAGE}}).encode()
            kind = "application/json"
        else:
            body = (f"<!doctype html><title>503 — busy</title><h1>Busy</h1><p>{BUSY_MESSAGE}"
                    "</p>").encode()
            kind = "text/html; charset=utf-8"
        start_response("503 Service Unavailable", [
            ("Content-Type", kind), ("Content-Length", str(len(body))),
            ("Retry-After", str(RETRY_AFTER)), *self._headers])
        return [body]


def _close(result: Iterable[bytes]) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()


class _InTurns:
    """The rest of a streamed answer, each part made in a turn (an export computes as it is
    sent); ``close`` closes the app's answer."""

    def __init__(self, rest: Iterator[bytes], result: Iterable[bytes],
                 turns: threading.BoundedSemaphore) -> None:
        self._rest, self._result, self._turns = rest, result, turns

    def __iter__(self) -> "_InTurns":
        return self

    def __next__(self) -> bytes:
        with self._turns:
            return next(self._rest)

    def close(self) -> None:
        with self._turns:
            _close(self._result)


class GuardedChannel(HTTPChannel):
    """A connection that remembers when the request it is reading began to arrive."""

    header_started = 0.0  # when the first bytes of an unfinished request came in

    def received(self, data: bytes) -> bool:
        fresh = self.request is None
        result = super().received(data)
        if fresh and self.request is not None:  # a request began and is not whole yet
            self.header_started = time.time()
        return result

    def overdue(self, now: float, header_timeout: float) -> bool:
        """Whether this connection began a request and has not finished its headers in time.

        An idle keep-alive connection (no request begun) is left to waitress's idle timeout.
        """
        request = self.request
        if request is None or request.headers_finished or self.requests:
            return False
        return now - self.header_started > header_timeout


class Balance:
    """Open connections per worker process, in an anonymous shared mapping made before the
    workers fork: slot ``i`` holds process ``i``'s count (-1 once it has stopped) and a beat
    that its event loop advances at every pass."""

    STALE = 10_000  # passes of a loop after which a process whose beat stood still is left out

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._memory = mmap.mmap(-1, 16 * processes)  # MAP_SHARED: forked children share it
        self._slots = memoryview(self._memory).cast("q")
        self.index = 0
        self._seen = [0] * processes
        self._still = [0] * processes

    def join(self, index: int) -> None:
        """This process is worker ``index`` (after the fork)."""
        self.index = index
        self.record(0)

    def leave(self) -> None:
        self.record(-1)

    def counts(self) -> list[int]:
        """Each process's open connections as it last wrote them (-1: stopped)."""
        return [self._slots[2 * i] for i in range(self.processes)]

    def record(self, connections: int) -> None:
        """This process's count of open connections, for the others to read."""
        self._slots[2 * self.index] = connections

    def may_accept(self, connections: int) -> bool:
        """At each pass of this process's loop: record its ``connections``, advance its beat
        and say whether it should accept another (not while a live process has fewer)."""
        slots, me = self._slots, self.index
        self.record(connections)
        slots[2 * me + 1] += 1
        fewest = None
        for other in range(self.processes):
            if other == me or slots[2 * other] < 0:
                continue
            beat = slots[2 * other + 1]
            if beat != self._seen[other]:
                self._seen[other], self._still[other] = beat, 0
            else:
                self._still[other] += 1
                if self._still[other] > self.STALE:
                    continue  # stopped without a word: not waited for
            count = slots[2 * other]
            fewest = count if fewest is None else min(fewest, count)
        return fewest is None or connections <= fewest


class GuardedServer(TcpWSGIServer):
    """waitress's TCP server with the header timeout enforced at each clean-up pass, and its
    share of the connections kept by ``balance`` (when several processes serve)."""

    channel_class = GuardedChannel
    header_timeout = 10.0
    balance: Balance | None = None

    def readable(self) -> bool:
        ready = super().readable()
        if ready and self.balance is not None:
            return self.balance.may_accept(len(self.active_channels))
        return ready

    def handle_accept(self) -> None:
        super().handle_accept()
        if self.balance is not None:  # the others see the new count before their next pass
            self.balance.record(len(self.active_channels))

    def maintenance(self, now: float) -> None:
        super().maintenance(now)
        for channel in list(self.active_channels.values()):
            if isinstance(channel, GuardedChannel) and channel.overdue(now, self.header_timeout):
                channel.will_close = True


def allow_descriptors(wanted: int) -> int:
    """Raise this process's open-file limit towards ``wanted``; returns the limit it got."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return wanted if soft == resource.RLIM_INFINITY else soft


def make_server(app: Callable, listener: socket.socket, threads: int, queue: int,
                connection_limit: int, header_timeout: float, max_body_bytes: int,
                headers: Iterable[tuple[str, str]] = (),
                balance: Balance | None = None) -> GuardedServer:
    """A waitress server on ``listener`` with the limits above (call ``run()`` to serve)."""
    descriptors = allow_descriptors(connection_limit + 64)  # + the listener, logs, the index
    if descriptors - 64 < connection_limit:
        log.warning("connection limit lowered from %d to %d by the open-file limit (ulimit -n)",
                    connection_limit, max(descriptors - 64, 16))
        connection_limit = max(descriptors - 64, 16)
    gate = LoadGate(app, running=threads, waiting=queue, headers=headers)
    adj = Adjustments(sockets=[listener], threads=threads + queue + SPARE_THREADS,
                      ident="news-search", connection_limit=connection_limit,
                      channel_timeout=IDLE_SECONDS, cleanup_interval=1,
                      asyncore_use_poll=True, max_request_header_size=MAX_HEADER_BYTES,
                      max_request_body_size=max_body_bytes)
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    sockinfo = (listener.family, listener.type, listener.proto, listener.getsockname())
    server = GuardedServer(gate, {}, True, listener, dispatcher=dispatcher, adj=adj,
                           bind_socket=False, sockinfo=sockinfo)
    server.header_timeout = header_timeout
    server.gate = gate
    server.balance = balance
    return server


__all__ = ["Balance", "LoadGate", "GuardedChannel", "GuardedServer", "make_server", "allow_descriptors",
           "MAX_HEADER_BYTES", "RETRY_AFTER"]
