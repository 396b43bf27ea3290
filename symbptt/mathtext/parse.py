"""Student LaTeX -> our AST (`symbptt.mathtext.ast`), through the lark grammar only.

Never eval/exec/sympify: lark's tree is walked by hand and turned into frozen nodes. Decisions
LaTeX leaves open (functions or products, transposes or powers, derivatives or quotients) are
made in `parse_forms`: `^T`/`^\\top`/`^\\intercal` and a prime on a non-function are
transposes; f, g, \\sigma, \\phi followed by a parenthesis are functions; a prime on a function is
its derivative; \\frac{\\partial A}{\\partial B} is a derivative, any other \\frac a quotient.
"""

from __future__ import annotations

import re
from fractions import Fraction

from lark import Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

from symbptt.mathtext.ast import (
    Abs,
    Add,
    Apply,
    Big,
    Chain,
    Div,
    Hop,
    Matrix,
    Mul,
    Neg,
    Node,
    Norm,
    Num,
    Pow,
    Sub,
    Sym,
    Transpose,
)
from symbptt.mathtext.grammar import normalise, parser
from symbptt.mathtext.limits import check_text
from symbptt.mathtext.parse_forms import (
    ALWAYS_FUNCTIONS,
    LETTER_FUNCTIONS,
    SPECTRAL,
    FuncRef,
    Group,
    ParseError,
    Partial,
    finish,
    frac,
    is_function_name,
    subscript,
    sup,
)

__all__ = [
    "ALWAYS_FUNCTIONS",
    "LETTER_FUNCTIONS",
    "SPECTRAL",
    "ParseError",
    "parse_index_pattern",
    "parse_latex",
]

#: Relations of a chain by their normalised spelling (\\lt is <); =, \\equiv are '='; \\approx is
#: kept (the judge reads it as '=' whose right side is rounded, integers too).
_REL_NAME = {"\\le": "\\le", "\\ge": "\\ge", "<": "<", ">": ">", "\\lt": "<", "\\gt": ">",
             "\\approx": "\\approx"}  # fmt: skip
_HOP = {"\\odot": "\\odot", "\\circ": "\\odot", "\\otimes": "\\otimes"}


def parse_latex(text: str) -> Node:
    """Parse one answer (an expression or an `&=` chain); ParseError says what and where."""
    check_text(text)
    src = normalise(text)
    if not src:
        raise ParseError("empty answer")
    try:
        tree = parser().parse(src)
    except UnexpectedCharacters as exc:
        snippet = src[exc.pos_in_stream : exc.pos_in_stream + 12]
        cmd = re.match(r"\\[A-Za-z]+", snippet)
        what = f"the command {cmd.group(0)} is not supported" if cmd else f"unexpected {snippet!r}"
        fix = ""
        if cmd and cmd.group(0)[1:] in ALWAYS_FUNCTIONS:  # \diag, \softmax: not LaTeX commands
            fix = f"; write \\operatorname{{{cmd.group(0)[1:]}}}"
        raise ParseError(f"cannot parse: {what} (column {exc.column}){fix}") from None
    except UnexpectedToken as exc:
        tok = exc.token
        where = f"column {tok.column}" if getattr(tok, "column", None) else "the end"
        raise ParseError(f"cannot parse: unexpected {str(tok) or 'end'!r} at {where}") from None
    except UnexpectedEOF:
        raise ParseError("cannot parse: the answer ends too early") from None
    except LarkError as exc:  # pragma: no cover - any other lark failure
        raise ParseError(f"cannot parse: {exc}") from None
    parts = [_node(c) for c in tree.children if isinstance(c, Tree) and c.data != "sep"]
    nodes = [finish(p) for p in parts]
    rels = tuple(_REL_NAME.get(str(c), "=") for c in tree.children if isinstance(c, Token))
    if any(r != "=" for r in rels):
        return Chain(tuple(nodes), rels)
    return nodes[0] if len(nodes) == 1 else Chain(tuple(nodes))


def parse_index_pattern(text: str) -> tuple[str, tuple[str, ...]]:
    """A `where:` key such as '\\delta_{t,k}' -> ('\\delta', ('t', 'k')): a name and index variables."""
    node = parse_latex(text)
    time: tuple[Node, ...] = ()
    if isinstance(node, Pow) and isinstance(node.base, Sym):  # \delta^t_j: time t, component j
        node, time = node.base, (node.exp,)
    idx = time + node.index if isinstance(node, Sym) else ()
    if isinstance(node, Sym) and all(isinstance(i, Sym) and not i.index for i in idx):
        return node.name, tuple(i.name for i in idx)  # type: ignore[union-attr]
    raise ParseError(f"{text!r} is not a name with index variables such as \\delta_{{t,k}}")


# --------------------------------------------------------------------------- tree -> node


def _node(t: Tree | Token):
    """Lark tree -> AST node or a temporary wrapper (Group, Partial, FuncRef)."""
    if isinstance(t, Token):
        raise ParseError(f"cannot parse near {str(t)!r}")
    kind = t.data
    kids = t.children
    if kind in ("number",):
        return _number(str(kids[0]))
    if kind == "letter":
        return Sym(str(kids[0]))
    if kind == "greek":
        return Sym(str(kids[0]))
    if kind == "func":
        return Sym(str(kids[0])[1:])
    if kind == "named":
        inner = re.search(r"\{\s*([A-Za-z]+)\s*\}", str(kids[0]))
        return Sym(inner.group(1))  # type: ignore[union-attr]
    if kind == "top":
        return Sym("\\top")
    if kind == "nabla":
        return Sym("\\nabla")
    if kind == "accent":
        return Sym(f"{kids[0]}{{{kids[1]}}}")
    if kind in ("suparg", "subarg", "group"):
        items = [_node(k) for k in kids]
        return items[0] if kind != "group" else Group(finish(items[0]))
    if kind == "tuple":
        return Group(tuple(finish(_node(k)) for k in kids))
    if kind == "add":
        return Add(finish(_node(kids[0])), finish(_node(kids[1])))
    if kind == "sub":
        return Sub(finish(_node(kids[0])), finish(_node(kids[1])))
    if kind == "neg":
        return Neg(finish(_node(kids[0])))
    if kind == "hop":
        return Hop(_HOP[str(kids[1])], finish(_node(kids[0])), finish(_node(kids[2])))
    if kind == "mul":
        return ("mul", [_node(k) for k in kids if isinstance(k, Tree)])
    if kind == "partial":
        return Partial(finish(_node(kids[1])))
    if kind == "prime":
        base = _node(kids[0])
        if isinstance(base, Sym) and is_function_name(base.name) and not base.index:
            return FuncRef(base.name, 1)
        if isinstance(base, FuncRef):
            return FuncRef(base.name, base.deriv + 1)
        return Transpose(finish(base))
    if kind == "sup":
        return sup(_node(kids[0]), _node(kids[1]))
    if kind == "subscript":
        return subscript(
            _node(kids[0]),
            [finish(_node(k)) for k in kids[1].children]
            if isinstance(kids[1], Tree) and kids[1].data == "subarg"
            else [finish(_node(kids[1]))],
        )
    if kind in ("sqrt", "root"):  # \\sqrt{x} = x^{1/2}, \\sqrt[n]{x} = x^{1/n}
        n = finish(_node(kids[1])) if kind == "root" else Num(Fraction(2), "2")
        return Pow(finish(_node(kids[-1])), Div(Num(Fraction(1), "1"), n))
    if kind == "frac":
        return frac(_node(kids[1]), _node(kids[2]))
    if kind == "matrix":
        rows = []
        for r in kids[1].children:
            if isinstance(r, Tree) and r.data == "row":
                rows.append(tuple(finish(_node(c)) for c in r.children if isinstance(c, Tree)))
        if len({len(r) for r in rows}) != 1:
            raise ParseError("matrix rows have different lengths")
        return Matrix(tuple(rows))
    if kind == "bigvar":
        return str(kids[0])
    if kind == "bigop_range":  # \sum_t, \sum_{t}: over the model's time range 1..T
        body = finish(_node(kids[2]))
        return Big(str(kids[0])[1:], _node(kids[1]), Num(Fraction(1), "1"), Sym("T"), body, True)
    if kind == "slash":  # 9/10, (a+b)/2: a quotient
        return Div(finish(_node(kids[0])), finish(_node(kids[1])))
    if kind == "norm":
        return Norm(finish(_node(kids[1])))
    if kind == "abs":
        return Abs(finish(_node(kids[1])))
    if kind == "infty":
        return Sym("\\infty")
    if kind == "subextreme":  # \\sigma_{\\max}: a name with the index \\max
        base = _node(kids[0])
        which = "\\max" if "max" in str(kids[1]) else "\\min"
        if not isinstance(base, Sym) or base.index:
            raise ParseError(f"_{{{which}}} must follow a name such as \\sigma or \\lambda")
        return Sym(base.name, (Sym(which),))
    if kind in ("extreme", "extreme_range"):  # \\max_i x_i, \\max_{i=1}^{n} x_i
        op = str(kids[0])[1:]
        if kind == "extreme":
            var = _node(kids[1])
            if not isinstance(var, Sym) or var.index or len(var.name) != 1:
                raise ParseError(
                    f"\\{op}_{{...}} takes one index letter (\\{op}_i or \\{op}_{{i=1}}^{{n}})"
                )
            body = finish(_node(kids[2]))
            return Big(op, var.name, Num(Fraction(1), "1"), Sym("\\infty"), body)
        lo, hi, body = kids[2], kids[3], kids[4]
        return Big(op, str(kids[1]), finish(_node(lo)), finish(_node(hi)), finish(_node(body)))
    if kind == "extreme_between":  # \\max_{1 \\le i < n}: from lo to hi, strict ends moved by one
        op, lo, rel1, var, rel2, hi, body = str(kids[0])[1:], *kids[1:]
        if {str(rel1), str(rel2)} - {"\\le", "<", "\\lt"}:
            raise ParseError(f"\\{op}_{{lo \\le {var} \\le hi}} takes \\le or < only")
        one = Num(Fraction(1), "1")
        low, high = finish(_node(lo)), finish(_node(hi))
        low = low if str(rel1) == "\\le" else Add(low, one)
        high = high if str(rel2) == "\\le" else Sub(high, one)
        return Big(op, str(var), low, high, finish(_node(body)))
    if kind == "maxof":  # \\max(a, b)
        return Apply(str(kids[0])[1:], 0, tuple(finish(_node(k)) for k in kids[1:]))
    if kind in ("bigop", "bigop_swapped"):
        op = str(kids[0])[1:]
        if kind == "bigop":
            var, lo, hi, body = kids[1], kids[2], kids[3], kids[4]
        else:
            hi, var, lo, body = kids[1], kids[2], kids[3], kids[4]
        return Big(op, _node(var), finish(_node(lo)), finish(_node(hi)), finish(_node(body)))
    raise ParseError(f"unsupported construct {kind}")


def _number(text: str) -> Num | Mul:
    sci = re.match(
        r"^(\d+(?:\.\d*)?|\.\d+)\s*(?:\\times\s*10\s*\^\s*\{?\s*([+-]?)\s*(\d+)\s*\}?|[eE]([+-]?\d+))$",
        text,
    )
    mant, exp = text, 0
    if sci:
        mant = sci.group(1)
        if sci.group(3) is not None:
            exp = int(sci.group(3)) * (-1 if sci.group(2) == "-" else 1)
        elif sci.group(4) is not None:
            exp = int(sci.group(4))
    if len(mant) > 40:
        raise ParseError(f"number {text!r} is too long (limit: 40 digits)")
    if abs(exp) > 400:  # 2.11 x 10^{-45757490561}: the mantissa as written times an exact power
        power = Num(Fraction(abs(exp)), str(abs(exp)))
        return Mul(_number(mant), Pow(Num(Fraction(10), "10"), power if exp > 0 else Neg(power)))
    value = Fraction(mant) * Fraction(10) ** exp
    if "." not in mant and exp == 0 and not sci:
        return Num(value, text)
    digits = mant.replace(".", "").lstrip("0") or "0"
    decimals = len(mant.split(".")[1]) if "." in mant else 0
    return Num(value, text, max(len(digits), 1), Fraction(10) ** (exp - decimals))
