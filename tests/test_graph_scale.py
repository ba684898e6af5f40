"""Deep, wide and many-input graphs, checked against exact closed forms.

Heavy cases run in a subprocess (a C-stack overflow or crash is a failed test, not a dead
pytest); tests/test_memory.py has the plain 1,000,000-node chains (grad, backward, freeing)
and a 100,000-node create_graph chain. Here:

- deep: 200,000 nodes under create_graph with a diamond at every step, then the double graph
  freed; 100,000 custom Function nodes; 200,000 nodes each with a hook; a 1,000,000-node
  chain freed while a tensor in its middle is still referenced; the 1,000,000-node chain
  and a 100,000-node create_graph chain in a thread with a 256 KiB stack;
- many inputs: grad with respect to 10,000 leaves (chain, tree and one stack node of 10,000
  edges), backward into 10,000 leaves' .grad;
- wide: one leaf used by 100,000 ops;
- lattices: Pascal's triangle and a grid of additions, whose gradients count paths
  (binomial coefficients), and a 1,000-step doubling ladder (2**1000 paths).
"""

import math

import pytest

from test_memory import _run_child

pytestmark = pytest.mark.slow  # graphs of 10^4-10^6 nodes


def _floats(out, count):
    """The last `count` whitespace-separated numbers a child printed, after its 'freed'."""
    parts = out.split()
    assert parts[-1] == "freed", out[-2000:]
    return [float(v) for v in parts[-1 - count:-1]]


# ----------------------------------------------------------------------------
# deep graphs (subprocess)
# ----------------------------------------------------------------------------


def test_deep_create_graph_with_a_diamond_per_step():
    """y <- sin(y)/2 + y/2, 50,000 times (4 nodes a step, y used twice): first and second
    derivative through the recorded backward, then both graphs freed."""
    steps = 50_000
    out = _run_child(f"""
        x = pt.tensor([0.9], dtype=pt.float64, requires_grad=True)
        y = x
        for _ in range({steps}):
            y = y.sin() * 0.5 + y * 0.5
        (g,) = pt.autograd.grad(y, x, create_graph=True)
        (h,) = pt.autograd.grad(g, x)
        print(repr(y.item()), repr(g.item()), repr(h.item()))
        del y, g, h
        print("freed")
        """)
    y, g, h = _floats(out, 3)
    v, d1, d2 = 0.9, 1.0, 0.0         # forward mode: value, first and second derivative
    for _ in range(steps):
        f1, f2 = 0.5 * math.cos(v) + 0.5, -0.5 * math.sin(v)
        v, d1, d2 = 0.5 * math.sin(v) + 0.5 * v, f1 * d1, f2 * d1 * d1 + f1 * d2
    assert y == pytest.approx(v, rel=1e-9)
    assert g == pytest.approx(d1, rel=1e-7)
    assert h == pytest.approx(d2, rel=1e-7)


def test_deep_chain_of_custom_functions():
    """100,000 custom Function nodes (Python backward each), grad and backward, then freed."""
    n = 100_000
    out = _run_child(f"""
        class Scale(pt.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * 1.00001

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors     # the saved input keeps the chain below alive
                return g * 1.00001

        x = pt.tensor([2.0], dtype=pt.float64, requires_grad=True)
        y = x
        for _ in range({n}):
            y = Scale.apply(y)
        (g,) = pt.autograd.grad(y, x, retain_graph=True)
        y.backward()
        print(repr(y.item()), repr(g.item()), repr(x.grad.item()))
        del y, g
        print("freed")
        """)
    y, g, xg = _floats(out, 3)
    c = 1.00001**n
    assert y == pytest.approx(2.0 * c, rel=1e-9)
    assert g == pytest.approx(c, rel=1e-9)
    assert xg == g


def test_deep_chain_with_a_hook_on_every_node():
    """200,000 nodes, each with a hook (every 1,000th doubles the gradient) and every
    10,000th retaining its gradient; then freed with the hooks."""
    n = 200_000
    out = _run_child(f"""
        calls = [0]

        def count(g):
            calls[0] += 1

        def double(g):
            calls[0] += 1
            return g * 2.0

        x = pt.tensor([1.0], dtype=pt.float64, requires_grad=True)
        y = x
        kept = []
        for i in range({n}):
            y = y + 1.0
            y.register_hook(double if i % 1000 == 0 else count)
            if i % 10_000 == 0:
                y.retain_grad()
                kept.append(y)
        y.backward()
        print(calls[0], repr(x.grad.item()), repr(kept[0].grad.item()), repr(kept[-1].grad.item()))
        del y, kept
        print("freed")
        """)
    calls, xg, first, last = _floats(out, 4)
    assert calls == n
    assert xg == 2.0**200           # 200 doubling hooks between the root and x
    assert first == 2.0**200        # node 0 saw the hook of every node above and its own
    assert last == 2.0**10          # node 190,000: the 9 doubling hooks above it and its own


def test_deep_chain_freed_while_a_middle_tensor_is_referenced():
    """del the root of a 1,000,000-node chain while the tensor at 500,000 is still held: the
    top half is freed (a tensor saved only there dies), the bottom half still
    differentiates, then goes too."""
    out = _run_child("""
        import weakref
        x = pt.ones(1, dtype=pt.float64, requires_grad=True)
        y = x
        for i in range(1_000_000):
            y = y * 1.0000001
            if i == 499_999:
                mid = y
            if i == 750_000:
                w = pt.ones(1, dtype=pt.float64)
                y = y * w                  # MulBackward0 saves w: it lives as long as the node
                ref = weakref.ref(w)
                del w
        print(ref() is not None)
        del y
        print(ref() is None)
        (g,) = pt.autograd.grad(mid, x)
        print(repr(g.item()), repr(mid.item()))
        del mid, g
        print("freed")
        """)
    parts = out.split()
    assert parts[:2] == ["True", "True"]
    g, mid = _floats(out, 2)
    assert mid == pytest.approx(1.0000001**500_000, rel=1e-9)
    assert g == pytest.approx(1.0000001**500_000, rel=1e-9)


def test_deep_graphs_in_a_thread_with_a_small_stack():
    """A thread with a 256 KiB stack builds, differentiates (grad and backward) and frees a
    1,000,000-node chain, and a 100,000-node create_graph chain with its double graph."""
    out = _run_child("""
        import threading
        threading.stack_size(256 * 1024)
        res = []

        def work():
            x = pt.ones(1, dtype=pt.float64, requires_grad=True)
            y = x
            for _ in range(1_000_000):
                y = y * 1.0000001
            (g,) = pt.autograd.grad(y, x, retain_graph=True)
            y.backward()
            res.extend([y.item(), g.item(), x.grad.item()])
            del y, g
            x = pt.tensor([0.7], dtype=pt.float64, requires_grad=True)
            y = x
            for _ in range(100_000):
                y = y.sin()
            (g,) = pt.autograd.grad(y, x, create_graph=True)
            (h,) = pt.autograd.grad(g, x)
            res.extend([g.item(), h.item()])
            del y, g, h
            res.append("freed")

        t = threading.Thread(target=work)
        t.start()
        t.join()
        print(*[repr(v) for v in res[:-1]], res[-1])
        """)
    y, g, xg, g2, h2 = _floats(out, 5)
    c = 1.0000001**1_000_000
    assert y == pytest.approx(c, rel=1e-9)
    assert g == pytest.approx(c, rel=1e-9)
    assert xg == g
    v, d1, d2 = 0.7, 1.0, 0.0
    for _ in range(100_000):
        s, co = math.sin(v), math.cos(v)
        v, d1, d2 = s, co * d1, co * d2 - s * d1 * d1
    assert g2 == pytest.approx(d1, rel=1e-7)
    assert h2 == pytest.approx(d2, rel=1e-7)


# ----------------------------------------------------------------------------
# wide: one leaf, 100,000 consumers (subprocess)
# ----------------------------------------------------------------------------


def test_wide_fan_out():
    """x used by 100,000 ops x * c_i (c_i = i mod 7) summed by one stack and by a chain of
    adds; d/dx = sum c_i = 299,995 exactly; the chain also under create_graph, whose second
    derivative of sum(c_i x^2) is 2 * 299,995."""
    out = _run_child("""
        n = 100_000
        x = pt.tensor(1.5, dtype=pt.float64, requires_grad=True)
        y = pt.stack([x * float(i % 7) for i in range(n)]).sum()
        (g1,) = pt.autograd.grad(y, x)
        s = x * 0.0
        for i in range(n):
            s = s + x * x * float(i % 7)
        (g2,) = pt.autograd.grad(s, x, create_graph=True)
        (h2,) = pt.autograd.grad(g2, x)
        print(repr(g1.item()), repr(s.item()), repr(g2.item()), repr(h2.item()))
        del y, s, g2
        print("freed")
        """)
    g1, s, g2, h2 = _floats(out, 4)
    total = sum(i % 7 for i in range(100_000))
    assert total == 299_995
    assert g1 == total
    assert s == total * 2.25
    assert g2 == total * 3.0
    assert h2 == total * 2.0


# ----------------------------------------------------------------------------
# many inputs (in process: 10,000 scalars is light)
# ----------------------------------------------------------------------------

N_INPUTS = 10_000


def _leaves(pt):
    return [pt.tensor(float(i % 97) - 48.0, dtype=pt.float64, requires_grad=True)
            for i in range(N_INPUTS)]


def _weight(i):
    return float(i % 13) - 6.0


def _tree_sum(terms):
    while len(terms) > 1:
        pairs = [terms[i] + terms[i + 1] for i in range(0, len(terms) - 1, 2)]
        terms = pairs + ([terms[-1]] if len(terms) % 2 else [])
    return terms[0]


def _chain_sum(terms):
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


@pytest.mark.parametrize("how", ["chain", "tree", "stack"])
def test_grad_with_respect_to_10000_leaves(pt, how):
    """y = sum w_i x_i^2 summed three ways: grad w.r.t. the list of 10,000 leaves is exactly
    2 w_i x_i; each leaf captured once, in order."""
    xs = _leaves(pt)
    terms = [x * x * _weight(i) for i, x in enumerate(xs)]
    if how == "chain":
        y = _chain_sum(terms)
    elif how == "tree":
        y = _tree_sum(terms)
    else:
        y = pt.stack(terms).sum()          # one node with 10,000 edges
    grads = pt.autograd.grad(y, xs)
    assert len(grads) == N_INPUTS
    got = [g.item() for g in grads]
    assert got == [2.0 * _weight(i) * x.item() for i, x in enumerate(xs)]


def test_grad_with_respect_to_10000_leaves_reversed_and_repeated(pt):
    """Inputs given in another order, with repeats and unused ones (allow_unused)."""
    xs = _leaves(pt)
    y = _tree_sum([x * _weight(i) for i, x in enumerate(xs[: N_INPUTS // 2])])
    order = list(range(N_INPUTS - 1, -1, -1)) + list(range(0, N_INPUTS, 3))
    grads = pt.autograd.grad(y, [xs[i] for i in order], allow_unused=True)
    for k, i in enumerate(order):
        if i < N_INPUTS // 2:
            assert grads[k].item() == _weight(i)
        else:
            assert grads[k] is None


def test_backward_into_10000_leaves(pt):
    xs = _leaves(pt)
    y = _tree_sum([x * _weight(i) for i, x in enumerate(xs)])
    y.backward(retain_graph=True)
    y.backward()
    assert [x.grad.item() for x in xs] == [2.0 * _weight(i) for i in range(N_INPUTS)]


def test_sum_of_10000_scalars_tree_and_chain(pt):
    """x = 10,000 scalars summed by a tree and by a chain: the value is exact (integers) and
    every gradient is 1; the second derivative of (sum x)^2 is 2 everywhere."""
    xs = _leaves(pt)
    expected = float(sum(float(i % 97) - 48.0 for i in range(N_INPUTS)))
    for total in (_tree_sum(list(xs)), _chain_sum(list(xs))):
        assert total.item() == expected
        grads = pt.autograd.grad(total * total, xs, create_graph=True)
        assert all(g.item() == 2.0 * expected for g in grads)
        (h,) = pt.autograd.grad(grads[17], xs[4242])
        assert h.item() == 2.0


# ----------------------------------------------------------------------------
# lattices: gradients count paths
# ----------------------------------------------------------------------------


def test_pascal_lattice_counts_paths(pt):
    """Row k of Pascal's triangle built by additions from x: node (n, j) = C(n, j) x, and its
    gradient counts the C(n, j) paths to x; the row's sum has 2**n paths. Built on x*x, the
    second derivative is 2 C(n, j)."""
    n = 50                                  # C(50, 25) ~ 1.26e14: exact in float64
    x = pt.tensor(3.0, dtype=pt.float64, requires_grad=True)
    row = [x * x]
    for _ in range(n):
        row = [row[0]] + [row[j] + row[j + 1] for j in range(len(row) - 1)] + [row[-1]]
    for j in (0, 1, 7, 25, 43, 50):
        (g,) = pt.autograd.grad(row[j], x, retain_graph=True, create_graph=True)
        (h,) = pt.autograd.grad(g, x, retain_graph=True)
        assert row[j].item() == math.comb(n, j) * 9.0
        assert g.item() == math.comb(n, j) * 6.0
        assert h.item() == math.comb(n, j) * 2.0
    (g,) = pt.autograd.grad(_chain_sum(row), x)
    assert g.item() == 2.0**n * 6.0


def test_grid_lattice_counts_paths(pt):
    """node(i, j) = node(i-1, j) + node(i, j-1) on a 26 x 26 grid from x: the far corner is
    reached from x by C(50, 25) paths; every node's gradient is checked with one grad."""
    m = 26
    x = pt.tensor(1.0, dtype=pt.float64, requires_grad=True)
    grid = [[None] * m for _ in range(m)]
    for i in range(m):
        for j in range(m):
            if i == 0 and j == 0:
                grid[i][j] = x * 1.0
            elif i == 0:
                grid[i][j] = grid[i][j - 1] * 1.0
            elif j == 0:
                grid[i][j] = grid[i - 1][j] * 1.0
            else:
                grid[i][j] = grid[i - 1][j] + grid[i][j - 1]
    corner = grid[m - 1][m - 1]
    assert corner.item() == math.comb(50, 25)
    flat = [grid[i][j] for i in range(m) for j in range(m)]
    grads = pt.autograd.grad(corner, flat + [x])
    # d corner / d node(i, j) = paths from (i, j) to the corner
    assert [g.item() for g in grads[:-1]] == [
        float(math.comb(2 * (m - 1) - i - j, m - 1 - i)) for i in range(m) for j in range(m)]
    assert grads[-1].item() == math.comb(50, 25)


def test_doubling_ladder(pt):
    """y <- y + y, 1,000 times: 2**1000 paths from the root to x, exact in float64; the
    same with y <- y * 1 + y under create_graph, and the second derivative of the ladder
    built on x*x."""
    x = pt.tensor(0.5, dtype=pt.float64, requires_grad=True)
    y = x
    for _ in range(1000):
        y = y + y
    (g,) = pt.autograd.grad(y, x)
    assert g.item() == 2.0**1000
    assert y.item() == 2.0**999
    y = x * x
    for _ in range(1000):
        y = y * 1.0 + y
    (g,) = pt.autograd.grad(y, x, create_graph=True)
    (h,) = pt.autograd.grad(g, x)
    assert g.item() == 2.0**1000 * 2 * 0.5
    assert h.item() == 2.0**1001
