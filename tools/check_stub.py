"""Compare the compiled module pyad._C with its stub pyad/_C.pyi; exit 1 on any difference.

  - every public module-level name of pyad._C (functions, classes, constants; modules it
    merely imports, such as np, are left out) is declared in the stub, and every name the
    stub defines (public or private; type aliases, TypeVars and private helper classes of
    the stub's own excepted) exists in pyad._C;
  - the same for pyad._C.Tensor's public methods and properties, and every method the stub's
    Tensor class defines (dunders and private helpers included) exists on the type;
  - arity: where the runtime function's signature is known (Cython embeds it as the first
    docstring line), the stub has the same number of positional parameters, the same
    *args/**kwargs, and the same keyword-only names (one of the stub's @overloads must match).
    Python wrappers taking `(*args, **kwargs)` give no arity and are not compared.

Run it against the built extension, after `pip install .` (or an in-place build):

    python tools/check_stub.py [STUB]       # default: pyad/_C.pyi next to this checkout

Tensor is checked after `import pyad`, so the methods pyad/_tensor_methods.py adds to it in
Python count as the type's: the stub describes the Tensor users get.
"""
import ast
import inspect
import pathlib
import re
import sys
import types

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _import_C():
    try:
        import pyad._C as C
    except ImportError:   # an in-place build in this checkout (python setup.py build_ext)
        sys.path.insert(0, str(ROOT))
        import pyad._C as C
    return C


def _is_alias(node):
    """A stub-only assignment: `_T = TypeVar(...)`, `_X: TypeAlias = ...`, `_bool = bool`."""
    if isinstance(node, ast.AnnAssign):
        return isinstance(node.annotation, ast.Name) and node.annotation.id == "TypeAlias"
    value = node.value
    if isinstance(value, ast.Call) and getattr(value.func, "id", "") == "TypeVar":
        return True
    return all(isinstance(t, ast.Name) and t.id.startswith("_") for t in node.targets)


def _stub_names(body):
    """name -> list of ast nodes defining it, for a module or class body."""
    names = {}
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.setdefault(node.name, []).append(node)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if not _is_alias(node):
                names.setdefault(node.target.id, []).append(node)
        elif isinstance(node, ast.Assign) and not _is_alias(node):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    names.setdefault(t.id, []).append(node)
    return names


def _shape(args, drop_first):
    """(number of positional parameters, has *args, keyword-only names, has **kwargs)."""
    pos = [a.arg for a in args.posonlyargs + args.args]
    if drop_first and pos:
        pos = pos[1:]
    return len(pos), args.vararg is not None, tuple(sorted(a.arg for a in args.kwonlyargs)), \
        args.kwarg is not None


def _runtime_shape(obj, name, static):
    """The shape of obj's embedded signature `name(...)`, or None when it tells nothing: no
    signature, a Cython-typed one, or a Python wrapper's `(*args, **kwargs)`."""
    doc = getattr(obj, "__doc__", None) or ""
    first = doc.lstrip().split("\n", 1)[0]
    m = re.match(r"(?:\w+\.)?" + re.escape(name) + r"\((.*)\)(?:\s*->.*)?$", first)
    if m is None:
        return None
    try:
        fn = ast.parse(f"def f({m.group(1)}): pass").body[0]
    except SyntaxError:   # a Cython-typed parameter list: no cheap arity
        return None
    params = fn.args.posonlyargs + fn.args.args
    shape = _shape(fn.args, not static and bool(params) and params[0].arg in ("self", "cls"))
    return None if shape == (0, True, (), True) else shape


def _decorators(node):
    return {d.id if isinstance(d, ast.Name) else getattr(d, "attr", "")
            for d in getattr(node, "decorator_list", [])}


def _check_arity(where, name, obj, nodes, problems, static=False):
    fns = [n for n in nodes if isinstance(n, ast.FunctionDef)]
    if not fns or any("property" in _decorators(n) or "setter" in _decorators(n) for n in fns):
        return
    got = _runtime_shape(obj, name, static)
    if got is None:
        return
    stub = [_shape(n.args, where == "Tensor" and "staticmethod" not in _decorators(n))
            for n in fns]
    if got not in stub:
        problems.append(f"{where}.{name}: runtime signature (positional, *args, keyword-only, "
                        f"**kwargs) = {got}, stub has {sorted(set(stub))}")


def _is_foreign_module(value):
    return isinstance(value, types.ModuleType) and not value.__name__.startswith("pyad")


def check(stub_path):
    C = _import_C()
    import pyad  # noqa: F401  (pyad/_tensor_methods.py completes Tensor at import)
    tree = ast.parse(stub_path.read_text(encoding="utf-8"))
    problems = []
    mod = _stub_names(tree.body)
    runtime = {n for n in dir(C) if not n.startswith("_") and not _is_foreign_module(getattr(C, n))}
    for n in sorted(runtime - set(mod)):
        problems.append(f"pyad._C.{n} is not in the stub")
    for n in sorted(set(mod) - set(dir(C))):
        if n.startswith("_") and all(isinstance(d, ast.ClassDef) for d in mod[n]):
            continue   # a typing helper of the stub's own (_ValuesIndices)
        problems.append(f"the stub declares pyad._C.{n}, which pyad._C does not have")
    for n in sorted(set(mod) & set(dir(C))):
        _check_arity("pyad._C", n, getattr(C, n), mod[n], problems)

    cls = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Tensor"]
    tensor = _stub_names(cls[0].body) if cls else {}
    runtime = {n for n in dir(C.Tensor) if not n.startswith("_")}
    for n in sorted(runtime - set(tensor)):
        problems.append(f"Tensor.{n} is not in the stub")
    for n in sorted(set(tensor) - set(dir(C.Tensor))):
        problems.append(f"the stub declares Tensor.{n}, which Tensor does not have")
    for n in sorted(set(tensor) & set(dir(C.Tensor))):
        obj = inspect.getattr_static(C.Tensor, n)
        _check_arity("Tensor", n, getattr(C.Tensor, n) if callable(obj) else obj, tensor[n],
                     problems, static=isinstance(obj, staticmethod))
    return C, problems


def main(argv):
    stub_path = pathlib.Path(argv[0]) if argv else ROOT / "pyad" / "_C.pyi"
    C, problems = check(stub_path)
    for p in problems:
        print(p)
    print(f"check_stub: {stub_path} against {C.__file__}: {len(problems)} differences",
          file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
