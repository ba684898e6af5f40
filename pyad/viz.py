"""Graphviz pictures of a backward graph: ``to_dot`` (DOT text) and ``render`` (SVG via ``dot``).

The graph is the one reached from ``tensor.grad_fn`` through ``next_functions``, drawn in the
forward direction (inputs at the top, the output at the bottom):

- backward nodes are grey boxes labelled with their name (``MulBackward0``);
- the output's node is green and shows the output's shape;
- leaves (``AccumulateGrad`` nodes) are blue and show the leaf's shape, and its name when
  ``params`` (a dict name -> tensor, e.g. your parameters) holds that tensor;
- a node's shape is shown wherever it is known: the output's, the leaves', and every node's
  when the graph exposes ``_input_metadata`` (torch graphs do, so the same functions draw a
  torch graph too).

The text is deterministic: nodes are numbered in breadth-first order from the output and edges
listed in that order, so the same program always gives the same DOT. The walk is iterative
(no recursion limit on deep graphs). No Python dependency; ``render`` runs Graphviz's ``dot``.
"""
import shutil
import subprocess
from collections import deque

__all__ = ["to_dot", "render"]

_STYLE = ('    node [shape=box, style=filled, fillcolor=lightgrey, fontname="monospace", '
          'fontsize=10];')


def _quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _shape_text(shape):
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"   # torchviz's style: (3), ()


def _node_name(fn):
    name = getattr(fn, "name", None)
    text = name() if callable(name) else type(fn).__name__
    return text.rsplit("::", 1)[-1]   # torch's C++ names: "torch::autograd::AccumulateGrad"


def _metadata_shape(fn):
    meta = getattr(fn, "_input_metadata", None)
    if meta:
        try:
            return tuple(meta[0].shape)
        except (AttributeError, IndexError, TypeError):
            return None
    return None


def _walk(root):
    """Breadth-first from root: (nodes in discovery order, edges (child, parent) in order)."""
    index = {root: 0}
    order = [root]
    edges = []
    queue = deque([root])
    while queue:
        fn = queue.popleft()
        for child, _ in fn.next_functions:
            if child is None:
                continue
            if child not in index:
                index[child] = len(order)
                order.append(child)
                queue.append(child)
            edges.append((index[child], index[fn]))
    return order, edges


def to_dot(tensor, params=None):
    """The backward graph of ``tensor`` as Graphviz DOT text.

    Args:
        tensor (Tensor): the output whose graph is drawn (``tensor.grad_fn`` and everything
            reached through ``next_functions``).
        params (dict, optional): name -> tensor; leaves found here are labelled with the name.

    Returns:
        str: a ``digraph`` (render it with ``dot -Tsvg``, or call :func:`render`).

    Example:
        >>> w = pyad.ones(2, 3, requires_grad=True)
        >>> print(to_dot((w * 2).sum(), params={"w": w}))   # doctest: +SKIP
        digraph {
            node [shape=box, style=filled, fillcolor=lightgrey, fontname="monospace", fontsize=10];
            n0 [label="SumBackward0\\n()", fillcolor=darkolivegreen1];
            n1 [label="MulBackward0"];
            n2 [label="w\\n(2, 3)", fillcolor=lightblue];
            n1 -> n0;
            n2 -> n1;
        }
    """
    names = {id(t): name for name, t in (params or {}).items()}
    lines = ["digraph {", _STYLE]
    root = tensor.grad_fn
    if root is None:
        name = names.get(id(tensor), "tensor")
        lines.append(f"    n0 [label={_quote(name + chr(10) + _shape_text(tensor.shape))}, "
                     f"fillcolor={'lightblue' if tensor.requires_grad else 'darkolivegreen1'}];")
        lines.append("}")
        return "\n".join(lines) + "\n"
    order, edges = _walk(root)
    for i, fn in enumerate(order):
        variable = getattr(fn, "variable", None) if "AccumulateGrad" in _node_name(fn) else None
        if variable is not None:
            label = names.get(id(variable), "AccumulateGrad") + "\n" + _shape_text(variable.shape)
            lines.append(f"    n{i} [label={_quote(label)}, fillcolor=lightblue];")
            continue
        shape = tuple(tensor.shape) if i == 0 else _metadata_shape(fn)
        label = _node_name(fn) + ("" if shape is None else "\n" + _shape_text(shape))
        color = ", fillcolor=darkolivegreen1" if i == 0 else ""
        lines.append(f"    n{i} [label={_quote(label)}{color}];")
    lines.extend(f"    n{a} -> n{b};" for a, b in edges)
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(tensor, path, params=None, format="svg"):
    """Draw the backward graph of ``tensor`` into ``path`` with Graphviz's ``dot`` program.

    Args:
        tensor (Tensor): the output whose graph is drawn.
        path (str or os.PathLike): the file to write.
        params (dict, optional): name -> tensor, as in :func:`to_dot`.
        format (str, optional): any ``dot -T`` format. Defaults to ``"svg"``.

    Returns:
        str: ``path``.

    Raises:
        RuntimeError: when ``dot`` is not on PATH or fails.
    """
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError("pyad.viz.render needs the Graphviz `dot` program on PATH (install "
                           "Graphviz, e.g. `apt-get install graphviz` or `brew install "
                           "graphviz`); pyad.viz.to_dot(tensor) gives the DOT text without it.")
    proc = subprocess.run([exe, f"-T{format}", "-o", str(path)], input=to_dot(tensor, params),
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"pyad.viz.render: `dot` exited with status {proc.returncode}: "
                           f"{proc.stderr.strip()}")
    return str(path)
