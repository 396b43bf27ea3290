"""Model x (T, n) -> the unrolled computation graph as SymPy matrices of scalar symbols.

The graph is a DAG of *named* intermediates: net_t, h_t (and z_t with an output layer) are
matrices of symbols, each entry defined from the previous step's symbols::

    net_t = U x_t + W h_{t-1} + b,   h_t = f(net_t),   z_t = V h_t + c,   E_t = loss(z_t, y_t)

Nothing of it is written here: net_t is the argument of the cell's one statement h = f(net)
(`Model.cell_def`, evaluated by `cells.symbolic.to_sympy`), f the functions table's closed
SymPy form, and yhat_t and E_t the heads table's (`cells.heads`, with its stand-in for a generic
loss on an output layer).

Keeping the names (instead of substituting h_{t-1} into net_t) keeps every expression small:
the fully substituted tree grows like n^T, while the DAG grows like T n^2. The substituted forms
are still available (`.net`, `.h`, `.E`, ...) and share subtrees in memory.

`generic=True` replaces the activation by an undefined function f and the loss by an undefined
per-step loss L_t of z_t (with an output layer, so every output g and loss compose into it) or
of h_t; identities proved there hold for every activation and loss.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.pycode import MpmathPrinter

from symbptt.cells.cell import Cell
from symbptt.cells.expr import Apply, Expr
from symbptt.cells.functions import FUNCTIONS, NUMERIC_STAND_IN
from symbptt.cells.heads import Head, numeric_head
from symbptt.cells.symbolic import Env, to_sympy
from symbptt.errors import InputError
from symbptt.model import ENGINE_KEY, Model, Name, Role, Sizes

__all__ = ["Unrolled", "dag_cse", "entry_latex", "unroll"]

_X = sp.Symbol("x")


def entry_latex(base: str, *index: object) -> str:
    """LaTeX for one entry: W -> W_{1,2}; W_{h} -> [W_{h}]_{1,2}."""
    sub = ",".join(str(i) for i in index)
    if "_" in base or "^" in base:
        return rf"\left[{base}\right]_{{{sub}}}"
    return f"{base}_{{{sub}}}"


@dataclass(frozen=True, eq=False)
class Unrolled:
    """The unrolled graph of `model` for T steps, n hidden units, m inputs and k outputs.

    Named intermediates (`net_sym`, `h_sym`, `z_sym`) with their `definitions` form the DAG;
    `net`, `h`, `z`, `yhat`, `step_losses` and `E` are the same quantities fully substituted
    (in terms of `inputs()` only). Lists are indexed from 0 for t = 1.
    """

    model: Model
    T: int
    n: int
    m: int
    k: int
    generic: bool
    upstream: bool
    params: dict[Role, sp.Matrix]
    xs: list[sp.Matrix]
    h0: sp.Matrix
    targets: list[sp.Matrix]
    #: a_t in the linear loss E_t = <a_t, h_t> (stand-in for a generic state loss; course notes' ds_t)
    upstream_grads: list[sp.Matrix]
    f: Any
    net_sym: list[sp.Matrix]
    h_sym: list[sp.Matrix]
    z_sym: list[sp.Matrix]
    #: net_t in terms of h_{t-1}'s symbols; h_t = f(net_t symbols); z_t in terms of h_t symbols
    net_def: list[sp.Matrix]
    h_def: list[sp.Matrix]
    z_def: list[sp.Matrix]
    #: yhat_t in terms of z_t symbols (empty without an output layer or when generic)
    yhat_def: list[sp.Matrix]
    #: E_t in terms of z_t symbols (output layer) or h_t symbols; None where no loss is taken
    loss_def: list[sp.Expr | None]
    #: the undefined per-step losses L_t when the loss is generic (None elsewhere)
    loss_functions: list[Any]
    latex: dict[sp.Symbol, str] = field(repr=False)

    # ------------------------------------------------------------------ structure
    @property
    def has_output(self) -> bool:
        """True when z_t = V h_t (+ c) is part of the graph."""
        return bool(self.z_sym)

    @property
    def loss_steps(self) -> list[int]:
        """The steps t (1-based) whose loss E_t is part of E."""
        return [t for t in range(1, self.T + 1) if self.loss_def[t - 1] is not None]

    @cached_property
    def definitions(self) -> list[tuple[sp.Symbol, sp.Expr]]:
        """Every named intermediate with its definition, in evaluation order."""
        out: list[tuple[sp.Symbol, sp.Expr]] = []
        for t in range(self.T):
            out += list(zip(self.net_sym[t], self.net_def[t], strict=True))
            out += list(zip(self.h_sym[t], self.h_def[t], strict=True))
            if self.has_output:
                out += list(zip(self.z_sym[t], self.z_def[t], strict=True))
        return out

    @cached_property
    def _fprime(self) -> tuple[sp.Dummy, sp.Expr]:
        s = sp.Dummy("s")
        return s, sp.diff(self.f(s), s)

    def fprime(self, arg: sp.Expr) -> sp.Expr:
        """f'(arg): the derivative of the activation, e.g. Derivative(f(net), net) when generic."""
        s, d = self._fprime
        return d.xreplace({s: arg}) if isinstance(arg, sp.Symbol) else d.subs(s, arg)

    def inputs(self) -> list[sp.Symbol]:
        """Every free symbol of the graph in a fixed order: parameters, xs, h0, targets, a_t."""
        out: list[sp.Symbol] = []
        for role in self.model.roles:
            if role in self.params:
                out += list(self.params[role])
        for x in self.xs:
            out += list(x)
        out += list(self.h0)
        for y in self.targets:
            out += list(y)
        for a in self.upstream_grads:
            out += list(a)
        return out

    def latex_names(self) -> dict[sp.Symbol, str]:
        """LaTeX for every symbol in the model's notation, for `sympy.latex(symbol_names=...)`."""
        return dict(self.latex)

    # ------------------------------------------------------------------ substituted forms
    @cached_property
    def _substitution(self) -> dict[sp.Symbol, sp.Expr]:
        sub: dict[sp.Symbol, sp.Expr] = {}
        for s, d in self.definitions:
            sub[s] = d.xreplace(sub)
        return sub

    def substitute(self, expr: Any) -> Any:
        """expr with every named intermediate replaced by its full expression (no derivatives)."""
        return expr.xreplace(self._substitution)

    def to_named(self, expr: Any) -> Any:
        """The inverse of `substitute`: full subexpressions back to named symbols, Subs resolved.

        Turns `sympy.diff` of the substituted E (f'(...) as Subs objects) into the named atoms
        the structured forms use, so the two can be compared exactly.
        """
        for s, d in self.definitions:
            expr = expr.xreplace({d: s})
        return expr.doit() if expr.has(sp.Subs) else expr

    @cached_property
    def net(self) -> list[sp.Matrix]:
        """net_t fully substituted."""
        return [self.substitute(m) for m in self.net_sym]

    @cached_property
    def h(self) -> list[sp.Matrix]:
        """h_t fully substituted."""
        return [self.substitute(m) for m in self.h_sym]

    @cached_property
    def z(self) -> list[sp.Matrix]:
        """z_t fully substituted (empty without an output layer)."""
        return [self.substitute(m) for m in self.z_sym]

    @cached_property
    def yhat(self) -> list[sp.Matrix]:
        """yhat_t fully substituted (empty without an output layer or when generic)."""
        return [self.substitute(m) for m in self.yhat_def]

    @cached_property
    def step_losses(self) -> list[sp.Expr]:
        """E_1..E_T fully substituted (0 for a step whose loss is not taken)."""
        return [sp.S.Zero if e is None else self.substitute(e) for e in self.loss_def]

    @property
    def E_named(self) -> sp.Expr:
        """The total loss on the named graph (in terms of z_t or h_t symbols)."""
        return sp.Add(*[e for e in self.loss_def if e is not None])

    @cached_property
    def E(self) -> sp.Expr:
        """The total loss: the sum of the step losses taken."""
        return sp.Add(*self.step_losses)

    # ------------------------------------------------------------------ numbers
    def values(
        self,
        params: Mapping[Role, np.ndarray],
        xs: np.ndarray,
        h0: np.ndarray,
        targets: np.ndarray | None = None,
        upstream: np.ndarray | None = None,
    ) -> list[float]:
        """Numbers for `inputs()` in order, from arrays shaped like the engine's (time first)."""
        out: list[float] = []
        for role in self.model.roles:
            if role in self.params:
                out += [float(v) for v in np.asarray(params[role], dtype=float).reshape(-1)]
        out += [float(v) for v in np.asarray(xs, dtype=float).reshape(-1)]
        out += [float(v) for v in np.asarray(h0, dtype=float).reshape(-1)]
        if self.targets:
            out += [float(v) for v in np.asarray(targets, dtype=float).reshape(-1)]
        if self.upstream_grads:
            out += [float(v) for v in np.asarray(upstream, dtype=float).reshape(-1)]
        return out

    def lambdify(
        self, exprs: Sequence[sp.Expr], *, modules: str | list[Any] = "numpy"
    ) -> Callable[..., Any]:
        """A function of `inputs()` (positional) returning exprs, with common subexpressions shared.

        The named intermediates become assignments in evaluation order, and every subexpression
        the outputs share becomes one more (a cse that walks the DAG: SymPy's own cse and
        lambdify walk trees, which grow like n^T here). Symbols get safe identifiers.
        """
        names = {s: sp.Symbol(f"_v{i}") for i, s in enumerate(self.inputs())}
        inter = {s: sp.Symbol(f"_n{i}") for i, (s, _) in enumerate(self.definitions)}
        ren: dict[Any, Any] = {**names, **inter}
        temps, reduced = dag_cse([sp.sympify(e) for e in exprs], ren)
        needed: set[sp.Symbol] = set()
        for e in [*reduced, *(d for _, d in temps)]:
            needed |= e.free_symbols
        keep: list[tuple[sp.Symbol, sp.Expr]] = []
        for s, d in reversed(self.definitions):
            if inter[s] in needed:
                dd = d.xreplace(ren)
                keep.append((inter[s], dd))
                needed |= dd.free_symbols
        keep.reverse()
        cses = keep + temps
        printer_class = MpmathPrinter if modules == "mpmath" else NumPyPrinter
        printer = printer_class(
            {
                "fully_qualified_modules": False,
                "inline": True,
                "allow_unknown_functions": True,
                "user_functions": {},
                "order": "none",  # sorting terms for display is most of the printing time
            }
        )
        return sp.lambdify(
            list(names.values()),
            reduced,
            modules=modules,
            printer=printer,
            cse=lambda _: (cses, reduced),
        )


def dag_cse(
    exprs: Sequence[sp.Expr], rename: Mapping[Any, Any] | None = None
) -> tuple[list[tuple[sp.Symbol, sp.Expr]], list[sp.Expr]]:
    """Common subexpressions of exprs found on the DAG (each shared node visited once).

    Returns (assignments in evaluation order, reduced exprs) like `sympy.cse`; atoms are renamed
    by `rename` on the way.
    """
    rename = rename or {}
    count: dict[sp.Basic, int] = {}
    order: list[sp.Basic] = []
    stack: list[tuple[sp.Basic, bool]] = [(e, False) for e in reversed(exprs)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node.is_Atom or not node.args:
            continue
        count[node] = count.get(node, 0) + 1
        if count[node] > 1:
            continue
        stack.append((node, True))
        stack.extend((a, False) for a in reversed(node.args))
    new: dict[sp.Basic, sp.Basic] = {}
    temps: list[tuple[sp.Symbol, sp.Expr]] = []
    for node in order:
        args = [new.get(a, rename.get(a, a)) for a in node.args]
        if node.is_Add or node.is_Mul or node.is_Pow:
            built = node.func(*args, evaluate=False)  # already canonical; skip flattening
        else:
            built = node.func(*args)
        if count[node] > 1 and not built.is_Atom:
            sym = sp.Symbol(f"_c{len(temps)}")
            temps.append((sym, built))
            built = sym
        new[node] = built
    return temps, [new.get(e, rename.get(e, e)) for e in exprs]


# ---------------------------------------------------------------------- construction


class _Names:
    """Creates symbols with unique names and records their LaTeX."""

    def __init__(self) -> None:
        self.latex: dict[sp.Symbol, str] = {}
        self.owner: dict[str, str] = {}

    def symbol(self, name: str, latex: str, what: str) -> sp.Symbol:
        if name in self.owner:
            raise InputError(
                f"the notation gives the name {name!r} to both {self.owner[name]} and {what}; "
                "rename one of them in the derivation file"
            )
        self.owner[name] = what
        s = sp.Symbol(name)
        self.latex[s] = latex
        return s

    def matrix(self, base: Name, shape: tuple[int, ...], what: str) -> sp.Matrix:
        rows, cols = (shape[0], shape[1]) if len(shape) == 2 else (shape[0], 1)
        if len(shape) == 2:
            return sp.Matrix(
                rows,
                cols,
                lambda i, j: self.symbol(
                    f"{base.ascii}[{i + 1},{j + 1}]", entry_latex(base.latex, i + 1, j + 1), what
                ),
            )
        return sp.Matrix(
            rows,
            1,
            lambda i, _: self.symbol(
                f"{base.ascii}[{i + 1}]", entry_latex(base.latex, i + 1), what
            ),
        )

    def vector(self, base: Name, t: int, size: int, what: str) -> sp.Matrix:
        def tex(i: int) -> str:  # h_{2,1}, or [\bar{y}_{2}]_{1} when the name has a subscript
            if "_" in base.latex or "^" in base.latex:
                return entry_latex(f"{base.latex}_{{{t}}}", i)
            return f"{base.latex}_{{{t},{i}}}"

        return sp.Matrix(
            size, 1, lambda i, _: self.symbol(f"{base.ascii}_{t}[{i + 1}]", tex(i + 1), what)
        )


def _vanilla_step(model: Model) -> tuple[str, Expr]:
    """The cell's one statement h_t = f(net_t): the function's name and net_t as IR."""
    cell: Cell = model.cell_def
    eqs = cell.equations
    if cell.states != ("h",) or len(eqs) != 1 or not isinstance(eqs[0].rhs, Apply):
        raise InputError(
            f"model {model.name!r}: cell {cell.name!r} is not h_t = f(net_t); the vanilla "
            "graph cannot unroll it (symbptt.cells.symbolic.unroll unrolls any cell)"
        )
    rhs = eqs[0].rhs
    return rhs.function, rhs.arg


def _activation(name: str) -> Any:
    """f as a SymPy callable from the functions table (a generic f: the numeric stand-in)."""
    fn = FUNCTIONS[NUMERIC_STAND_IN if name == "generic" else name]
    return sp.Lambda(_X, fn.sympy_closed(_X))


def unroll(
    model: Model,
    T: int,
    n: int,
    m: int | None = None,
    k: int | None = None,
    *,
    generic: bool = False,
    upstream: bool = False,
) -> Unrolled:
    """The unrolled graph of `model` for T steps and n hidden units (m, k default to the model's).

    generic: an undefined activation f and an undefined per-step loss L_t (for exact proofs).
    Otherwise the model's activation and loss, with the numeric stand-ins for generic ones
    (activation -> tanh; a loss of the state -> E_t = <a_t, h_t>; of an output -> squared error).
    upstream: drop the output layer and use E_t = <a_t, h_t> (the course notes' rnn_backward).
    """
    for key, value, lo in (("T", T, 1), ("n", n, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < lo:
            raise InputError(f"{key} must be a whole number >= {lo}; found {value!r}")
    function_name, net_ir = _vanilla_step(model)
    # the head's table entry (a generic loss on an output layer: its numeric stand-in)
    head: Head = numeric_head(model.output, model.loss)
    m = model.sizes.m if m is None else m
    has_output = head.has_output_layer and not upstream
    k = (model.sizes.k if k is None else k) if has_output else 0
    if m < 1 or (has_output and k < 1):
        raise InputError(f"m and k must be >= 1; found m={m}, k={k}")
    nt = model.notation
    names = _Names()

    params: dict[Role, sp.Matrix] = {}
    sizes = Sizes(T=T, n=n, m=m, k=max(k, 1))
    for role in model.roles:
        if role in (Role.OUTPUT, Role.OUTPUT_BIAS) and not has_output:
            continue
        params[role] = names.matrix(
            nt.param(role), model.shape(role, sizes), f"the {role.value} parameter"
        )
    # the cell reads its parameters by its own keys (U, W, b), the graph keeps them by role
    by_key = {ENGINE_KEY[r]: P for r, P in params.items()}
    V, c = params.get(Role.OUTPUT), params.get(Role.OUTPUT_BIAS)

    f: Any = sp.Function(nt.activation.ascii) if generic else _activation(function_name)

    xs = [names.vector(nt.input, t, m, "the input") for t in range(1, T + 1)]
    h0 = names.vector(nt.state, 0, n, "the state")
    every = model.loss_at == "every"
    taken = [every or t == T for t in range(1, T + 1)]

    # without an output layer a loss of the state runs as the linear stand-in <a_t, h_t>
    state_loss_linear = not generic and not has_output
    targets: list[sp.Matrix] = []
    if has_output and not generic:
        targets = [names.vector(nt.target, t, k, "the target") for t in range(1, T + 1)]
    a_name = Name(f"d{nt.state.ascii}", rf"\mathrm{{d}}{nt.state.latex}")
    upstream_grads = (
        [names.vector(a_name, t, n, "the upstream gradient") for t in range(1, T + 1)]
        if state_loss_linear
        else []
    )

    net_sym, h_sym, z_sym = [], [], []
    net_def, h_def, z_def, yhat_def = [], [], [], []
    loss_def: list[sp.Expr | None] = []
    loss_functions: list[Any] = []
    h_prev = h0
    for t in range(1, T + 1):
        net_t = names.vector(nt.preactivation, t, n, "the pre-activation")
        h_t = names.vector(nt.state, t, n, "the state")
        env = Env(by_key, xs[t - 1], {"h": h_prev}, {}, {}, {})
        net_sym.append(net_t)
        net_def.append(to_sympy(net_ir, env))
        h_sym.append(h_t)
        h_def.append(net_t.applyfunc(f))
        L_t = None
        if has_output:
            z_t = names.vector(nt.output_preactivation, t, k, "the output pre-activation")
            zd = V * h_t
            if c is not None:
                zd = zd + c
            z_sym.append(z_t)
            z_def.append(zd)
            if generic:
                L_t = sp.Function(f"{nt.step_loss.ascii}_{t}")
                e_t = L_t(*z_t)
            else:
                yh = sp.Matrix(head.sympy_output(list(z_t)))  # type: ignore[misc]
                yhat_def.append(yh)
                e_t = head.sympy_step_loss(list(z_t), list(yh), list(targets[t - 1]))  # type: ignore[misc]
        elif generic:
            L_t = sp.Function(f"{nt.step_loss.ascii}_{t}")
            e_t = L_t(*h_t)
        else:
            e_t = (upstream_grads[t - 1].T * h_t)[0, 0]
        loss_def.append(e_t if taken[t - 1] else None)
        loss_functions.append(L_t if taken[t - 1] else None)
        h_prev = h_t

    return Unrolled(
        model=model,
        T=T,
        n=n,
        m=m,
        k=k,
        generic=generic,
        upstream=upstream,
        params=params,
        xs=xs,
        h0=h0,
        targets=targets,
        upstream_grads=upstream_grads,
        f=f,
        net_sym=net_sym,
        h_sym=h_sym,
        z_sym=z_sym,
        net_def=net_def,
        h_def=h_def,
        z_def=z_def,
        yhat_def=yhat_def,
        loss_def=loss_def,
        loss_functions=loss_functions,
        latex=names.latex,
    )
