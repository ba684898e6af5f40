"""python -m pyad: the seed example run with pyad, then a short benchmark against numpy and
PyTorch (when installed). `python -m pyad --help` lists the options."""
import argparse
import runpy
import sys

def run_seed():
    print("=== the seed example (PyTorch code, imports switched to pyad) ===")
    runpy.run_module("pyad.seed_example", run_name="__seed__")


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="python -m pyad",
        description="Run the seed example with pyad, then a short benchmark against numpy "
                    "and PyTorch (if installed).")
    ap.add_argument("--no-bench", action="store_true", help="only run the seed example")
    ap.add_argument("--bench-only", action="store_true", help="only run the benchmark")
    ap.add_argument("--full", action="store_true", help="run the full benchmark suite "
                    "(same as python -m pyad.bench)")
    args = ap.parse_args(argv)
    if not args.bench_only:
        run_seed()
    if not args.no_bench:
        from pyad import bench
        print("\n=== benchmark (medians in microseconds per call; lower is better) ===")
        print(bench.machine_line())
        bench.run(quick=not args.full, progress=sys.stderr.isatty())


if __name__ == "__main__":
    main()
