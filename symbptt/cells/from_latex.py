r"""A cell stated as LaTeX equations in a derivation file, read into the cell IR.

    cell:
      states: [h]
      equations:
        - 'z_t = \sigma(W_z h_{t-1} + U_z x_t + b_z)'
        - '\tilde{h}_t = \tanh(W h_{t-1} + U x_t + b)'
        - 'h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde{h}_t'

Each equation goes through our own LaTeX grammar (`symbptt.mathtext.parse`, lark; never eval
or sympify) and is then mapped onto the IR: a symbol indexed by the time letter (z_t, h^{(t)}) is
a quantity of the step, one indexed by t-1 a state at t-1, the input letter at t is x_t, and any
symbol without a time index is a parameter, its shape inferred from use (it multiplies x_t:
n x m; another vector: n x n; added or multiplied entry by entry: a vector of n) unless stated.
Every error names the file, line, equation and symbol.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from symbptt.cells.cell import Cell, Equation, Param
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
)
from symbptt.cells.functions import FUNCTIONS
from symbptt.errors import InputError
from symbptt.mathtext import ast as A
from symbptt.mathtext.parse import ParseError, parse_latex

__all__ = ["FUNCTION_NAMES", "CellSource", "cell_from_latex", "key_of"]

#: How a written function name maps onto the table of functions (`functions.FUNCTIONS`).
FUNCTION_NAMES: Mapping[str, str] = {
    r"\sigma": "sigmoid",
    "sigma": "sigmoid",
    "tanh": "tanh",
    r"\tanh": "tanh",
    "relu": "relu",
    "ReLU": "relu",
    "Relu": "relu",
    "f": "generic",
}
_ACCENTS = {"tilde": "tilde", "hat": "hat", "bar": "bar", "mathbf": "", "boldsymbol": ""}


@dataclass(frozen=True)
class CellSource:
    """One equation's text and where it stands (file:line) for error messages."""

    text: str
    where: str


def key_of(latex_name: str) -> str:
    r"""An identifier for a written name: \tilde{h} -> h_tilde, \alpha -> alpha, W_{xh} -> W_xh."""
    name = latex_name
    for accent, word in _ACCENTS.items():
        name = re.sub(
            rf"\\{accent}\{{(.+?)\}}", lambda m, w=word: m.group(1) + (f"_{w}" if w else ""), name
        )
    name = re.sub(r"\\([A-Za-z]+)", r"\1", name)
    name = re.sub(r"[^A-Za-z0-9_]", "", name)
    return name or "q"


def _index_text(node: A.Node) -> str:
    """The letters of a parameter's subscript: W_{xh} -> 'xh', W_z -> 'z', W_1 -> '1'."""
    if isinstance(node, A.Sym):
        return key_of(node.name) + "".join(_index_text(i) for i in node.index)
    if isinstance(node, A.Num):
        return node.text
    if isinstance(node, A.Mul):
        return _index_text(node.a) + _index_text(node.b)
    raise _Bad(f"a subscript {_show(node)} that is not letters or digits")


class _Bad(Exception):
    """A problem in one equation; the caller adds file, line and equation."""


def _show(node: A.Node) -> str:
    if isinstance(node, A.Sym):
        if not node.index:
            return node.name
        return f"{node.name}_{{{','.join(_show(i) for i in node.index)}}}"
    if isinstance(node, A.Num):
        return node.text
    if isinstance(node, A.Sub):
        return f"{_show(node.a)}-{_show(node.b)}"
    if isinstance(node, A.Add):
        return f"{_show(node.a)}+{_show(node.b)}"
    if isinstance(node, A.Pow):
        return f"{_show(node.base)}^{{{_show(node.exp)}}}"
    if isinstance(node, A.Mul):
        return f"{_show(node.a)} {_show(node.b)}"
    return type(node).__name__


class _Reader:
    """Maps one equation's answer-AST onto IR nodes, collecting parameter uses for shapes."""

    def __init__(self, time: str, input_letter: str, functions: Mapping[str, str]) -> None:
        self.time = time
        self.input = input_letter
        self.functions = functions
        self.uses: dict[str, set[str]] = {}  # parameter key -> {"n", "m", "vector"}
        self.latex: dict[str, str] = {}  # key -> the name as written
        self.refs: list[tuple[str, int]] = []  # (quantity key, 0 for t or -1 for t-1)
        self.at = ""  # the equation being read (file:line), for parameters' first uses
        self.text = ""  # ... and its text, quoted when a parameter's uses conflict
        self.param_at: dict[str, str] = {}
        self.use_at: dict[str, dict[str, tuple[str, str]]] = {}  # key -> use -> (where, text)

    # -- time indices
    def _offset(self, node: A.Node) -> int | None:
        """0 for the time letter t, -1 for t - 1; None when the index is not a time."""
        if isinstance(node, A.Sym) and node.name == self.time and not node.index:
            return 0
        if (
            isinstance(node, A.Sub)
            and isinstance(node.a, A.Sym)
            and node.a.name == self.time
            and isinstance(node.b, A.Num)
            and node.b.value == 1
        ):
            return -1
        if (
            isinstance(node, A.Sub | A.Add)
            and isinstance(node.a, A.Sym)
            and node.a.name == self.time
        ):
            raise _Bad(
                f"time index {_show(node)}: a step sees only t and t-1 (the cell is one step)"
            )
        return None

    def timed(self, node: A.Node) -> tuple[str, int] | None:
        """(written name, offset) for x_t, h_{t-1}, a^{(t)}, \\mathbf{h}_t; None otherwise."""
        if isinstance(node, A.Sym) and len(node.index) == 1:
            off = self._offset(node.index[0])
            return None if off is None else (node.name, off)
        if isinstance(node, A.Entry) and isinstance(node.base, A.Sym) and len(node.comps) == 1:
            off = self._offset(node.comps[0])
            return None if off is None else (node.base.name, off)
        if isinstance(node, A.Pow) and isinstance(node.base, A.Sym) and not node.base.index:
            off = self._offset(node.exp)
            return None if off is None else (node.base.name, off)
        return None

    def param_key(self, node: A.Node) -> str | None:
        """The key of a parameter symbol (no time index), or None when node is not one."""
        if isinstance(node, A.Sym) and self.timed(node) is None:
            base = key_of(node.name)
            key = base + ("_" + "".join(_index_text(i) for i in node.index) if node.index else "")
            if node.name in self.functions or node.name in FUNCTION_NAMES:
                return None
            written = node.name + (
                "_{" + "".join(_index_text(i) for i in node.index) + "}" if node.index else ""
            )
            self.latex.setdefault(key, written)
            return key
        return None

    def _use(self, key: str, how: str) -> None:
        self.uses.setdefault(key, set()).add(how)
        self.param_at.setdefault(key, self.at)
        self.use_at.setdefault(key, {}).setdefault(how, (self.at, self.text))

    # -- expressions
    def expr(self, node: A.Node) -> Expr:
        t = self.timed(node)
        if t is not None:
            name, off = t
            if name == self.input:
                if off != 0:
                    raise _Bad(f"{_show(node)}: the input is read at step t only")
                return Input()
            key = key_of(name)
            self.latex.setdefault(key, name)
            self.refs.append((key, off))
            return Prev(key) if off == -1 else Ref(key)
        pkey = self.param_key(node)
        if pkey is not None:
            self._use(pkey, "vector")
            return ParamRef(pkey)
        if isinstance(node, A.Add):
            return Add((*self._terms(node.a), *self._terms(node.b)))
        if isinstance(node, A.Sub):
            if isinstance(node.a, A.Num) and node.a.value == 1:
                return OneMinus(self.expr(node.b))
            return Add((*self._terms(node.a), Neg(self.expr(node.b))))
        if isinstance(node, A.Neg):
            return Neg(self.expr(node.a))
        if isinstance(node, A.Hop):
            if node.op not in (r"\odot", r"\circ"):
                raise _Bad(f"the operator {node.op} (use \\odot for an entrywise product)")
            return Hadamard(self.expr(node.a), self.expr(node.b))
        if isinstance(node, A.Apply):
            return self._apply(node.name, node.deriv, node.args)
        if isinstance(node, A.Mul):
            if (
                isinstance(node.a, A.Sym)
                and not node.a.index
                and (node.a.name in self.functions or node.a.name in FUNCTION_NAMES)
            ):  # \operatorname{ReLU}(x) arrives as a product
                return self._apply(node.a.name, 0, (node.b,))
            if isinstance(node.a, A.Num):
                raise _Bad(f"the number {node.a.text} (only the 1 of 1 - z may appear)")
            if (
                isinstance(node.a, A.Sym)
                and not node.a.index
                and len(node.a.name) > 1
                and node.a.name.isalpha()
            ):  # \mathrm{softplus}(...) arrives as a product of a many-letter name
                self._apply(node.a.name, 0, (node.b,))
            pkey = self.param_key(node.a)
            if pkey is None:
                raise _Bad(
                    f"the product {_show(node)}: only a parameter matrix may multiply a vector "
                    "(write \\odot for an entrywise product)"
                )
            vec = self.expr(node.b)
            self._use(pkey, "m" if isinstance(vec, Input) else "n")
            return MatMul(ParamRef(pkey), vec)
        if isinstance(node, A.Num):
            raise _Bad(f"the number {node.text} (only the 1 of 1 - z may appear)")
        if isinstance(node, A.Sym):
            raise _Bad(f"the symbol {_show(node)} has an index that is not the time")
        raise _Bad(f"{type(node).__name__} {_show(node)} is not allowed in a cell's equations")

    def _terms(self, node: A.Node) -> tuple[Expr, ...]:
        e = self.expr(node)
        return e.terms if isinstance(e, Add) else (e,)

    def _apply(self, name: str, deriv: int, args: tuple[A.Node, ...]) -> Expr:
        if deriv:
            raise _Bad(f"a derivative {name}' in a cell's equations")
        fn = self.functions.get(name, FUNCTION_NAMES.get(name))
        if fn is None or fn not in FUNCTIONS:
            known = ", ".join(sorted({*FUNCTION_NAMES, *self.functions}))
            raise _Bad(f"unknown function {name} (known: {known}; or map it under 'functions')")
        if len(args) != 1:
            raise _Bad(f"{name} takes one argument, found {len(args)}")
        return Apply(fn, self.expr(args[0]))


def _shape(
    key: str, uses: set[str], where: str, at: Mapping[str, tuple[str, str]] | None = None
) -> tuple[str, ...]:
    """The shape a parameter's use implies; InputError at the equation whose use conflicts with
    the first one (`at`: use -> (file:line, equation text) of its first occurrence)."""
    if len(uses) > 1:
        kinds = {"n": "multiplies a state", "m": "multiplies the input", "vector": "is a vector"}
        what = " and ".join(kinds[u] for u in sorted(uses))
        if at and all(u in at for u in uses):
            first, *later = sorted(uses, key=lambda u: list(at).index(u))
            place, text = at[later[0]]
            before = "" if place == at[first][0] else f" at {at[first][0]} ('{at[first][1]}')"
            raise InputError(
                f"parameter {key}: used in two shapes ({what}): in equation '{text}' it "
                f"{kinds[later[0]]}, but{before} it {kinds[first]}",
                where=place,
            )
        raise InputError(f"parameter {key}: used in two shapes ({what})", where=where)
    (use,) = uses
    return {"n": ("n", "n"), "m": ("n", "m"), "vector": ("n",)}[use]


def cell_from_latex(
    name: str,
    equations: Sequence[CellSource],
    states: Sequence[str],
    *,
    time: str = "t",
    input_letter: str = "x",
    shapes: Mapping[str, tuple[str, ...]] | None = None,
    functions: Mapping[str, str] | None = None,
    where: str = "",
    description: str = "",
    where_states: str = "",
    where_shapes: str = "",
) -> Cell:
    """The Cell that `equations` state; InputError naming the file, line, equation and symbol."""
    fns = dict(functions or {})
    for written, fn in fns.items():
        if fn not in FUNCTIONS:
            raise InputError(
                f"functions: {written} -> {fn!r}; expected one of {', '.join(FUNCTIONS)}",
                where=where,
            )
    reader = _Reader(time, input_letter, fns)
    eqs: list[Equation] = []
    lines: dict[str, str] = {}
    first_use: dict[str, str] = {}
    parsed = [(src, *_left_side(src, reader, time, input_letter)) for src in equations]
    all_lhs = {key for _, _, key, _ in parsed}
    for src, tree, key, written in parsed:
        reader.latex.setdefault(key, written)
        if key in lines:
            raise InputError(
                f"equation '{src.text}': {written} is defined twice (first at {lines[key]})",
                where=src.where,
            )
        reader.refs = []
        reader.at, reader.text = src.where, src.text
        try:
            rhs = reader.expr(tree.parts[1])
        except _Bad as exc:
            raise InputError(f"equation '{src.text}': {exc}", where=src.where) from None
        for ref, off in reader.refs:
            first_use.setdefault(ref, src.where)
            if off == 0 and ref not in lines:
                later = ref in all_lhs
                if ref == key:
                    raise InputError(
                        f"equation '{src.text}': {written} at step {time} is defined by itself "
                        f"(a cycle within one step; did you mean {written} at {time}-1?)",
                        where=src.where,
                    )
                raise InputError(
                    f"equation '{src.text}': {reader.latex.get(ref, ref)}_{time} is "
                    + ("defined only later: a cycle within one step, or equations out of order"
                       if later else "not defined (no equation gives it, and it is not the input)"),
                    where=src.where,
                )  # fmt: skip
        lines[key] = src.where
        eqs.append(Equation(key, rhs))
    state_keys = [key_of(s) for s in states]
    for s, k in zip(states, state_keys, strict=True):
        if k not in lines:
            raise InputError(
                f"state {s} is never updated (no equation defines {s}_{time})",
                where=where_states or where,
            )
    for ref, off in [(r, o) for r, o in _all_refs(eqs)]:
        if off == -1 and ref not in state_keys:
            raise InputError(
                f"{reader.latex.get(ref, ref)}_{{{time}-1}} is used, but {reader.latex.get(ref, ref)} "
                f"is not a state (states: {', '.join(states)}); add it to 'states'",
                where=first_use.get(ref, where),
            )
    params: list[Param] = []
    stated = dict(shapes or {})
    for key, uses in reader.uses.items():
        inferred = _shape(key, uses, reader.param_at.get(key, where), reader.use_at.get(key))
        if key in stated and tuple(stated[key]) != inferred:
            raise InputError(
                f"parameter {reader.latex.get(key, key)}: stated shape ({', '.join(stated[key])}) "
                f"but its use needs ({', '.join(inferred)})",
                where=reader.param_at.get(key, where),
            )
        params.append(Param(key, inferred))
    for key in stated:
        if key not in reader.uses:
            raise InputError(
                f"parameter {key}: a shape is stated but no equation uses it",
                where=where_shapes or where,
            )
    try:
        return Cell(
            name,
            tuple(params),
            tuple(state_keys),
            tuple(eqs),
            description=description or f"{len(eqs)} equations stated in the derivation file",
            latex=tuple(sorted(reader.latex.items())),
        )
    except InputError as exc:
        m = re.search(r"equation '([^']+)'", exc.message)
        at = lines.get(m.group(1), where) if m else where
        raise InputError(exc.message, where=at) from None


def _left_side(
    src: CellSource, reader: _Reader, time: str, input_letter: str
) -> tuple[A.Chain, str, str]:
    """(parse tree, quantity key, name as written) of one equation; InputError if malformed."""
    try:
        tree = parse_latex(src.text)
    except ParseError as exc:
        raise InputError(f"equation '{src.text}': cannot read it: {exc}", where=src.where) from None
    if not isinstance(tree, A.Chain) or len(tree.parts) != 2 or tree.rels:
        raise InputError(
            f"equation '{src.text}': expected one 'quantity_t = expression'", where=src.where
        )
    try:
        lhs = reader.timed(tree.parts[0])
    except _Bad as exc:
        raise InputError(f"equation '{src.text}': {exc}", where=src.where) from None
    if lhs is None or lhs[1] != 0:
        raise InputError(
            f"equation '{src.text}': the left side must be a quantity at step {time}, such "
            f"as h_{time} or h^{{({time})}}",
            where=src.where,
        )
    if lhs[0] == input_letter:
        raise InputError(f"equation '{src.text}': {input_letter} is the input", where=src.where)
    return tree, key_of(lhs[0]), lhs[0]


def _all_refs(eqs: Sequence[Equation]) -> list[tuple[str, int]]:
    from symbptt.cells.expr import walk

    out = []
    for e in eqs:
        for node in walk(e.rhs):
            if isinstance(node, Prev):
                out.append((node.state, -1))
    return out
