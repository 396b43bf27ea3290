"""The cell IR: a handful of frozen expression nodes over vectors, printable and walkable.

Leaves: a parameter (`ParamRef`), the input x_t (`Input`), a state at t-1 (`Prev`), a quantity
defined earlier in the same step (`Ref`). Operations: `MatMul` (a parameter matrix times a
vector, optionally transposed), `Hadamard` (⊙), `Add` (n-ary sum), `OneMinus` (1 - z), `Neg`,
and `Apply` (an elementwise function from `functions.FUNCTIONS`). The reverse mode
(`reverse.py`) adds four nodes only it writes: `Upstream` (a state's adjoint arriving from
outside the step), `Adj` (the adjoint of a quantity), `Deriv` (f'(x) with f(x) at hand) and
`Outer` (u v^T, a parameter's per-step term). Every node prints as
plain text (`str`), e.g. ``sigmoid(U_i x + W_i h[t-1] + b_i)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

__all__ = [
    "Add",
    "Adj",
    "Apply",
    "Deriv",
    "Expr",
    "Hadamard",
    "Input",
    "MatMul",
    "Neg",
    "OneMinus",
    "Outer",
    "ParamRef",
    "Prev",
    "Ref",
    "Upstream",
    "children",
    "walk",
]


class Expr:
    """Base of every IR node (frozen dataclasses below); `str` prints the node as text."""

    __slots__ = ()


@dataclass(frozen=True)
class ParamRef(Expr):
    """The parameter with this key (its shape is declared in the cell's `Param`)."""

    key: str

    def __str__(self) -> str:
        return self.key


@dataclass(frozen=True)
class Input(Expr):
    """The input x_t (m entries)."""

    def __str__(self) -> str:
        return "x"


@dataclass(frozen=True)
class Prev(Expr):
    """A state of the previous step, s_{t-1}."""

    state: str

    def __str__(self) -> str:
        return f"{self.state}[t-1]"


@dataclass(frozen=True)
class Ref(Expr):
    """A quantity defined by an earlier equation of the same step (or a state at t)."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class MatMul(Expr):
    """A parameter matrix times a vector: P v, or P^T v when transpose is set."""

    matrix: ParamRef
    vector: Expr
    transpose: bool = False

    def __str__(self) -> str:
        t = "^T" if self.transpose else ""
        return f"{self.matrix}{t} {_atom(self.vector, Hadamard, MatMul)}"


@dataclass(frozen=True)
class Hadamard(Expr):
    """The elementwise product a ⊙ b."""

    left: Expr
    right: Expr

    def __str__(self) -> str:
        return f"{_atom(self.left, MatMul)} * {_atom(self.right, MatMul)}"


@dataclass(frozen=True)
class Add(Expr):
    """The sum of two or more terms."""

    terms: tuple[Expr, ...]

    def __str__(self) -> str:
        out = str(self.terms[0])
        for t in self.terms[1:]:
            out += f" - {_atom(t.arg)}" if isinstance(t, Neg) else f" + {t}"
        return out


@dataclass(frozen=True)
class OneMinus(Expr):
    """1 - z, elementwise (the GRU's update)."""

    arg: Expr

    def __str__(self) -> str:
        return f"(1 - {self.arg})"


@dataclass(frozen=True)
class Neg(Expr):
    """-z (written by the reverse mode for the adjoint through 1 - z)."""

    arg: Expr

    def __str__(self) -> str:
        return f"-{_atom(self.arg)}"


@dataclass(frozen=True)
class Apply(Expr):
    """An elementwise function (a key of `functions.FUNCTIONS`) applied to arg."""

    function: str
    arg: Expr

    def __str__(self) -> str:
        return f"{self.function}({self.arg})"


@dataclass(frozen=True)
class Adj(Expr):
    """The adjoint (error term) of a quantity at t: delta^name; `pre` marks the argument of the
    function that defines name (delta^{a_name}, the pre-activation's error term)."""

    name: str
    pre: bool = False

    def __str__(self) -> str:
        return f"delta[pre {self.name}]" if self.pre else f"delta[{self.name}]"


@dataclass(frozen=True)
class Upstream(Expr):
    """The adjoint of the state s_t arriving from outside the step: dL_t/ds_t plus what step
    t+1 passes back (the reverse mode's input)."""

    state: str

    def __str__(self) -> str:
        return f"upstream[{self.state}]"


@dataclass(frozen=True)
class Deriv(Expr):
    """f'(arg), with out = f(arg) at hand so f' can be written from the output (sigma(1-sigma))."""

    function: str
    arg: Expr
    out: Expr

    def __str__(self) -> str:
        return f"{self.function}'({self.arg})"


@dataclass(frozen=True)
class Outer(Expr):
    """The outer product u v^T (a matrix parameter's per-step term delta v^T)."""

    left: Expr
    right: Expr

    def __str__(self) -> str:
        return f"{_atom(self.left)} {_atom(self.right)}^T"


def _atom(e: Expr, *also: type) -> str:
    """e as text, parenthesised when it is a sum (or one of the node types `also`)."""
    return f"({e})" if isinstance(e, (Add, *also)) else str(e)


def children(e: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of a node."""
    if isinstance(e, MatMul):
        return (e.matrix, e.vector)
    if isinstance(e, Hadamard | Outer):
        return (e.left, e.right)
    if isinstance(e, Add):
        return e.terms
    if isinstance(e, OneMinus | Neg | Apply):
        return (e.arg,)
    if isinstance(e, Deriv):
        return (e.arg, e.out)
    return ()


def walk(e: Expr) -> Iterator[Expr]:
    """Every node of e, parents before children."""
    stack = [e]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))
