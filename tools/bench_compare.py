"""Compare two pyad builds on the benchmark suite, run alternately in one session.

    python tools/bench_compare.py OLD_CHECKOUT NEW_CHECKOUT [--runs 3] [--only WORD ...]

Each run is `python -m pyad.bench --json` inside one checkout (its built extension), old and
new taking turns, so machine noise hits both alike. A row's time is the median over runs of
the suite's own medians; the table gives new / old for pyad's column and flags rows more than
3% slower (the op-table issue's budget). Exit status 0 always: this is a measurement.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np


def one_run(checkout, only, rounds):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    cmd = [sys.executable, "-m", "pyad.bench", "--no-extras", "--json", out]
    if only:
        cmd += ["--only", *only]
    if rounds:
        cmd += ["--rounds", str(rounds)]
    env = dict(os.environ, PYTHONPATH=checkout)
    subprocess.run(cmd, cwd=checkout, env=env, check=True, stdout=subprocess.DEVNULL)
    with open(out) as f:
        data = json.load(f)
    os.unlink(out)
    return {r["workload"]: r["median_us"]["pyad"] for r in data["results"]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rounds", type=int, help="the suite's rounds per workload")
    ap.add_argument("--only", nargs="+")
    args = ap.parse_args(argv)
    times = {"old": [], "new": []}
    for i in range(args.runs):
        for which in (("old", "new") if i % 2 == 0 else ("new", "old")):
            checkout = getattr(args, which)
            print(f"run {i + 1}/{args.runs}: {which} ({checkout})", file=sys.stderr, flush=True)
            times[which].append(one_run(checkout, args.only, args.rounds))
    rows = [w for w in times["old"][0] if w in times["new"][0]]
    print(f"{'workload':<48} {'old us':>10} {'new us':>10} {'new/old':>8}")
    worst = 0.0
    for w in rows:
        old = float(np.median([t[w] for t in times["old"]]))
        new = float(np.median([t[w] for t in times["new"]]))
        ratio = new / old
        worst = max(worst, ratio)
        flag = "  > 3% slower" if ratio > 1.03 else ""
        print(f"{w:<48} {old:>10.3f} {new:>10.3f} {ratio:>8.3f}{flag}")
    print(f"{len(rows)} rows, {args.runs} runs each; worst new/old {worst:.3f}")


if __name__ == "__main__":
    main()
