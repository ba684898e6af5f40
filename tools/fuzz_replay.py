"""Replay the programs that fuzz campaigns logged, against the pyad built in this checkout.

    python tools/fuzz_replay.py /tmp/fuzz*.log > remaining.txt

Every distinct program (its ``pickle`` line) runs again through the fuzzer's worker and
comparison; the ones that still differ from torch are printed in the campaign log's format, so
a fix can be checked against everything a campaign found, and the output fed back in.
"""

import os
import pickle
import sys

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(paths):
    sys.path[:0] = [os.path.join(HERE, "tests"), HERE]
    import test_fuzz_vs_torch as fuzz

    seen = set()
    still = 0
    try:
        for path in paths:
            with open(path, errors="replace") as fh:
                lines = [ln.split()[1] for ln in fh if ln.startswith("pickle ")]
            for hexed in lines:
                if hexed in seen:
                    continue
                seen.add(hexed)
                prog = pickle.loads(bytes.fromhex(hexed))
                findings, _allowed = fuzz.compare(prog, fuzz.WORKER.run(prog))
                if findings:
                    still += 1
                    print("=" * 78)
                    print("program:\n" + fuzz.describe(prog))
                    print("findings:\n" + "\n".join(findings))
                    print("pickle", hexed, flush=True)
    finally:
        fuzz.WORKER.stop()
    print(f"# replayed {len(seen)} programs, {still} still differ", file=sys.stderr)
    return 1 if still else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
