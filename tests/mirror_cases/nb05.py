"""Notebook 05's cells equal course_utils.autograd and course_utils.mlp on shared inputs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tests.mirror_cases.compare import assert_same

# The network cell of notebook 05 repeats notebook 04's: the same check applies.
_spec = importlib.util.spec_from_file_location(
    "mirror_cases_nb04_for_05", Path(__file__).with_name("nb04.py")
)
_nb04 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_nb04)


def _expressions(V):
    """Build the same expressions from a Value class; return the outputs and the leaves."""
    a, b, c = V(1.5), V(-0.8), V(2.0)
    leaves = [a, b, c]
    outs = [
        a + b,
        a - b,
        a * b,
        a / b,
        a**c,
        c**a,
        -a,  # every operator between Values
        a + 2,
        2 + a,
        a - 2,
        2 - a,
        a * 2,
        2 * a,
        a / 2,
        2 / a,
        a**2,
        2**a,  # numbers on either side
        (a * b + c).tanh(),
        (a - c).relu(),
        (b * 3).relu(),
        (a / c).exp(),
        (a * b + b**3 - 2 / a) ** 2 + (a * b).tanh() * c.exp() / (1 + a**2),  # reuse and depth
    ]
    return outs, leaves


def check_value(nb, pkg):
    assert_same(nb(3).data, pkg(3).data)
    assert_same(nb(3).grad, pkg(3).grad)  # a fresh value has gradient 0
    outs_nb, leaves_nb = _expressions(nb)
    outs_pkg, leaves_pkg = _expressions(pkg)
    for k, (o_nb, o_pkg) in enumerate(zip(outs_nb, outs_pkg)):
        o_nb.backward()
        o_pkg.backward()
        assert_same(o_nb.data, o_pkg.data, where=f"expression {k}: value")
        assert_same(
            [v.grad for v in leaves_nb],
            [v.grad for v in leaves_pkg],
            where=f"expression {k}: gradients",
        )
        assert_same(o_nb.grad, o_pkg.grad, where=f"expression {k}: output gradient")
        o_nb.backward()  # a second call gives the same gradients
        assert_same(
            [v.grad for v in leaves_nb],
            [v.grad for v in leaves_pkg],
            where=f"expression {k}: second backward",
        )
        assert o_nb._op == o_pkg._op


def check_topological_order(nb, pkg):
    from course_utils.autograd import Value

    a, b = Value(2.0), Value(3.0)
    root = ((a * b + a).tanh() * b).relu()
    assert [id(v) for v in nb(root)] == [id(v) for v in pkg(root)]
    single = Value(1.0)
    assert [id(v) for v in nb(single)] == [id(single)]


CASES = {
    "course_utils.autograd.Value": check_value,
    "course_utils.autograd.topological_order": check_topological_order,
    "course_utils.mlp.NumpyMLP": _nb04.check_numpy_mlp,
}
