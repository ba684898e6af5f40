"""The ``>>>`` examples in pyad's docstrings run and print what they show.

Covers every pyad Python module and the compiled module pyad._C (Cython functions and the
methods of its classes carry their docstrings, so doctest.DocTestFinder sees them).
"""
import doctest
import importlib
import pkgutil

import pytest

import pyad

SKIP = {"pyad.__main__", "pyad.bench"}   # scripts: importing them is fine, but keep them out
FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def _modules():
    names = ["pyad"] + [m.name for m in pkgutil.walk_packages(pyad.__path__, "pyad.")]
    return [n for n in names if n not in SKIP]


def _tests(module_name):
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = finder.find(module, module_name, globs={"pyad": pyad})
    if module_name == "pyad._C":
        # Cython's autotestdict (__test__) repeats the functions' examples; doctest does not
        # recurse into the compiled objects themselves (their __module__ check and the
        # getset descriptors of cdef classes), so walk them here: functions, classes and
        # each class's methods and properties.
        tests = [t for t in tests if ".__test__." not in t.name]
        seen = {t.name for t in tests}

        def add(obj, name):
            for t in finder.find(obj, name, module=False, globs={"pyad": pyad}):
                if t.name not in seen:
                    seen.add(t.name)
                    tests.append(t)

        for name in dir(module):
            obj = getattr(module, name)
            if name.startswith("_") or not callable(obj):
                continue
            add(obj, f"pyad._C.{name}")
            if isinstance(obj, type):
                for attr, val in vars(obj).items():
                    if not attr.startswith("_"):
                        add(val, f"pyad._C.{name}.{attr}")
    return [t for t in tests if t.examples]


CASES = [t for m in _modules() for t in _tests(m)]


def test_examples_were_found():
    assert len(CASES) >= 20
    assert any(t.name.startswith("pyad._C.") for t in CASES)


@pytest.mark.parametrize("test", CASES, ids=[t.name for t in CASES])
def test_docstring_example(test):
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    test.globs = {"pyad": pyad}
    out = []
    result = runner.run(test, out=out.append, clear_globs=False)
    assert result.failed == 0, "".join(out)
