"""The seed example: first and second derivatives with ``pyad.autograd.grad``.

This runs ``pyad/seed_example.py`` (the original PyTorch seed script with its two import
lines switched to ``import pyad as torch`` / ``from pyad import autograd``), so the code is
kept in one place. It prints x, y = sum(x), dy/dx (all ones), y = x[:, 0] + x[:, 1]**2, its
gradient built with ``create_graph=True`` and the second derivative (2 in column 1).
The stream is seeded first so the printed numbers are the same on every run.
"""

import runpy

import pyad


def main():
    pyad.manual_seed(0)  # the seed script draws x with pyad.rand
    runpy.run_module("pyad.seed_example", run_name="__main__")


if __name__ == "__main__":
    main()
