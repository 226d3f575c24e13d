"""A scalar automatic-differentiation engine: the idea behind ``loss.backward()``, in one class.

Notebook 05 builds :class:`Value` cell by cell before it meets PyTorch's autograd; this is the
same code, kept for the tests (``tests/test_autograd.py`` proves it equal to torch autograd).

A :class:`Value` holds one number (``.data``), the gradient of the final result with respect to
it (``.grad``), the values it was computed from and a small function that passes its gradient
back to them by the chain rule. :meth:`Value.backward` sorts the graph so that every node comes
after everything that feeds it, then calls those functions from the result back to the inputs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["Value", "topological_order"]


class Value:
    """One number in a computation graph, with the gradient that ``backward()`` fills in.

    Supports ``+ - * / **`` with another :class:`Value` or a plain number on either side
    (``2 * v``, ``v / 3``, ``1 - v``, ``v ** 2``, ``2 ** v``), ``-v``, and ``relu()``,
    ``tanh()`` and ``exp()``.
    """

    def __init__(
        self, data: float, _children: Iterable[Value] = (), _op: str = "", label: str = ""
    ) -> None:
        self.data = float(data)
        self.grad = 0.0
        self._backward: Callable[[], None] = lambda: None
        self._prev = tuple(_children)
        self._op = _op
        self.label = label

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    # ---- the operations: each computes its result and says how to pass the gradient back ----

    def __add__(self, other: Any) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            self.grad += out.grad  # d(a + b)/da = 1
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Any) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            self.grad += other.data * out.grad  # d(a b)/da = b
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, other: Any) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data**other.data, (self, other), "**")

        def _backward() -> None:
            self.grad += other.data * self.data ** (other.data - 1) * out.grad  # n a^(n-1)
            if self.data > 0:  # d(a^b)/db = a^b ln a, defined for a > 0
                other.grad += out.data * math.log(self.data) * out.grad

        out._backward = _backward
        return out

    def exp(self) -> Value:
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward() -> None:
            self.grad += out.data * out.grad  # (e^a)' = e^a

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward() -> None:
            self.grad += (1 - out.data**2) * out.grad  # tanh' = 1 - tanh²

        out._backward = _backward
        return out

    def relu(self) -> Value:
        out = Value(self.data if self.data > 0 else 0.0, (self,), "relu")

        def _backward() -> None:
            self.grad += (out.data > 0) * out.grad  # slope 1 where active, 0 elsewhere

        out._backward = _backward
        return out

    # ---- everything else is built from the operations above ----

    def __neg__(self) -> Value:
        return self * -1

    def __sub__(self, other: Any) -> Value:
        return self + (-other)

    def __truediv__(self, other: Any) -> Value:
        return self * other**-1

    def __radd__(self, other: Any) -> Value:
        return self + other

    def __rsub__(self, other: Any) -> Value:
        return (-self) + other

    def __rmul__(self, other: Any) -> Value:
        return self * other

    def __rtruediv__(self, other: Any) -> Value:
        return self**-1 * other

    def __rpow__(self, other: Any) -> Value:
        return Value(other) ** self

    # ---- backpropagation ----

    def backward(self) -> None:
        """Fill ``.grad`` of every value this one was computed from with d(self)/d(value)."""
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0  # d(self)/d(self)
        for node in reversed(order):
            node._backward()


def topological_order(root: Value) -> list[Value]:
    """Every value ``root`` depends on, each listed after all the values it was computed from."""
    order: list[Value] = []
    seen: set[int] = set()

    def visit(node: Value) -> None:
        if id(node) not in seen:
            seen.add(id(node))
            for child in node._prev:
                visit(child)
            order.append(node)

    visit(root)
    return order
