"""python -m pyad: the seed example run with pyad, then a short benchmark against numpy and
PyTorch (when installed). `python -m pyad --help` lists the options."""
import argparse
import os
import sys

SEED_EXAMPLE = '''\
import pyad as torch
from pyad import autograd

x = torch.rand(3, 4)
x.requires_grad_()

y = torch.sum(x)
print("-"*30,"\\n x= \\n",x)
print("-"*30,"\\n y= x_1 + x_2 + x_3 +... =\\n",y)

print("-"*30,"\\n dy/dx= ")
print(autograd.grad(outputs=y, inputs=x)[0])
print("-"*30,"\\n dy/dx= ")
print(autograd.grad(outputs=y, inputs=x,grad_outputs=torch.ones_like(y))[0])



y = x[:,0] +x[:,1]**2
print("-"*30,"\\n x= \\n",x)
print("-"*30,"\\n y=x[:,0] + x[:,1]**2 =\\n",y)
grad3 = autograd.grad(outputs=y, inputs=x, grad_outputs=torch.ones_like(y), create_graph=True)[0]
grad4 = autograd.grad(outputs=grad3, inputs=x, grad_outputs=torch.ones_like(grad3))[0]
print("-"*30,"\\n dy/dx= ")
print(grad3)
print("-"*30,"\\n d2y/dx2=")
print(grad4)
print("-"*30)
'''


def run_seed():
    print("=== the seed example (PyTorch code, imports switched to pyad) ===")
    exec(compile(SEED_EXAMPLE, "seed_example.py", "exec"), {"__name__": "__seed__"})


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
