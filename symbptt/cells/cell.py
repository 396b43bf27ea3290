"""A recurrent cell as data: parameters with shapes in n and m, states, and equations in order.

    Param("W_f", ("n", "n")), Param("U_f", ("n", "m")), Param("b_f", ("n",))
    Equation("f", Apply("sigmoid", Add((MatMul(U_f, x), MatMul(W_f, Prev("h")), b_f))))
    Cell("lstm", params, states=("h", "c"), equations=(...))

The equations are one step t in evaluation order; a state s is the quantity its equation
defines (s_t), `Prev(s)` is s_{t-1}. The first state is the readout: a head or a per-step
loss reads it. A `Cell` validates itself on construction and names the equation and symbol
of every mistake (`InputError`), so a cell read from a user's file fails early and clearly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from symbptt.cells.expr import (
    Add,
    Apply,
    Expr,
    Hadamard,
    Input,
    MatMul,
    Neg,
    OneMinus,
    ParamRef,
    Prev,
    Ref,
    walk,
)
from symbptt.cells.functions import FUNCTIONS
from symbptt.errors import InputError

__all__ = ["SHAPES", "Cell", "Equation", "Param"]

#: The shapes a parameter may have: a recurrent matrix, an input matrix, a bias.
SHAPES: tuple[tuple[str, ...], ...] = (("n", "n"), ("n", "m"), ("n",))


@dataclass(frozen=True)
class Param:
    """A parameter: its key (as the engine and the derivation file name it) and shape in n, m."""

    key: str
    shape: tuple[str, ...]

    @property
    def is_matrix(self) -> bool:
        """True for (n, n) and (n, m), False for a bias (n,)."""
        return len(self.shape) == 2

    def size(self, n: int, m: int) -> tuple[int, ...]:
        """The concrete numpy shape at n hidden units and m inputs."""
        return tuple(n if d == "n" else m for d in self.shape)


@dataclass(frozen=True)
class Equation:
    """name_t = rhs: one quantity of the step (a gate, a candidate, a state)."""

    name: str
    rhs: Expr

    def __str__(self) -> str:
        return f"{self.name} = {self.rhs}"


@dataclass(frozen=True)
class Cell:
    """One step of a recurrent cell: parameters, states (readout first) and equations in order."""

    name: str
    params: tuple[Param, ...]
    states: tuple[str, ...]
    equations: tuple[Equation, ...]
    description: str = ""
    #: LaTeX display names of quantities and parameters (printers; the algebra ignores them).
    latex: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        validate(self)

    @property
    def readout(self) -> str:
        """The state a head or per-step loss reads (the first state, h)."""
        return self.states[0]

    @property
    def param_keys(self) -> tuple[str, ...]:
        """The parameter keys in declaration order."""
        return tuple(p.key for p in self.params)

    @property
    def quantities(self) -> tuple[str, ...]:
        """Every quantity the equations define, in evaluation order."""
        return tuple(e.name for e in self.equations)

    def param(self, key: str) -> Param:
        """The parameter with this key; InputError listing the keys otherwise."""
        for p in self.params:
            if p.key == key:
                return p
        raise InputError(
            f"cell {self.name!r} has no parameter {key!r}; its parameters are "
            f"{', '.join(self.param_keys)}"
        )

    def equation(self, name: str) -> Equation:
        """The equation defining a quantity."""
        for e in self.equations:
            if e.name == name:
                return e
        raise InputError(f"cell {self.name!r} defines no quantity {name!r}")

    def __str__(self) -> str:
        lines = [f"cell {self.name}: states {', '.join(self.states)}"]
        lines += [f"  {p.key}: ({', '.join(p.shape)})" for p in self.params]
        lines += [f"  {e}" for e in self.equations]
        return "\n".join(lines)


# ---------------------------------------------------------------------- validation


def validate(cell: Cell) -> None:
    """InputError naming the equation and symbol unless the cell is well formed.

    Checked: names unique; parameter shapes known; every quantity defined once and used only
    after its equation (topological order); every state updated; shapes agree; every parameter
    used; every state depends, through the equations, on a state at t-1 (a recurrent cell).
    """
    where = f"cell {cell.name!r}"
    if not cell.states:
        raise InputError(f"{where}: no states (expected e.g. ('h',) or ('h', 'c'))")
    params: dict[str, Param] = {}
    for p in cell.params:
        if p.key in params:
            raise InputError(f"{where}: parameter {p.key!r} declared twice")
        if tuple(p.shape) not in SHAPES:
            shapes = ", ".join("(" + ", ".join(s) + ")" for s in SHAPES)
            raise InputError(
                f"{where}: parameter {p.key!r} has shape {p.shape!r}; expected one of {shapes}"
            )
        params[p.key] = p
    if len(set(cell.states)) != len(cell.states):
        raise InputError(f"{where}: a state is listed twice in {cell.states}")
    defined: dict[str, str] = {}  # quantity -> shape dim
    used_params: set[str] = set()
    depends: dict[str, bool] = {}  # quantity -> depends on some state at t-1
    for eq in cell.equations:
        at = f"{where}, equation {eq.name!r}"
        if eq.name in defined:
            raise InputError(f"{at}: {eq.name!r} is defined twice (each quantity once)")
        if eq.name in params:
            raise InputError(f"{at}: {eq.name!r} is already a parameter's key")
        if eq.name == "x":
            raise InputError(f"{at}: 'x' is the input's name")
        dim = _shape(eq.rhs, params, cell.states, defined, at)
        if dim != "n":
            raise InputError(f"{at}: the right-hand side has {dim} entries; expected n")
        used_params |= {node.key for node in walk(eq.rhs) if isinstance(node, ParamRef)}
        depends[eq.name] = any(
            isinstance(node, Prev) or (isinstance(node, Ref) and depends[node.name])
            for node in walk(eq.rhs)
        )
        defined[eq.name] = dim
    for s in cell.states:
        if s not in defined:
            raise InputError(f"{where}: state {s!r} is never updated (no equation defines it)")
        if not depends[s]:
            raise InputError(
                f"{where}, equation {s!r}: state {s!r} does not depend on any state at t-1; "
                "a recurrent cell's states must"
            )
    unused = [k for k in params if k not in used_params]
    if unused:
        raise InputError(f"{where}: parameter {unused[0]!r} is declared but never used")


def _shape(
    e: Expr, params: dict[str, Param], states: tuple[str, ...], defined: dict[str, str], at: str
) -> str:
    """The vector length of e ('n' or 'm'), or InputError naming the offending symbol."""
    if isinstance(e, Input):
        return "m"
    if isinstance(e, Prev):
        if e.state not in states:
            raise InputError(f"{at}: {e.state}[t-1] is not a state (states: {', '.join(states)})")
        return "n"
    if isinstance(e, Ref):
        if e.name not in defined:
            raise InputError(
                f"{at}: {e.name!r} is used before it is defined (equations must come in order)"
                if e.name not in params
                else f"{at}: {e.name!r} is a parameter; refer to it as a parameter"
            )
        return defined[e.name]
    if isinstance(e, ParamRef):
        p = _param(e, params, at)
        if p.is_matrix:
            raise InputError(
                f"{at}: matrix {p.key!r} ({', '.join(p.shape)}) must multiply a vector"
            )
        return p.shape[0]
    if isinstance(e, MatMul):
        if not isinstance(e.matrix, ParamRef):
            raise InputError(f"{at}: only a parameter matrix can multiply a vector")
        p = _param(e.matrix, params, at)
        if not p.is_matrix:
            raise InputError(f"{at}: {p.key!r} is a vector (n,); it cannot multiply {e.vector}")
        dim = _shape(e.vector, params, states, defined, at)
        rows, cols = (p.shape[1], p.shape[0]) if e.transpose else p.shape
        if dim != cols:
            raise InputError(
                f"{at}: {p.key} ({', '.join(p.shape)}) times {e.vector} ({dim} entries): "
                "shapes do not agree"
            )
        return rows
    if isinstance(e, Hadamard | Add):
        terms = (e.left, e.right) if isinstance(e, Hadamard) else e.terms
        if isinstance(e, Add) and len(terms) < 2:
            raise InputError(f"{at}: a sum needs two or more terms")
        dims = [_shape(t, params, states, defined, at) for t in terms]
        if len(set(dims)) != 1:
            op = "*" if isinstance(e, Hadamard) else "+"
            raise InputError(
                f"{at}: {op} of vectors with {' and '.join(dims)} entries: shapes do not agree "
                f"in {e}"
            )
        return dims[0]
    if isinstance(e, OneMinus | Neg):
        return _shape(e.arg, params, states, defined, at)
    if isinstance(e, Apply):
        if e.function not in FUNCTIONS:
            raise InputError(
                f"{at}: unknown function {e.function!r}; expected one of {', '.join(FUNCTIONS)}"
            )
        return _shape(e.arg, params, states, defined, at)
    raise InputError(f"{at}: {type(e).__name__} is not allowed in a cell's equations")


def _param(e: ParamRef, params: dict[str, Param], at: str) -> Param:
    if e.key not in params:
        known = ", ".join(params) or "none"
        raise InputError(f"{at}: {e.key!r} is not a declared parameter (declared: {known})")
    return params[e.key]
