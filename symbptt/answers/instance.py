"""The random point behind a counterexample: its sizes by name, and its values when they are few.

A student who is told "wrong at T = 1, n = 1" can only act on it with the numbers in hand: the
parameters, h_0, the inputs and the targets (or, for a model without an output layer, the
weights of its linear loss L_t = a_t^T h_t). Sizes are named so that none reads as an index:
the output layer's size is `outputs`, and only a model with an output layer has one.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from typing import Any

import numpy as np

from symbptt.answers.bignum import LogNumber
from symbptt.answers.limits import LimitExceeded
from symbptt.answers.truth import World, name_keys
from symbptt.cells.functions import numeric_name
from symbptt.mathtext.ast import Node, Sym
from symbptt.model import Name

#: Show the values only when there are at most this many numbers (T <= 2, n <= 2 always fit).
MAX_VALUES = 40
_LOSS_WEIGHT_LETTERS = ("a", "c", "g", "q", "r")


def rounded(v: Any) -> Any:
    """A value as JSON: nested lists of floats at 6 significant digits (a scalar as a float).

    LimitExceeded for an exact value beyond float64 (3 \\times 10^{400}): callers print its text."""
    try:
        arr = np.asarray(
            v.astype(float) if isinstance(v, np.ndarray) and v.dtype == object else v, dtype=float
        )
    except OverflowError:
        raise LimitExceeded("a value beyond float64's range") from None
    if arr.ndim:
        return np.vectorize(lambda x: float(f"{x:.6g}"))(arr).tolist()
    return float(f"{float(arr):.6g}")


def as_text(v: Any) -> Any:
    """A value beyond float64 as short text (3e400, not its 400 digits; nested lists for arrays)."""
    if isinstance(v, np.ndarray):
        return [[as_text(x) for x in row] for row in np.atleast_2d(v)]
    if isinstance(v, Fraction | int) and not isinstance(v, bool):
        try:
            return f"{float(v):.6g}"
        except OverflowError:
            return str(LogNumber.of(v))
    return str(v)


def _given_dims(world: World) -> set[str]:
    return {d for _, _, shape in world.defs.given.values() if shape for d in shape}


def sizes(world: World) -> dict[str, int]:
    """{"T", "n", "m"?, "outputs"?}: m when something has an input, outputs only with an output layer.

    A model without an output layer has no output size; a `given` declared in R^k (no model
    output) keeps the student's own letter k."""
    out = {"T": world.T, "n": world.n}
    dims = _given_dims(world)
    model = world.model
    if model is not None or "m" in dims:
        out["m"] = world.m
    if model is not None and model.has_output_layer:
        out["outputs"] = world.k
    elif "k" in dims:
        out["k"] = world.k
    return out


def _key(name: Name) -> str:
    """How a student writes the name: W_h for W_{h}, \\bar{y} as it is."""
    return name.latex.replace("{", "").replace("}", "") if "_" in name.latex else name.latex


def names_used(nodes: Iterable[Node]) -> set[str]:
    """The names an answer mentions (W_h as one name; index letters are not names)."""
    out: set[str] = set()

    def visit(node: Node) -> None:
        if isinstance(node, Sym):
            out.add(node.name)
            if len(node.index) == 1 and isinstance(node.index[0], Sym):
                out.add(f"{node.name}_{node.index[0].name}")
            return
        for child in node.children():
            visit(child)

    for n in nodes:
        visit(n)
    return out


def _needs_forward(world: World, used: set[str] | None) -> bool:
    """Whether the answer reaches the model's sequences or loss (then every value matters)."""
    if used is None:
        return True
    own = world.defs.names()
    return any(world.names.get(u, ("param",))[0] != "param" for u in used - own)


def instance(world: World, used: set[str] | None = None) -> dict[str, Any] | None:
    """The values of the random point, by the names the student writes; None if there are too many.

    `used`: the names the answer mentions; an answer that never reaches the model's sequences or
    loss (dy/dx for y = sigma(W x) with x given) gets only its parameters and `given` values."""
    values: dict[str, Any] = {}
    model = world.model
    own = getattr(world, "instance_values", None)  # a gated world lists its cell's values
    if own is not None:
        values = own()
    elif model is not None and not _needs_forward(world, used):
        values["activation"] = numeric_name(model.activation)
        for role in model.roles:
            name = model.notation.param(role)
            if name_keys(name) & (used or set()):
                values[_key(name)] = world.params[role.value]
    elif model is not None:
        nt = model.notation
        values["activation"] = numeric_name(model.activation)
        for role in model.roles:
            values[_key(nt.param(role))] = world.params[role.value]
        values[f"{_key(nt.state)}_0"] = world.h0
        for t in range(1, world.T + 1):
            values[f"{_key(nt.input)}_{t}"] = world.xs[t]
        loss_steps = [world.T] if model.loss_at == "last" else list(range(1, world.T + 1))
        if model.has_output_layer:
            for t in loss_steps:
                values[f"{_key(nt.target)}_{t}"] = world.targets[t]
        else:
            a = next(c for c in _LOSS_WEIGHT_LETTERS if c not in world.names)
            state, loss = _key(nt.state), _key(nt.step_loss)
            values["loss"] = f"{loss}_t = {a}_t^T {state}_t"
            for t in loss_steps:
                values[f"{a}_{t}"] = world.loss_weights[t]
    for name, v in world.random_given.items():
        values[name] = v
    count = sum(np.size(v) for v in values.values() if isinstance(v, np.ndarray))
    if count > MAX_VALUES:
        return None
    return {k: rounded(v) if isinstance(v, np.ndarray) else v for k, v in values.items()}
