"""The fault suite's short form (issue 16): `bench/faults.py --short` passes every row."""
from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT


def test_fault_suite_short_form_passes_every_row(tmp_path):
    out_json = tmp_path / "faults.json"
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "faults.py"), "--short",
                          "--json", str(out_json)], cwd=ROOT, capture_output=True, text=True,
                         timeout=900)
    rows = json.loads(out_json.read_text())["rows"]
    failed = [r["attack"] for r in rows if r["passed"] != r["trials"]]
    assert not failed, f"failed rows: {failed}\n{out.stderr[-3000:]}"
    assert out.returncode == 0, out.stderr[-3000:]
    assert len(rows) >= 8  # every cheap row ran, the slow clients' too
    assert any("slow clients" in r["attack"] for r in rows)
    for r in rows:
        if r["expected"] is not None:
            assert r["found"] == r["expected"], r
    assert "Fault suite" in out.stdout and "worst_s" in out.stdout
