"""True values in a model's notation: one random instantiation (T, n, m, k, seed) of the model.

`World` is the evaluator's environment. Its forward pass is the model's cell statement
(`model.cell_def`, evaluated by `cells.numeric`'s step with the pre-activation read off the state's
equation) and its head (`cells.heads.numeric_head`: output and loss), with a perturbation
(`overlay`) possible on every quantity. Its derivatives (`derivatives`, a mixin) are exact from
the engine's BPTT where `exact` provides them, else by central differences (`fd_used`
records this so the judge can widen its tolerance). Random points respect the model: softmax
cross-entropy targets are probability vectors, a generic loss on the state is the linear loss
E_t = <a_t, h_t> (as in the engine's upstream mode).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from symbptt.answers.derivatives import EPS, Derivatives
from symbptt.answers.evaluate import (
    Evaluator,
    ShapeError,
    Undefined,
    Unknown,
    component,
)
from symbptt.answers.model_numbers import TARGETS, columns, is_generic, model_head
from symbptt.answers.spellings import greek_key, name_keys
from symbptt.cells.cell import Cell, Param
from symbptt.cells.expr import Apply
from symbptt.cells.functions import FUNCTIONS, NUMERIC_STAND_IN
from symbptt.cells.heads import HEADS, Head
from symbptt.cells.numeric import _Step
from symbptt.mathtext.ast import Node, Sym, show
from symbptt.model import ENGINE_KEY, Model, Role

__all__ = ["EPS", "FUNCS", "Definitions", "World", "greek_key", "name_keys"]

#: f and f' by (name, order): the activations from the one function table (cells.functions),
#: plus the functions an answer may apply that no cell does (exp, log, and the heads' softmax)
FUNCS: dict[tuple[str, int], Callable[[np.ndarray], np.ndarray]] = {
    **{(a, 0): FUNCTIONS[a].numpy for a in FUNCTIONS if not is_generic(a)},
    **{(a, 1): FUNCTIONS[a].d_in for a in FUNCTIONS if not is_generic(a)},
    ("exp", 0): np.exp,
    ("exp", 1): np.exp,
    ("log", 0): np.log,
    ("log", 1): lambda x: 1.0 / x,
    ("softmax", 0): columns(HEADS["softmax_cross_entropy"].numpy_output),  # type: ignore[arg-type]
}


@dataclass
class Definitions:
    """Parsed `given:` and `where:` entries: name -> (index variables, body, or a random shape)."""

    given: dict[str, tuple[tuple[str, ...], Node | None, tuple[str, ...] | None]] = field(
        default_factory=dict
    )
    where: dict[str, tuple[tuple[str, ...], Node]] = field(default_factory=dict)

    def names(self) -> set[str]:
        """Every name these definitions introduce."""
        return set(self.given) | set(self.where)


class World(Derivatives):
    """One instantiation of a model with random parameters, inputs and targets (an `Env`)."""

    def __init__(
        self,
        model: Model | None,
        defs: Definitions,
        *,
        T: int = 1,
        n: int = 1,
        m: int = 1,
        k: int = 2,
        seed: int = 0,
        local_for_total: bool = False,
        exact_derivatives: bool = True,
    ) -> None:
        self.model, self.defs, self.T, self.n, self.m, self.k = model, defs, T, n, m, k
        self.exact_derivatives = exact_derivatives
        self.product_order = "increasing"  # of \\prod factors, left to right (see grammar)
        self.layout = "mixed"  # of derivatives by vectors (see `layout`)
        self.fd_used = False  # set when a derivative fell back to central differences
        self.sizes = {"n": n, "m": m, "k": k, "T": T}
        self.local_for_total = local_for_total
        self.act_keys: set[str] = set()  # the model's activation names (set by _build)
        self.numeric = False  # a numeric answer: functions are applied to plain numbers
        rng = np.random.default_rng(seed)
        self.rng = rng
        self.overlay: dict[tuple, np.ndarray] = {}
        self._cache: dict[tuple, Any] = {}
        self._fwd: dict[str, Any] | None = None
        self.names: dict[str, tuple] = {}
        self.params: dict[str, np.ndarray] = {}
        self.cell_keys: dict[str, Param] = {}  # params key -> the cell's parameter it is
        if model is not None:
            self._build(model, rng)
        self.random_given = {
            name: self._random(shape, rng)
            for name, (_, body, shape) in defs.given.items()
            if shape is not None
        }

    # ------------------------------------------------------------------ model setup

    def _build(self, model: Model, rng: np.random.Generator) -> None:
        n, m, k, T = self.n, self.m, self.k, self.T
        self.cell: Cell = model.cell_def
        self.head: Head = model_head(model)
        shapes = {Role.INPUT: (n, m), Role.RECURRENT: (n, n), Role.HIDDEN_BIAS: (n, 1),
                  Role.OUTPUT: (k, n), Role.OUTPUT_BIAS: (k, 1)}  # fmt: skip
        for role in model.roles:
            self.params[role.value] = rng.normal(0.0, 0.7, shapes[role])
            if ENGINE_KEY[role] in self.cell.param_keys:
                self.cell_keys[role.value] = self.cell.param(ENGINE_KEY[role])
            for key in name_keys(model.notation.param(role)):
                self.names[key] = ("param", role.value)
        nt = model.notation
        for name, kind in ((nt.input, "x"), (nt.state, "h"), (nt.preactivation, "net"),
                           (nt.output_preactivation, "z"), (nt.output, "yhat"), (nt.target, "y")):  # fmt: skip
            for key in name_keys(name):
                self.names.setdefault(key, ("seq", kind))
        for key in name_keys(nt.loss) | name_keys(nt.step_loss):
            self.names.setdefault(key, ("loss",))
        self.act_keys = name_keys(nt.activation)
        self.xs = rng.normal(0.0, 1.0, (T + 1, m, 1))
        self.h0 = rng.normal(0.0, 0.5, (n, 1))
        if self.head.has_output_layer:
            self.targets = self.draw_targets(rng)
        else:
            self.loss_weights = rng.normal(0.0, 1.0, (T + 1, n, 1))

    def draw_targets(self, rng: np.random.Generator) -> np.ndarray:
        """Random targets y_1..y_T (k x 1) where the head's loss is defined (`TARGETS`)."""
        draw = TARGETS.get(self.head.loss)
        shape = (self.T + 1, self.k, 1)
        return draw(rng, shape) if draw else rng.normal(0.0, 1.0, shape)

    def _random(self, dims: tuple[str, ...], rng: np.random.Generator) -> np.ndarray:
        shape = []
        for d in dims:
            if d in self.sizes:
                shape.append(self.sizes[d])
            elif d.isdigit() and 0 < int(d) <= 12:
                shape.append(int(d))
            else:
                raise ShapeError(f"unknown size {d!r} (use n, m, k or a number up to 12)")
        if len(shape) == 1:
            shape.append(1)
        return rng.normal(0.0, 1.0, tuple(shape))

    def act(self, deriv: int) -> Callable[[np.ndarray], np.ndarray]:
        """The model's activation from the function table (a generic f runs as its stand-in)."""
        fn = FUNCTIONS[self.model.activation if self.model is not None else NUMERIC_STAND_IN]
        return fn.d_in if deriv else fn.numpy

    def cell_params(self, t: int | None) -> dict[str, np.ndarray]:
        """The cell's parameters by its own keys under the overlay (with step t's copy moved)."""
        ov, out = self.overlay, {}
        for key, p in self.cell_keys.items():
            v = self.params[key] + ov.get(("param", key), 0.0)
            if t is not None:
                v = v + ov.get(("param_at", key, t), 0.0)
            out[p.key] = v if p.is_matrix else v.reshape(-1)
        return out

    # ------------------------------------------------------------------ forward

    def forward(self) -> dict[str, Any]:
        """Every model quantity for t = 0..T under the current overlay (cached until it moves)."""
        if self._fwd is None:
            assert self.model is not None
            self._fwd = self._forward(self.model)
        return self._fwd

    def _forward(self, model: Model) -> dict[str, Any]:
        ov, head = self.overlay, self.head
        (state,) = self.cell.equations  # the vanilla cell: h_t = f(net_t)
        assert isinstance(state.rhs, Apply)
        f = FUNCTIONS[state.rhs.function].numpy
        h = {0: self.h0 + ov.get(("h", 0), 0.0)}
        out: dict[str, Any] = {"h": h, "x": {}, "net": {}, "z": {}, "yhat": {}, "y": {}, "E_t": {}}
        for t in range(1, self.T + 1):
            x = self.xs[t] + ov.get(("x", t), 0.0)
            step = _Step(self.cell_params(t), x.T, {state.name: h[t - 1].T})  # W used at t
            net = step.ev(state.rhs.arg).T + ov.get(("net", t), 0.0)
            h[t] = f(net) + ov.get(("h", t), 0.0)
            out["x"][t], out["net"][t] = x, net
            if head.has_output_layer:
                e = self.head_step(out, t, h[t])
            else:
                e = float((self.loss_weights[t] * h[t]).sum())
            out["E_t"][t] = e
        out["E"] = out["E_t"][self.T] if model.loss_at == "last" else sum(out["E_t"].values())
        return out

    def head_step(self, out: dict[str, Any], t: int, h: np.ndarray,
                  kinds: tuple[str, str, str] = ("z", "yhat", "y")) -> float:  # fmt: skip
        """The head at step t (z_t = V h_t + c, yhat_t, y_t under the overlay, stored in out
        under `kinds`) and its loss E_t, from the heads table; shared by every cell's world."""
        ov, head, (kz, ky, kt) = self.overlay, self.head, kinds
        V = self.params["output"] + ov.get(("param", "output"), 0.0)
        z = (V + ov.get(("param_at", "output", t), 0.0)) @ h + ov.get((kz, t), 0.0)
        if "output_bias" in self.params:
            c = self.params["output_bias"] + ov.get(("param", "output_bias"), 0.0)
            z = z + (c + ov.get(("param_at", "output_bias", t), 0.0))
        yhat = columns(head.numpy_output)(z) + ov.get((ky, t), 0.0)  # type: ignore[arg-type]
        y = self.targets[t] + ov.get((kt, t), 0.0)
        out[kz][t], out[ky][t], out[kt][t] = z, yhat, y
        return float(head.numpy_output_loss(yhat.T, y.T).sum())  # type: ignore[misc]

    # ------------------------------------------------------------------ Env protocol

    def has(self, name: str) -> bool:
        """True if `name` (e.g. 'W_h') is a symbol of this world."""
        return name in self.defs.given or name in self.defs.where or name in self.names

    def lookup(self, name: str, idx: tuple[int, ...], ev: Evaluator) -> Any:
        """The value of name_{idx}: a `where:` or `given:` definition first, then the model."""
        for table in (self.defs.where, self.defs.given):
            if name in table:
                entry = table[name]
                vars_ = entry[0]
                if len(idx) > len(vars_):  # \\delta_{t,j} with \\delta_t defined: entry j
                    value = self.lookup(name, idx[: len(vars_)], ev)
                    return component(value, idx[len(vars_) :], f"{name}_{idx[: len(vars_)]}")
                if len(vars_) != len(idx):
                    raise ShapeError(
                        f"{name} is defined with {len(vars_)} index(es), used with {len(idx)}"
                    )
                key = ("def", name, idx)
                value = self._cache.get(key) if not self.overlay else None
                if value is None:
                    if len(entry) == 3 and entry[2] is not None:
                        value = self.random_given[name]
                    else:
                        body = entry[1]
                        if self.local_for_total and table is self.defs.where:
                            body = self.local_to_total(body)
                        value = ev.ev(body, dict(zip(vars_, idx, strict=True)))
                    if not self.overlay:
                        self._cache[key] = value
                return value + self.overlay.get(("sym", name, idx), 0.0) if not ev.exact else value
        kind = self.names.get(name)
        if kind is None:
            raise Unknown(self._unknown(name))
        if ev.exact:
            from symbptt.answers.evaluate import NotExact

            raise NotExact
        fwd = self.forward()
        if kind[0] == "param":
            value = self.params[kind[1]] + self.overlay.get(("param", kind[1]), 0.0)
            return component(value, idx, name)
        if kind[0] == "loss":
            if not idx:
                return fwd["E"]
            return self._at(fwd["E_t"], idx, name)
        if not idx:
            raise ShapeError(f"{name} needs one time index")
        return component(self._at(fwd[kind[1]], idx[:1], name), idx[1:], f"{name}_{idx[0]}")

    def _unknown(self, name: str) -> str:
        """The message for a symbol that is neither the model's nor defined (\\tau explained)."""
        if name == "\\tau":
            model = f"model {self.model.name}" if self.model is not None else "this answer"
            return (
                f"\\tau is not a symbol of {model}: its number of time steps is T (in "
                "truncated BPTT \\tau is the truncation length); write T, or define \\tau "
                "under given: or where:"
            )
        return f"unknown symbol {name} (not in the model, given or where)"

    def _at(self, table: Mapping[int, Any], idx: tuple[int, ...], name: str) -> Any:
        if len(idx) != 1:
            raise ShapeError(f"{name} needs one time index")
        if idx[0] not in table:
            raise Undefined(f"{name}_{idx[0]} does not exist for T = {self.T}")
        return table[idx[0]]

    def function(self, name: str, deriv: int) -> Callable[[np.ndarray], np.ndarray]:
        """A function by the name a student wrote (f and the model's activation name: the model's)."""
        if name in self.act_keys or name == "f":
            if self.numeric and (self.model is None or is_generic(self.model.activation)):
                raise Unknown(
                    f"{name} is a generic activation here (no model fixes it): applied to a "
                    "number it has no value; define it under given: or use a named function"
                )
            if deriv > 1:
                raise Unknown(f"{name} with {deriv} primes is not supported")
            return self.act(deriv)
        return self.named_function(name, deriv)

    def named_function(self, name: str, deriv: int) -> Callable[[np.ndarray], np.ndarray]:
        """A function every model knows by name (\\sigma, tanh, exp, log, softmax)."""
        alias = {"\\sigma": "sigmoid", "ln": "log", "\\phi": "tanh"}.get(name, name)
        fn = FUNCS.get((alias, deriv))
        if fn is None:
            raise Unknown(f"unknown function {name}{chr(39) * deriv}")
        return fn

    def spectral_matrix(self, ev: Evaluator) -> Any:
        """The matrix a bare \\lambda_i refers to: the recurrent weight (a `given` of that name
        wins), or a `given`/`where` W without a model."""
        keys = [k for k, v in self.names.items() if v == ("param", "recurrent")]
        for key in keys + ["W"]:
            if self.has(key):
                return self.lookup(key, (), ev)
        raise Unknown("\\lambda_i: eigenvalues of which matrix? write \\lambda_i(W)")

    def time_arity(self, name: str) -> int:
        """How many leading indices of `name` are time indices (the rest are components)."""
        for table in (self.defs.where, self.defs.given):
            if name in table:
                return len(table[name][0])
        kind = self.names.get(name)
        return 0 if kind is None or kind[0] == "param" else 1

    def _split(self, node: Node, ev: Evaluator, scope: dict[str, int]) -> tuple[Node, tuple]:
        """h_{t,j} -> (h_t, (j,)): a quantity and its component indices as integers."""
        if not isinstance(node, Sym) or not node.index:
            return node, ()
        if len(node.index) == 1 and isinstance(node.index[0], Sym) and not node.index[0].index:
            if self.has(f"{node.name}_{node.index[0].name}"):
                return node, ()  # W_h: a compound name
        a = self.time_arity(node.name)
        if len(node.index) <= a:
            return node, ()
        comps = tuple(ev.index(i, scope) for i in node.index[a:])
        return Sym(node.name, node.index[:a]), comps

    def quantity_at(self, num: Node, ev: Evaluator, scope: dict[str, int]) -> tuple | None:
        """(q, t) for a model quantity q_t (h_t, net_t, c_t, ...), ('loss', None) for E and
        ('loss', t) for E_t; None for the rest (inputs, parameters, `where:` names)."""
        if not isinstance(num, Sym) or len(num.index) > 1 or self.has_definition(num):
            return None
        kind = self.names.get(num.name)
        idx = tuple(ev.index(i, scope) for i in num.index)
        if kind == ("loss",):
            return ("loss", idx[0] if idx else None)
        if kind is not None and kind[0] == "seq" and kind[1] != "x" and idx:
            return (kind[1], idx[0])
        return None

    def _is_sequence(self, num: Node) -> bool:
        """True for a model vector such as h_k or s_k (not a loss, not a `where:`/`given:` name)."""
        kind = self.names.get(num.name) if isinstance(num, Sym) else None
        return kind is not None and kind[0] == "seq" and not self.has_definition(num)

    def has_definition(self, sym: Sym) -> bool:
        """True if a `given:`/`where:` entry (also a compound name such as W_h) covers sym."""
        names = {sym.name}
        if len(sym.index) == 1 and isinstance(sym.index[0], Sym) and not sym.index[0].index:
            names.add(f"{sym.name}_{sym.index[0].name}")
        return any(n in self.defs.where or n in self.defs.given for n in names)

    def _has_step_zero(self, key: str) -> bool:
        """True for a quantity that exists at t = 0 (the state: h_0 is given)."""
        return key == "h"

    def _slot(self, den: Node, ev: Evaluator, scope: dict[str, int]) -> tuple:
        if not isinstance(den, Sym):
            raise ShapeError(f"cannot differentiate with respect to {show(den)}")
        name, index = den.name, den.index
        if index and len(index) == 1 and isinstance(index[0], Sym) and not index[0].index:
            compound = f"{name}_{index[0].name}"
            if self.has(compound):
                name, index = compound, ()
        idx = tuple(ev.index(i, scope) for i in index)
        if name in self.defs.where or name in self.defs.given:
            return ("sym", name, idx)
        kind = self.names.get(name)
        if kind is None:
            raise Unknown(f"unknown symbol {name}")
        if kind[0] == "param":
            return ("param", kind[1])
        if kind[0] == "loss":
            raise ShapeError("cannot differentiate with respect to the loss")
        if len(idx) != 1:
            raise ShapeError(f"{name} needs one time index")
        t = idx[0]
        low = 0 if self._has_step_zero(kind[1]) else 1
        if not low <= t <= self.T:
            raise Undefined(f"{name}_{t} does not exist for T = {self.T}")
        return (kind[1], t)
