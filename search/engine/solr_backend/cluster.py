"""A local SolrCloud for tests, demos and benchmarks: the Java launcher of solr/launcher/
(MiniSolrCloudCluster: N Solr nodes and an embedded ZooKeeper) run as a child process and
driven over its stdin (stop-node, start-node, shutdown)."""
from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import threading
from pathlib import Path

from search.engine.solr_backend.connection import SolrError

LAUNCHER_JAR = Path(__file__).resolve().parents[3] / "solr" / "launcher" / "target" / \
    "solr-launcher.jar"
START_TIMEOUT = 180.0  # seconds for the JVM, ZooKeeper and every node (about 15 s measured)
COMMAND_TIMEOUT = 120.0  # seconds for one stop-node or start-node


class LocalCluster:
    """A running launcher: ``nodes`` (base URLs), ``zk``; a context manager that always stops
    every process it started."""

    def __init__(self, base_dir: str | os.PathLike, *, nodes: int = 2,
                 jar: str | os.PathLike = LAUNCHER_JAR, java: str | None = None,
                 log_path: str | os.PathLike | None = None) -> None:
        self.base_dir, self.count, self.jar = Path(base_dir), nodes, Path(jar)
        self.java = java or shutil.which("java")
        self.log_path = Path(log_path) if log_path else self.base_dir / "launcher.log"
        self.proc: subprocess.Popen | None = None
        self.nodes: list[str] = []
        self.zk = ""
        self.start_seconds = 0.0
        self._lines: queue.Queue = queue.Queue()

    def __enter__(self) -> "LocalCluster":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()

    def start(self) -> None:
        """Start the launcher and wait for its ready line (SolrError if it does not come)."""
        if not self.java:
            raise SolrError("java is not installed: the local SolrCloud needs Java 17.")
        if not self.jar.is_file():
            raise SolrError(f"No launcher jar at {self.jar}: run `make solr-launcher`.")
        self.base_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                [self.java, "-Xmx1g", "-jar", str(self.jar), "--nodes", str(self.count),
                 "--base-dir", str(self.base_dir / "cluster")],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                start_new_session=True)  # its own group: the whole JVM can be stopped at once
        finally:
            log.close()
        threading.Thread(target=self._read, daemon=True).start()
        try:
            ready = self._answer(START_TIMEOUT)
        except BaseException:
            self.shutdown()
            raise
        if not ready.get("ready"):
            self.shutdown()
            raise SolrError(f"The Solr launcher did not start: {ready}")
        self.nodes, self.zk = ready["nodes"], ready["zk"]
        self.start_seconds = float(ready.get("seconds", 0.0))

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line.decode("utf-8", "replace"))
        self._lines.put(None)  # the launcher exited

    def _answer(self, timeout: float) -> dict:
        """The launcher's next JSON line."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise SolrError(f"The Solr launcher gave no answer in {timeout:g} s "
                            f"(see {self.log_path}).") from None
        if line is None:
            raise SolrError(f"The Solr launcher exited (see {self.log_path}).")
        return json.loads(line)

    def command(self, text: str, timeout: float = COMMAND_TIMEOUT) -> dict:
        """Send one command (status, stop-node I, start-node I) and return its answer."""
        if self.proc is None or self.proc.poll() is not None:
            raise SolrError("The Solr launcher is not running.")
        assert self.proc.stdin is not None
        self.proc.stdin.write((text + "\n").encode())
        self.proc.stdin.flush()
        answer = self._answer(timeout)
        if not answer.get("ok"):
            raise SolrError(f"The Solr launcher refused {text!r}: {answer.get('error')}")
        return answer

    def stop_node(self, i: int) -> dict:
        """Stop node ``i`` (its cores go down; replicas elsewhere take over)."""
        return self.command(f"stop-node {i}")

    def start_node(self, i: int) -> dict:
        """Start node ``i`` again, on the same port."""
        return self.command(f"start-node {i}")

    def shutdown(self, timeout: float = 60.0) -> None:
        """Stop every node and ZooKeeper: closing stdin asks the launcher to; SIGTERM, then
        SIGKILL to its process group, if it does not exit in time."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            if proc.stdin and not proc.stdin.closed:
                proc.stdin.close()
        except OSError:
            pass
        for sig, wait in ((None, timeout), (signal.SIGTERM, 30.0), (signal.SIGKILL, 10.0)):
            if sig is not None:
                try:
                    os.killpg(proc.pid, sig)
                except (ProcessLookupError, PermissionError):
                    pass
            try:
                proc.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        if proc.stdout:
            proc.stdout.close()


def main(argv: list[str] | None = None) -> int:
    """``python -m search.engine.solr_backend.cluster [--nodes N] [--once]``: run a local SolrCloud in a
    temporary folder until Ctrl-C (``--once``: start it, print the start-up time, stop it)."""
    import argparse
    import tempfile
    import time

    parser = argparse.ArgumentParser(prog="python -m search.engine.solr_backend.cluster",
                                     description=main.__doc__)
    parser.add_argument("--nodes", type=int, default=2, help="Solr nodes (default 2).")
    parser.add_argument("--once", action="store_true",
                        help="Start, print the start-up time, stop.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="solr-cluster-") as tmp:
        t0 = time.perf_counter()
        try:
            cluster = LocalCluster(tmp, nodes=args.nodes)
            cluster.start()
        except SolrError as e:
            print(f"error: {e.message}")
            return 1
        ready = time.perf_counter() - t0
        try:
            print(json.dumps({"nodes": cluster.nodes, "zk": cluster.zk,
                              "seconds": round(ready, 1),
                              "launcher_seconds": cluster.start_seconds}), flush=True)
            if not args.once:
                print("--solr-url " + ",".join(cluster.nodes) + "  (Ctrl-C stops every node)",
                      flush=True)
                while cluster.proc is not None and cluster.proc.poll() is None:
                    time.sleep(1)
        except KeyboardInterrupt:
            pass
        finally:
            t1 = time.perf_counter()
            cluster.shutdown()
            if args.once:
                print(json.dumps({"shutdown_seconds": round(time.perf_counter() - t1, 1)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
