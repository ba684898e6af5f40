"""Every public name of pyad has a docstring.

The public surface walked here: the callables and classes defined by pyad (pyad._C and the
pyad modules) reachable as public names of pyad, pyad.autograd, pyad.autograd.functional,
pyad.nn, pyad.nn.functional, pyad.nn.init, pyad.nn.utils and pyad.linalg, and pyad.Tensor's
public methods and properties.
"""
import inspect

import pyad
import pyad.autograd.functional
import pyad.linalg
import pyad.nn
import pyad.nn.functional
import pyad.nn.init
import pyad.nn.utils

MODULES = [pyad, pyad.autograd, pyad.autograd.functional, pyad.nn, pyad.nn.functional,
           pyad.nn.init, pyad.nn.utils, pyad.linalg]


def _defined_by_pyad(obj):
    mod = getattr(obj, "__module__", None) or ""
    if mod == "pyad" or mod.startswith("pyad."):
        return True
    # Cython functions report their module ("pyad._C"); cdef classes too. Builtin-style
    # descriptors of a compiled type fall back on their owner.
    objclass = getattr(obj, "__objclass__", None)
    return objclass is not None and (objclass.__module__ or "").startswith("pyad")


def _public_names(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    return [n for n in names if not n.startswith("_")]


def _module_surface():
    seen = set()
    for module in MODULES:
        for name in _public_names(module):
            obj = getattr(module, name)
            if inspect.ismodule(obj) or not callable(obj) or not _defined_by_pyad(obj):
                continue
            key = f"{module.__name__}.{name}"
            if key not in seen:
                seen.add(key)
                yield key, obj


def _tensor_surface():
    for name in vars(pyad.Tensor):
        if name.startswith("_"):
            continue
        yield f"Tensor.{name}", getattr(pyad.Tensor, name)


def _doc(obj):
    doc = obj.__doc__
    if inspect.isclass(obj):
        doc = obj.__dict__.get("__doc__")
    return (doc or "").strip()


def _has_summary(obj):
    doc = _doc(obj)
    if not doc:
        return False
    # Cython's embedsignature puts "name(args)" as the first line: a bare signature is not a
    # docstring.
    lines = [ln for ln in doc.splitlines() if ln.strip()]
    sig_only = len(lines) == 1 and lines[0].rstrip().endswith(")") and "(" in lines[0] \
        and " " not in lines[0].split("(")[0]
    return not sig_only


SURFACE = sorted(dict(list(_module_surface()) + list(_tensor_surface())).items())


def test_surface_is_large():
    # guard against the walk silently finding nothing
    assert len(SURFACE) > 200


def test_every_public_name_has_a_docstring():
    missing = [name for name, obj in SURFACE if not _has_summary(obj)]
    assert not missing, f"{len(missing)} public names without a docstring:\n" + "\n".join(missing)
