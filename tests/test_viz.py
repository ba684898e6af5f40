"""``pyad.viz``: DOT text of a backward graph, and SVG through Graphviz's ``dot``.

A pyad feature (torch has none), tested on pyad; the graph structure is compared with the one
torch builds for the same program where torch is installed.
"""

import os
import re
import shutil
import stat
import sys

import pytest

import pyad
from pyad.viz import render, to_dot

from conftest import AGAINST_TORCH

pytestmark = pytest.mark.skipif(AGAINST_TORCH, reason="pyad.viz is a pyad feature")

HEADER = ('digraph {\n'
          '    node [shape=box, style=filled, fillcolor=lightgrey, fontname="monospace", '
          'fontsize=10];\n')


def program(m):
    w = m.ones(2, 3, requires_grad=True)
    b = m.ones(3, requires_grad=True)
    x = m.ones(4, 2)
    h = x @ w
    return ((h + b).tanh() * h).sum(), {"w": w, "b": b}


def test_small_graph_exact_text():
    w = pyad.ones(2, 3, requires_grad=True)
    y = (w * 2).sum()
    assert to_dot(y, params={"w": w}) == HEADER + (
        '    n0 [label="SumBackward0\\n()", fillcolor=darkolivegreen1];\n'
        '    n1 [label="MulBackward0"];\n'
        '    n2 [label="w\\n(2, 3)", fillcolor=lightblue];\n'
        '    n1 -> n0;\n'
        '    n2 -> n1;\n'
        '}\n')


def test_unnamed_leaf_shared_node_and_repeated_edges():
    x = pyad.ones(3, requires_grad=True)
    y = x * x + x
    dot = to_dot(y)
    assert '[label="AccumulateGrad\\n(3)", fillcolor=lightblue]' in dot
    assert dot.count("AccumulateGrad") == 1            # one node for the leaf
    assert dot.count("n2 -> n1;") == 2                 # x * x: two edges into MulBackward0
    assert '[label="AddBackward0\\n(3)", fillcolor=darkolivegreen1]' in dot


def test_deterministic():
    a = to_dot(*program(pyad))
    b = to_dot(*program(pyad))
    assert a == b
    assert "0x" not in a                               # no addresses in the text


def test_tensor_without_graph():
    leaf = pyad.ones(2, 2, requires_grad=True)
    assert to_dot(leaf, {"p": leaf}) == HEADER + (
        '    n0 [label="p\\n(2, 2)", fillcolor=lightblue];\n}\n')
    assert to_dot(pyad.ones(3)) == HEADER + (
        '    n0 [label="tensor\\n(3)", fillcolor=darkolivegreen1];\n}\n')


def test_names_are_escaped():
    w = pyad.ones(1, requires_grad=True)
    dot = to_dot(w * 2, {'layer "1"\\w': w})
    assert 'label="layer \\"1\\"\\\\w\\n(1)"' in dot


def test_deep_graph_is_walked_iteratively():
    x = pyad.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(max(sys.getrecursionlimit(), 1000) * 3):
        y = y * 1.0001
    dot = to_dot(y)
    assert dot.count("MulBackward0") == max(sys.getrecursionlimit(), 1000) * 3


def _structure(dot):
    """Node names without shapes, and the edges."""
    labels = re.findall(r'label="([^"\\]*)', dot)
    edges = re.findall(r"n\d+ -> n\d+;", dot)
    return labels, edges


def test_same_structure_as_torch():
    torch = pytest.importorskip("torch")
    ours = to_dot(*program(pyad))
    theirs = to_dot(*program(torch))
    assert _structure(ours) == _structure(theirs)
    assert '"MulBackward0\\n(4, 3)"' in theirs        # torch graphs expose every node's shape


# ----------------------------------------------------------------------------
# render
# ----------------------------------------------------------------------------


def test_render_without_dot_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="needs the Graphviz `dot` program on PATH"):
        render(pyad.ones(2, requires_grad=True) * 2, tmp_path / "g.svg")
    assert not (tmp_path / "g.svg").exists()


def _fake_dot(tmp_path, body):
    """A stand-in `dot`: a Python script on an otherwise empty PATH."""
    exe = tmp_path / "dot"
    exe.write_text(f"#!{sys.executable}\nimport sys, pathlib\n{body}")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return exe


@pytest.mark.skipif(os.name != "posix", reason="script stand-in for dot")
def test_render_runs_dot_with_the_text(tmp_path, monkeypatch):
    # records its arguments and copies stdin to the -o file
    _fake_dot(tmp_path, "here = pathlib.Path(sys.argv[0]).parent\n"
                        "(here / 'args').write_text(' '.join(sys.argv[1:]))\n"
                        "pathlib.Path(sys.argv[3]).write_text(sys.stdin.read())\n")
    monkeypatch.setenv("PATH", str(tmp_path))
    w = pyad.ones(2, requires_grad=True)
    y = (w * 2).sum()
    out = tmp_path / "graph.svg"
    assert render(y, out, params={"w": w}) == str(out)
    assert out.read_text() == to_dot(y, {"w": w})
    assert (tmp_path / "args").read_text().split() == ["-Tsvg", "-o", str(out)]


@pytest.mark.skipif(os.name != "posix", reason="script stand-in for dot")
def test_render_reports_a_failing_dot(tmp_path, monkeypatch):
    _fake_dot(tmp_path, "sys.stderr.write('syntax error in line 1')\nsys.exit(3)\n")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match=r"`dot` exited with status 3: syntax error in line 1"):
        render(pyad.ones(2, requires_grad=True) * 2, tmp_path / "g.svg")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
def test_render_real_svg(tmp_path):
    out = tmp_path / "graph.svg"
    render(*program(pyad)[:1], out)
    text = out.read_text()
    assert "<svg" in text and "MulBackward0" in text
