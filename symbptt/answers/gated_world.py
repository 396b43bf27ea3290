"""True values for a gated model (LSTM, GRU, a user's cell): a `World` run by the cell's statement.

The forward pass interprets the cell's own equations (`cells.numeric`'s step over the IR), never
hand-typed LSTM formulas. Derivatives of the loss by parameters and quantities are exact from
`cells.numeric.backward` (the total adjoints); every other derivative is by central differences.

The meaning of d between states of consecutive steps of a multi-state cell (dC_t/dC_{t-1}) is the
cell's PARTIAL derivative: only the read of C_{t-1} at step t moves, h_{t-1} is held fixed
(= diag(f_t), as LSTM texts mean it). Across several steps, the default is the total derivative
(every path), except that a right-hand side written as a \\prod is judged as the direct path
(the product of the step partials along that one state). `derivative: total|partial` in an answer
file chooses explicitly (see `gated_meaning`).

A one-state cell (GRU) has no other state to hold, so its step partial is the total: d h_t /
d h_{t-1} is read as the total, and `derivative: partial` reads it as the direct term (only the
state's own equation's read of h_{t-1} moves, the gates held fixed: diag(z_t)), as `symbptt
derive` prints it.

A model with an output head (`output`/`loss` set, z_t = V h_t + c) runs the head as the vanilla
world does (`World.head_step`); its names, the bare c of the head beside the LSTM's c_t, and the
exact gradients through the heads table's dE_t/dz_t are `gated_head`'s.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symbptt.answers.evaluate import Evaluator, NotExact, Undefined, Unknown, to_float
from symbptt.answers.gated_head import HEAD_KINDS, add_head, head_values
from symbptt.answers.model_numbers import model_head
from symbptt.answers.truth import Definitions, World, name_keys
from symbptt.cells.cell import Cell
from symbptt.cells.numeric import _Step, backward
from symbptt.cells.numeric import forward as cell_forward
from symbptt.mathtext.ast import Node, Sym, show
from symbptt.model import Model

__all__ = ["MEANINGS", "GatedWorld", "gated_relabel", "has_product", "make_world", "set_meaning"]

#: Values of an answer's `derivative:` key; "default" is the rule in the module docstring.
MEANINGS = ("default", "partial", "total")
_TENSOR = (
    "d{num}/d{den} is a vector by a matrix, a 3-D tensor; this checker has no tensor "
    "contraction: not judged"
)


def make_world(model: Model | None, defs: Definitions, **kw: Any) -> World:
    """The `World` of a model: a `GatedWorld` for a gated or user cell, else the vanilla one."""
    if model is not None and model.is_gated:
        return GatedWorld(model, defs, **kw)
    return World(model, defs, **kw)


def display_keys(cell: Cell, q: str) -> set[str]:
    """The spellings of a cell quantity: its key (Ctilde) and its LaTeX name (\\tilde{C})."""
    keys = {q}
    for key, latex in cell.latex:
        if key == q:
            keys |= {latex, latex.replace("{", "").replace("}", "") if "_" in latex else latex}
    return keys


class GatedWorld(World):
    """One random instance of a gated model: the cell's parameters, x_1..x_T, s_0, and either
    L_t = <a_t, h_t> or the model's head (V, c, targets y_t; `gated_head`)."""

    meaning = "default"  # an answer's `derivative:` (see MEANINGS)
    direct_products = False  # set by the judge when the right-hand side has a \\prod
    freeze: tuple[str, ...] = ()  # states whose next-step reads ignore perturbations (slips)

    def _build(self, model: Model, rng: np.random.Generator) -> None:
        cell = self.cell = model.cell_def
        self.head = model_head(model)
        self.bare_params: dict[str, str] = {}  # a head letter the cell also uses (c, c_t)
        n, m, T = self.n, self.m, self.T
        for p in cell.params:
            shape = p.size(n, m) if p.is_matrix else (n, 1)
            self.params[p.key] = rng.normal(0.0, 0.7, shape)
            self.cell_keys[p.key] = p
            self.names[p.key] = ("param", p.key)  # W_{f} and b_{hn} read back as compounds
        for q in cell.quantities:
            for key in display_keys(cell, q):
                self.names.setdefault(key, ("seq", q))
        nt = model.notation
        for key in name_keys(nt.input):
            self.names.setdefault(key, ("seq", "x"))
        for key in name_keys(nt.loss) | name_keys(nt.step_loss):
            self.names.setdefault(key, ("loss",))
        self.act_keys = set()
        self.xs = rng.normal(0.0, 1.0, (T + 1, m, 1))
        self.s0 = {s: rng.normal(0.0, 0.5, (n, 1)) for s in cell.states}
        if self.head.has_output_layer:
            add_head(self, rng)
        else:
            self.loss_weights = rng.normal(0.0, 1.0, (T + 1, n, 1))

    def instance_values(self) -> dict[str, Any]:
        """The random point by the names a student writes (a counterexample's values)."""
        model, cell = self.model, self.cell
        assert model is not None
        values: dict[str, Any] = {"cell": cell.name}
        values |= {k: v for k, v in self.params.items() if k in self.cell_keys}
        values |= {f"{s}_0": v for s, v in self.s0.items()}
        values |= {f"x_{t}": self.xs[t] for t in range(1, self.T + 1)}
        steps = [self.T] if model.loss_at == "last" else list(range(1, self.T + 1))
        if self.head.has_output_layer:
            values |= {"V": self.params["output"], "c": self.params["output_bias"]}
            nt = model.notation
            E, z = nt.step_loss.ascii, nt.output_preactivation.ascii
            values["loss"] = (f"{E}_t = {self.head.loss} of {self.head.output}({z}_t), "
                              f"{z}_t = V {cell.readout}_t + c")  # fmt: skip
            values |= {f"y_{t}": self.targets[t] for t in steps}
            return values
        values["loss"] = f"L_t = a_t^T {cell.readout}_t"
        values |= {f"a_{t}": self.loss_weights[t] for t in steps}
        return values

    # ------------------------------------------------------------------ forward

    def _forward(self, model: Model) -> dict[str, Any]:
        """Every cell quantity for t = 1..T (states also at 0) under the current overlay."""
        cell, ov = self.cell, self.overlay
        out: dict[str, Any] = {q: {} for q in cell.quantities}
        out |= {"x": {}, "E_t": {}} | {kind: {} for kind in HEAD_KINDS}
        for s in cell.states:
            out[s][0] = self.s0[s] + ov.get((s, 0), 0.0)
        for t in range(1, self.T + 1):
            x = self.xs[t] + ov.get(("x", t), 0.0)
            base = self._base() if self.freeze and ov else out
            prev = {
                s: ((base if s in self.freeze else out)[s][t - 1] + ov.get(("prev", s, t), 0.0)).T
                for s in cell.states
            }
            step = _Step(self.cell_params(t), x.T, prev)
            for eq in cell.equations:
                at = step
                if ("own", eq.name, t) in ov:  # only this equation's read of its state moves
                    own = dict(step.prev)
                    own[eq.name] = own[eq.name] + ov[("own", eq.name, t)].T
                    at = _Step(step.params, step.x, own)
                    at.q = step.q
                v = at.ev(eq.rhs) + ov.get((eq.name, t), np.zeros((1, 1))).T
                step.q[eq.name] = v
                out[eq.name][t] = v.T
            out["x"][t] = x
            if self.head.has_output_layer:
                out["E_t"][t] = self.head_step(out, t, out[cell.readout][t], HEAD_KINDS)
            else:
                out["E_t"][t] = float((self.loss_weights[t] * out[cell.readout][t]).sum())
        last = model.loss_at == "last"
        out["E"] = out["E_t"][self.T] if last else sum(out["E_t"].values())
        return out

    def _base(self) -> dict[str, Any]:
        """The forward pass without any perturbation (the frozen states' values)."""
        if getattr(self, "_base_fwd", None) is None:
            saved, saved_fwd = self.overlay, self._fwd
            self.overlay, self._fwd = {}, None
            try:
                self._base_fwd = self.forward()
            finally:
                self.overlay, self._fwd = saved, saved_fwd
        return self._base_fwd

    # ------------------------------------------------------------------ Env protocol

    def function(self, name: str, deriv: int) -> Any:
        """\\sigma is the logistic sigmoid and tanh is tanh in every gated cell."""
        return self.named_function(name, deriv)

    def is_matrix(self, key: str) -> bool:
        """True for a weight matrix of the cell or the head's V (not a bias)."""
        if key in ("output", "output_bias"):
            return key == "output"
        return self.cell.param(key).is_matrix

    def _bare(self, name: str, idx: tuple) -> str | None:
        """The head's parameter a bare letter names (c without an index, where c_t is the cell's
        state), or None."""
        role = self.bare_params.get(name)
        defined = name in self.defs.where or name in self.defs.given
        return role if role is not None and not idx and not defined else None

    def lookup(self, name: str, idx: tuple[int, ...], ev: Evaluator) -> Any:
        """A bare head letter (c) is the head's parameter; everything else as in `World`."""
        role = self._bare(name, idx)
        if role is None:
            return super().lookup(name, idx, ev)
        if ev.exact:
            raise NotExact
        return self.params[role] + self.overlay.get(("param", role), 0.0)

    def _slot(self, den: Node, ev: Evaluator, scope: dict[str, int]) -> tuple:
        """d/dc for a bare head letter is by the head's parameter; else as in `World`."""
        if isinstance(den, Sym):
            role = self._bare(den.name, den.index)
            if role is not None:
                return ("param", role)
        return super()._slot(den, ev, scope)

    def _has_step_zero(self, key: str) -> bool:
        """Every state of the cell exists at t = 0 (h_0, c_0 are given); gates start at 1."""
        return key in self.cell.states

    def reading(self, what: tuple | None, key: tuple) -> str:
        """How d what / d key is read here: 'total', 'partial' (one step) or 'direct' (a chain)."""
        states = self.cell.states
        if what is None or what[0] == "loss":
            return "total"
        if key[0] == "param":  # the copy of the parameter used at step t (dC_t/db_f)
            return "total" if self.meaning == "total" else "partial"
        if key[0] not in states:
            return "total"
        q, t = what
        if len(states) < 2:
            one_step = q == key[0] and key[1] == t - 1 and self.meaning == "partial"
            return "direct term" if one_step else "total"
        if key[1] == t - 1:
            return "total" if self.meaning == "total" else "partial"
        if key[1] < t - 1 and q == key[0]:
            if self.meaning == "partial" or (self.meaning == "default" and self.direct_products):
                return "direct"
        return "total"

    def derivative(self, num: Node, den: Node, ev: Evaluator, scope: dict[str, int]) -> Any:
        """d num / d den: exact for the loss, else central differences, in the module's meaning."""
        if ev.exact:
            raise NotExact
        (num, num_c), (den, den_c) = self._split(num, ev, scope), self._split(den, ev, scope)
        if num_c or den_c:
            return self._entry_of(self.derivative(num, den, ev, scope), num, num_c, den, den_c,
                                  ev, scope)  # fmt: skip
        key = self._slot(den, ev, scope)
        what = self.quantity_at(num, ev, scope)
        if key[0] == "param" and self.is_matrix(key[1]) and self._is_sequence(num):
            raise Unknown(_TENSOR.format(num=show(num), den=show(den)))
        shape = to_float(ev.ev(den, scope)).shape
        how = self.reading(what, key)
        if how == "direct":
            return self.direct_path(what[0], key[1], what[1])  # type: ignore[index]
        if how == "partial" and key[0] == "param":
            if not 1 <= what[1] <= self.T:  # type: ignore[index]
                raise Undefined(f"{show(num)} does not exist for T = {self.T}")
            return self._central(num, ("param_at", key[1], what[1]), shape, den, ev, scope)  # type: ignore[index]
        if how == "partial":
            return self._central(num, ("prev", key[0], key[1] + 1), shape, den, ev, scope)
        if how == "direct term":
            return self._central(num, ("own", key[0], key[1] + 1), shape, den, ev, scope)
        exact = self.exact_derivatives and not self.overlay and not self.freeze
        if exact and what is not None and what[0] == "loss":
            value = self.exact_loss(what[1], key)
            if value is not None:
                return value
        return self._central(num, key, shape, den, ev, scope)

    # ------------------------------------------------------------------ exact and direct paths

    def exact_loss(self, t: int | None, key: tuple) -> np.ndarray | None:
        """dL/d(key) (or dL_t/d(key)) from the cell's backward pass; None where it gives none."""
        cell, T = self.cell, self.T
        if key[0] == "sym":  # a `where:`/`given:` name: central differences
            return None
        if t is not None and not 1 <= t <= T:
            raise Undefined(f"L_{t} does not exist for T = {T}")
        if self.head.has_output_layer:
            return self._exact_head(t, key)
        a = self.loss_weights[1:, :, 0][:, None, :].copy()  # (T, 1, n)
        if t is not None:
            a[np.arange(T) != t - 1] = 0.0
        elif self.model is not None and self.model.loss_at == "last":
            a[:-1] = 0.0
        xs = self.xs[1:, :, 0][:, None, :]
        s0 = {s: v.T for s, v in self.s0.items()}
        trace = cell_forward(cell, self.cell_params(None), xs, s0)
        return self._from_grads(backward(cell, trace, {cell.readout: a}), key)

    def _exact_head(self, t: int | None, key: tuple) -> np.ndarray | None:
        """dE/d(key) (or dE_t/d(key)) through the model's head (`gated_head.head_values`)."""
        mask = np.ones(self.T)
        if t is not None:
            mask[np.arange(self.T) != t - 1] = 0.0
        elif self.model is not None and self.model.loss_at == "last":
            mask[:-1] = 0.0
        g = head_values(self, key, mask)
        return g if g is None or isinstance(g, np.ndarray) else self._from_grads(g, key)

    def _from_grads(self, g: Any, key: tuple) -> np.ndarray | None:
        """The slot `key` of the cell's backward pass (parameters, inputs, states, quantities)."""
        if key[0] == "param":
            return g.params[key[1]].reshape(self.params[key[1]].shape)
        if key[0] == "x":
            return g.xs[key[1] - 1].T
        q, j = key
        if j == 0:
            return g.states0[q].T if q in g.states0 else None
        return g.deltas[q][j - 1].T if q in g.deltas else None

    def direct_path(self, s: str, k: int, t: int) -> np.ndarray:
        """ds_t/ds_k along s alone: J_t ... J_{k+1}, each J_i = ds_i/ds_{i-1} (one step's
        partial, the other states' reads held fixed)."""
        if not 0 <= k <= t <= self.T:
            raise Undefined(f"{s}_{t} by {s}_{k} does not exist for T = {self.T}")
        out = np.eye(self.n)
        for i in range(k + 1, t + 1):
            out = self.step_jacobian(s, i, s) @ out
        return out

    def step_jacobian(self, q: str, t: int, s: str) -> np.ndarray:
        """dq_t/ds_{t-1} with only step t's read of s_{t-1} moved (central differences)."""
        return np.hstack(
            self.differences(("prev", s, t), (self.n, 1), lambda: self.forward()[q][t])
        )


def has_product(parts: list[Node]) -> bool:
    """True if a right-hand side writes a \\prod (judged as the direct path, see the docstring)."""
    from symbptt.mathtext.ast import Big, walk

    return any(isinstance(n, Big) and n.op == "prod" for p in parts for n in walk(p))


def set_meaning(world: World, ctx: Any) -> None:
    """Carry an answer's `derivative:` key and its \\prod reading into a gated world."""
    if isinstance(world, GatedWorld):
        world.meaning = getattr(ctx, "meaning", "default")
        world.direct_products = getattr(ctx, "direct_products", False)
        world.freeze = getattr(ctx, "freeze", ())


def gated_relabel(parts: list[Node], defs: Definitions, where: Any, model: Model) -> list[Node]:
    """\\delta^C_t in the answer and its `where:` keys read as labelled names (`gated_labels`)."""
    from symbptt.answers.gated_labels import labelled_where, relabel

    world = GatedWorld(model, Definitions())
    labels = {k for k, v in world.names.items() if v[0] == "seq" and v[1] != "x"}
    labelled_where(where, defs, labels, world.names)
    return [relabel(p, labels, world.names) for p in parts]
