"""Each atheris harness in fuzz/ runs for a bounded number of inputs without a finding.

A finding (a crash, an unexpected exception class, a failed check) makes the harness exit
non-zero; it runs in a subprocess, so a crash fails this test instead of killing pytest.
Long campaigns: see fuzz/README.md.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import AGAINST_TORCH, module_path_env

pytestmark = pytest.mark.slow  # atheris campaigns

pytest.importorskip("atheris")

FUZZ = Path(__file__).resolve().parents[1] / "fuzz"
RUNS = int(os.environ.get("PYAD_ATHERIS_RUNS", "3000"))


@pytest.mark.skipif(AGAINST_TORCH, reason="the harnesses fuzz pyad")
@pytest.mark.skipif(not FUZZ.is_dir(), reason="fuzz/ is not next to tests/ (installed wheel)")
@pytest.mark.parametrize("harness", ["fuzz_index", "fuzz_shape", "fuzz_pickle", "fuzz_numpy"])
def test_harness_runs_clean(harness, tmp_path):
    proc = subprocess.run(
        [sys.executable, str(FUZZ / f"{harness}.py"), f"-atheris_runs={RUNS}", "-seed=1",
         f"-artifact_prefix={tmp_path}/"],
        capture_output=True, text=True, env=module_path_env(), timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert f"Done {RUNS}" in proc.stderr
