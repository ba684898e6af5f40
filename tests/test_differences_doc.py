"""Every python example in docs/differences.md runs (each in a fresh namespace).

The examples state pyad's behaviour with asserts, so an example that raises or whose assert
fails means the page no longer describes pyad.
"""
import pathlib
import re

import pytest

DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "differences.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _blocks():
    if not DOC.exists():   # an installed-wheel run copies tests/ without docs/
        return []
    text = DOC.read_text(encoding="utf-8")
    out = []
    for m in BLOCK.finditer(text):
        line = text.count("\n", 0, m.start()) + 2
        out.append(pytest.param(m.group(1), line, id=f"line{line}"))
    return out


BLOCKS = _blocks()


@pytest.mark.skipif(not DOC.exists(), reason="docs/ is not next to tests/ (installed-wheel run)")
def test_page_has_examples():
    assert len(BLOCKS) >= 12


@pytest.mark.parametrize("source,line", BLOCKS)
def test_example_runs(source, line):
    code = compile("\n" * (line - 1) + source, str(DOC), "exec")
    exec(code, {"__name__": f"differences_doc_line{line}"})
