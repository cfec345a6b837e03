"""The server keeps serving others (issue 16, item 5): slow clients cannot hold its connections,
headers have a deadline and a size limit, and a saturated process answers 503 + Retry-After at
once instead of queueing without bound."""
from __future__ import annotations

import importlib.util
import socket
import sys
import threading
import time
from pathlib import Path

import pytest
from werkzeug.test import Client, EnvironBuilder

from conftest import ROOT
from web import create_app
from web.shed import MAX_HEADER_BYTES, RETRY_AFTER, LoadGate


def _bench(name: str):
    """A script of bench/ as a module (bench/ is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


slow = _bench("slowclients")
common = sys.modules["common"]


@pytest.fixture
def server(seed_index, monkeypatch):
    """`python -m web` on the seeds, one process, with a 2 s header deadline."""
    monkeypatch.setenv("SEARCH_HEADER_TIMEOUT", "2")
    with common.running_server(Path(seed_index), threads=2, workers=1) as (port, proc):
        yield port


def test_slow_clients_do_not_starve_others(server):
    # 150 sockets trickling header lines: more than waitress's default of 100 connections,
    # which left every other client waiting until it timed out
    with slow.SlowClients(server, 150, interval=0.5) as attack:
        time.sleep(1.0)
        assert attack.open_now() >= 140
        ok, latencies = slow.normal_clients(server, 40, concurrency=4, timeout=15)
    assert ok == 40, f"only {ok} of 40 normal requests were answered"
    assert attack.connected >= 150


def test_a_client_that_never_finishes_its_headers_is_dropped(server):
    with slow.SlowClients(server, 5, interval=0.5, reconnect=False) as attack:
        for _ in range(40):  # the header deadline is 2 s; the clean-up runs every second
            if attack.dropped == 5:
                break
            time.sleep(0.25)
        assert attack.dropped == 5, "the server kept connections whose headers never ended"
    status, _ = slow.one_request(server, "/healthz", timeout=10)
    assert status == 200


def test_oversized_headers_are_refused(server):
    with socket.create_connection(("127.0.0.1", server), timeout=10) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        try:
            for n in range(MAX_HEADER_BYTES // 1000 + 2):
                s.sendall(f"X-Pad-{n}: {'a' * 990}\r\n".encode())
            s.sendall(b"\r\n")
        except OSError:
            pass  # closed on us mid-way: refused too
        answer = s.recv(200)
    assert answer == b"" or answer.split(b" ")[1] == b"431", answer


@pytest.fixture
def gated(seed_index):
    """The real app behind a gate of one running and one waiting request, with a route that
    holds its slot until released."""
    app = create_app({"SEARCH_INDEX": seed_index})
    entered, release = threading.Event(), threading.Event()

    @app.get("/api/hold")
    def hold():
        entered.set()
        release.wait(60)
        return {"held": True}
    gate = LoadGate(app, running=1, waiting=1)
    yield gate, entered, release
    release.set()


def test_a_saturated_process_answers_503_with_retry_after_at_once(gated):
    gate, entered, release = gated
    answers: dict[str, int] = {}

    def get(name: str, url: str) -> None:
        # buffered: the answer is read to its end and closed, as a server does
        answers[name] = Client(gate).get(url, buffered=True).status_code

    holder = threading.Thread(target=get, args=("holder", "/api/hold"), daemon=True)
    holder.start()
    assert entered.wait(30)
    waiter = threading.Thread(target=get, args=("waiter", "/api/search?q=Lavrov"),
                              daemon=True)
    waiter.start()
    for _ in range(400):
        if gate._queued == 1:
            break
        time.sleep(0.01)
    assert gate._queued == 1  # the one place in the queue is taken
    client = Client(gate)
    busy = client.get("/api/search?q=Lavrov", buffered=True)
    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == str(RETRY_AFTER)
    assert busy.get_json()["error"]["type"] == "ServerBusy"
    page = client.get("/?q=Lavrov", buffered=True)
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert client.get("/healthz").status_code == 200  # liveness is never refused
    assert gate.refused == 2
    release.set()
    holder.join(30)
    waiter.join(30)
    assert answers == {"holder": 200, "waiter": 200}  # the queued request was served
    # and the slot came back
    assert client.get("/api/search?q=Lavrov", buffered=True).status_code == 200


def test_running_requests_compute_in_turns_and_a_slow_reader_holds_no_turn(seed_index):
    """Four requests may run in a process, one computes at a time: a GET that holds its turn
    keeps a second GET waiting; a POST (the intake, which waits for the write lock) is not
    held behind it; and between the parts of a streamed answer, no turn is held, so a client
    slow to take them does not stop the others."""
    app = create_app({"SEARCH_INDEX": seed_index})
    inside, most = [0], [0]
    entered, release = threading.Event(), threading.Event()
    lock = threading.Lock()

    def computing(hold: bool = False) -> None:
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        if hold:
            entered.set()
            release.wait(60)
        with lock:
            inside[0] -= 1

    @app.get("/api/hold")
    def hold():
        computing(hold=True)
        return {"held": True}

    @app.get("/api/quick")
    def quick():
        computing()
        return {"quick": True}

    @app.post("/api/post")
    def post():
        return {"posted": True}

    @app.get("/api/stream")
    def stream():
        def parts():
            for n in range(3):
                computing()
                yield f"{n}\n"
        return app.response_class(parts(), mimetype="text/plain")

    gate = LoadGate(app, running=4, waiting=4, ready_bytes=1)  # every part in a turn of its own
    answers: dict[str, int] = {}

    def call(name: str, method: str, url: str) -> None:
        answers[name] = Client(gate).open(url, method=method, buffered=True).status_code

    # a streamed answer, taken one part at a time: between parts, another request computes
    streamed = Client(gate).get("/api/stream")
    parts = iter(streamed.response)
    assert next(parts) == b"0\n"
    assert Client(gate).get("/api/quick", buffered=True).status_code == 200
    assert b"".join(parts) == b"1\n2\n"
    streamed.close()

    holder = threading.Thread(target=call, args=("hold", "GET", "/api/hold"), daemon=True)
    holder.start()
    assert entered.wait(30)
    waiter = threading.Thread(target=call, args=("quick", "GET", "/api/quick"), daemon=True)
    waiter.start()
    waiter.join(0.5)
    assert waiter.is_alive() and "quick" not in answers  # waiting for its turn
    assert Client(gate).post("/api/post", buffered=True).status_code == 200  # no turn needed
    release.set()
    holder.join(30)
    waiter.join(30)
    assert answers == {"hold": 200, "quick": 200}
    assert most[0] == 1  # never two computing at once

    # an answer is made whole in the turn that computed it: handing it over to the server
    # does not wait for a turn behind another request's computing
    whole = LoadGate(app, running=4, waiting=4)
    entered.clear()
    release.clear()
    statuses = []
    answer = whole(EnvironBuilder(path="/api/quick").get_environ(),
                   lambda status, headers, exc_info=None: statuses.append(status))
    holder = threading.Thread(target=Client(whole).get, args=("/api/hold",),
                              kwargs={"buffered": True}, daemon=True)
    holder.start()
    assert entered.wait(30)  # the hold computes, in its turn, until released
    got: list[bytes] = []
    taker = threading.Thread(target=lambda: got.append(b"".join(answer)), daemon=True)
    taker.start()
    taker.join(10)
    release.set()
    holder.join(30)
    assert got == [b'{"quick":true}\n'] and statuses == ["200 OK"]
    answer.close()
