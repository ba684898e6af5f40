"""tools/check_layers.py: the layers of pyad._C (csrc/pyad/_C.pxd) hold; a violation fails.

The check reads the sources, not the built module: skipped where tools/ and csrc/ are not next
to tests/ (the installed-wheel run of wheels/build.py).
"""
import importlib.util
import io
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "check_layers.py"

pytestmark = pytest.mark.skipif(not TOOL.exists() or not (ROOT / "csrc").is_dir(),
                                reason="tools/ and csrc/ are not next to tests/ (installed run)")


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("check_layers", TOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run(tool, csrc, layers, exceptions=frozenset()):
    out = io.StringIO()
    n = tool.check(str(csrc), layers, exceptions, out=out)
    return n, out.getvalue()


def test_the_tree_is_layered(tool):
    n, text = run(tool, ROOT / "csrc", tool.LAYERS, tool.EXCEPTIONS)
    assert n == 0, text


def test_every_exception_is_still_needed(tool):
    """An exception whose use went away is dropped from the list, so the list stays true."""
    for f, name in sorted(tool.EXCEPTIONS):
        n, text = run(tool, ROOT / "csrc", tool.LAYERS, tool.EXCEPTIONS - {(f, name)})
        assert n >= 1 and f"{f}:" in text and name in text, (f, name)


def tiny_tree(tmp_path, low_body):
    """Two layers: low.pxi (declared by low.pxd) below high.pxi (declared by high.pxd)."""
    (tmp_path / "low.pxd").write_text("cdef int low_f(int x) except -1\n")
    (tmp_path / "high.pxd").write_text("cdef int high_f(int x) except -1\n")
    (tmp_path / "low.pxi").write_text(
        "cdef int low_f(int x) except -1:\n"
        "    # high_f(x) in a comment, and in a string: 'high_f(x)', are no use\n"
        + low_body)
    (tmp_path / "high.pxi").write_text(
        "cdef int high_f(int x) except -1:\n"
        "    return low_f(x) + high_g(x)\n\n"
        "cdef int high_g(int x) except -1:\n"
        "    return x\n")
    return [("low", "low.pxd", ["low.pxi"]), ("high", "high.pxd", ["high.pxi"])]


def test_a_clean_tiny_tree_passes(tool, tmp_path):
    layers = tiny_tree(tmp_path, "    return x + 1\n")
    assert run(tool, tmp_path, layers) == (0, "")


def test_a_lower_layer_calling_up_fails(tool, tmp_path):
    layers = tiny_tree(tmp_path, "    return high_f(x)\n")
    n, text = run(tool, tmp_path, layers)
    assert n == 1
    assert f"{tmp_path / 'low.pxi'}:3: high_f is declared by high.pxd (high)" in text
    # listed as a known exception, it passes
    assert run(tool, tmp_path, layers, {("low.pxi", "high_f")})[0] == 0


def test_an_undeclared_interface_fails(tool, tmp_path):
    layers = tiny_tree(tmp_path, "    return high_g(x)\n")
    n, text = run(tool, tmp_path, layers)
    assert n == 1
    assert f"{tmp_path / 'low.pxi'}:3: high_g (high.pxi:4, layer high)" in text
    assert "declared in no .pxd" in text


def test_a_local_name_shadows_a_module_name(tool, tmp_path):
    layers = tiny_tree(tmp_path, "    cdef int high_g = x\n    return high_g\n")
    assert run(tool, tmp_path, layers) == (0, "")
