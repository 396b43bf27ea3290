"""Reading an answer's fields: `given:` and `where:` definitions, the `for:` range, the model's
delta when the answer uses it undefined; all parsed by the answer grammar, never evaluated."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from symbptt.answers.evaluate import compound_key
from symbptt.answers.notation import letter_run, resolve
from symbptt.answers.truth import Definitions, greek_key
from symbptt.mathtext.ast import Deriv, Node, Sym, walk
from symbptt.mathtext.grammar import GREEK
from symbptt.mathtext.parse import ParseError, parse_index_pattern, parse_latex
from symbptt.model import Model

if TYPE_CHECKING:
    from symbptt.answers.judge import AnswerSpec


_RANDOM = re.compile(r"^\s*\\in\s*\\mathbb\s*\{?\s*R\s*\}?\s*(?:\^\s*\{?(.*?)\}?)?\s*$")
_REL = re.compile(r"(\\leq?|\\geq?|\\lt|\\gt|\\neq|<|>|=)")


def parse_field(text: str, what: str) -> Node:
    """One field of an answer file parsed; a ParseError names the field."""
    try:
        return parse_latex(text)
    except ParseError as exc:
        raise ParseError(f"{what}: {exc}") from None


def read_definitions(spec: AnswerSpec) -> Definitions:
    """The answer's `given:` (bodies or random shapes) and `where:` entries, parsed."""
    defs = Definitions()
    for key, value in spec.given.items():
        name, vars_ = _pattern(key, "given")
        m = _RANDOM.match(str(value))
        if m:
            dims = tuple(d.strip() for d in re.split(r"\\times|,", m.group(1) or "1") if d.strip())
            defs.given[name] = (vars_, None, dims)
        else:
            body = parse_field(str(value), f"given {key!r}")
            name, vars_ = _label_name(name, vars_, body)
            defs.given[name] = (vars_, body, None)
    for key, value in spec.where.items():
        name, vars_ = _pattern(key, "where")
        body = parse_field(str(value), f"where {key!r}")
        name, vars_ = _label_name(name, vars_, body)
        defs.where[name] = (vars_, body)
    return defs


def _label_name(name: str, vars_: tuple[str, ...], body: Node) -> tuple[str, tuple[str, ...]]:
    """\\beta_W := \\|W\\| or \\beta_f := 1/4 is one name (a label, not an index variable): the
    subscript is not a lowercase letter, or the body never mentions it."""
    if len(vars_) != 1:
        return name, vars_
    var = vars_[0]
    used = any(isinstance(n, Sym) and n.name == var for n in walk(body))
    lower = var.islower() and (len(var) == 1 or var[1:] in GREEK)  # t, k, or \\tau
    if not lower or not used:
        return f"{name}_{var}", ()
    return name, vars_


def model_delta(defs: Definitions, model: Model | None, parts: list[Node]) -> None:
    """The model's printed delta (derive's delta_t, in its convention) when the answer uses it
    without defining it: net dE/dnet_t, step_state dL_t/dh_t, per_step delta_{t,k} = dE_t/dnet_k.
    Built from the model's Notation (our own strings), in place."""
    if model is None or model.is_gated:  # a gated cell's deltas are defined under where:
        return
    nt = model.notation
    try:
        name = parse_latex(nt.delta.latex)
        loss, step, pre, state = (
            parse_latex(n.latex) for n in (nt.loss, nt.step_loss, nt.preactivation, nt.state)
        )
    except ParseError:  # a notation the answer grammar cannot spell: nothing to add
        return
    if not isinstance(name, Sym) or name.index or name.name in defs.names():
        return
    if not any(isinstance(n, Sym) and n.name == name.name for p in parts for n in walk(p)):
        return
    if not all(isinstance(s, Sym) and not s.index for s in (loss, step, pre, state)):
        return
    t, k = Sym("t"), Sym("k")
    body = {
        "net": (("t",), Deriv(loss, Sym(pre.name, (t,)))),  # type: ignore[union-attr]
        "step_state": (("t",), Deriv(Sym(step.name, (t,)), Sym(state.name, (t,)))),  # type: ignore[union-attr]
        "per_step": (("t", "k"), Deriv(Sym(step.name, (t,)), Sym(pre.name, (k,)))),  # type: ignore[union-attr]
    }.get(model.delta)
    if body is not None:
        defs.where[name.name] = body


def resolve_definitions(defs: Definitions, arity: dict[str, int]) -> None:
    """Read time superscripts in `given:`/`where:` bodies (in place)."""
    for name, (vars_, body, shape) in list(defs.given.items()):
        defs.given[name] = (vars_, resolve(body, arity) if body is not None else None, shape)
    for name, (vars_, body) in list(defs.where.items()):
        defs.where[name] = (vars_, resolve(body, arity))


def _pattern(key: str, what: str) -> tuple[str, tuple[str, ...]]:
    try:
        return parse_index_pattern(greek_key(str(key)))
    except ParseError as exc:
        node = parse_field(greek_key(str(key)), f"{what} key")
        letters = letter_run(node.index[0]) if isinstance(node, Sym) and node.index else None
        if letters and len(node.index) == 1 and len(letters) > 1:  # type: ignore[union-attr]
            return f"{node.name}_{''.join(letters)}", ()  # type: ignore[union-attr]  # W_{hh}
        one = isinstance(node, Sym) and len(node.index) == 1
        key = compound_key(node.index[0]) if one else None  # type: ignore[union-attr]
        if key is not None:  # \\beta_{W_{hh}}: one name
            return f"{node.name}_{key}", ()  # type: ignore[union-attr]
        raise ParseError(f"{what} key {key!r}: {exc}") from None


def read_constraints(text: str | None) -> list[tuple[Node, str, Node]]:
    """The `for:` range as (left, relation, right) triples: '1 \\le k < t' gives two."""
    if not text:
        return []
    chains = [c for c in re.split(r",|;|\\text\{\s*and\s*\}", text) if c.strip()]
    if len(chains) > 1 and all(_REL.search(c) for c in chains):  # 'T = 3, n = 2'
        return [c for chain in chains for c in read_constraints(chain)]
    pieces = _REL.split(text)
    if len(pieces) < 3:
        raise ParseError(f"for: {text!r} is not a range such as '1 \\le k < t \\le T'")
    exprs = [parse_field(p, "for") for p in pieces[0::2]]
    ops = [o.replace("\\leq", "\\le").replace("\\geq", "\\ge") for o in pieces[1::2]]
    return [(exprs[i], ops[i], exprs[i + 1]) for i in range(len(ops))]
