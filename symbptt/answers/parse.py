"""Student LaTeX -> our AST (`symbptt.answers.ast`), through the lark grammar only.

Never eval/exec/sympify: lark's tree is walked by hand and turned into frozen nodes. Decisions
LaTeX leaves open are made here: `^T`/`^\\top`/`^\\intercal` and a prime on a non-function are
transposes; f, g, \\sigma, \\phi followed by a parenthesis are functions; a prime on a function is
its derivative; \\frac{\\partial A}{\\partial B} is a derivative, any other \\frac a quotient.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from lark import Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

from symbptt.answers.ast import (
    Abs,
    Add,
    Apply,
    Big,
    Chain,
    Deriv,
    Div,
    Entries,
    Entry,
    Hop,
    Matrix,
    Mul,
    Nabla,
    Neg,
    Node,
    Norm,
    Num,
    Pow,
    Sub,
    Sym,
    Transpose,
    show,
    walk,
)
from symbptt.answers.grammar import normalise, parser
from symbptt.answers.limits import check_text

#: Names that are functions wherever they appear (applied to the next factor).
ALWAYS_FUNCTIONS = {
    "tanh",
    "exp",
    "log",
    "ln",
    "sinh",
    "cosh",
    "diag",
    "softmax",
    "sigmoid",
    "relu",
}
#: Names that are functions only when followed by a parenthesis or a prime.
LETTER_FUNCTIONS = {"f", "g", "\\sigma", "\\phi", "\\varphi"}
#: Relations of a chain by their normalised spelling (\\lt is <); =, \\equiv are '='; \\approx is
#: kept (the judge reads it as '=' whose right side is rounded, integers too).
_REL_NAME = {"\\le": "\\le", "\\ge": "\\ge", "<": "<", ">": ">", "\\lt": "<", "\\gt": ">",
             "\\approx": "\\approx"}  # fmt: skip
#: Spectral functions: \\rho(A), \\sigma_{\\max}(A), \\lambda_i(A), ... (see `norms`).
SPECTRAL = {"\\rho", "\\sigma", "\\lambda"}
_NORM_P = {"1": "1", "2": "2", "F": "F", "\\infty": "inf"}
_HOP = {"\\odot": "\\odot", "\\circ": "\\odot", "\\otimes": "\\otimes"}


class ParseError(Exception):
    """Student text that is not in the supported LaTeX subset (becomes an `undecided` verdict)."""


@dataclass(frozen=True)
class _Group:
    """A parenthesised expression (kept until function application is decided)."""

    inner: Node | tuple[Node, ...]


@dataclass(frozen=True)
class _Partial:
    inner: Node


@dataclass(frozen=True)
class _FuncRef:
    name: str
    deriv: int


@dataclass(frozen=True)
class _FuncPow:
    """\\tanh^2, \\sigma^{2}, f'^2: a function raised to a power before its argument, read as
    (f(x))^2 (the elementwise power of the value, never f composed with itself)."""

    fn: _FuncRef
    exp: Node


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
    nodes = [_finish(p) for p in parts]
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
    """Lark tree -> AST node or a temporary wrapper (_Group, _Partial, _FuncRef)."""
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
        return items[0] if kind != "group" else _Group(_finish(items[0]))
    if kind == "tuple":
        return _Group(tuple(_finish(_node(k)) for k in kids))
    if kind == "add":
        return Add(_finish(_node(kids[0])), _finish(_node(kids[1])))
    if kind == "sub":
        return Sub(_finish(_node(kids[0])), _finish(_node(kids[1])))
    if kind == "neg":
        return Neg(_finish(_node(kids[0])))
    if kind == "hop":
        return Hop(_HOP[str(kids[1])], _finish(_node(kids[0])), _finish(_node(kids[2])))
    if kind == "mul":
        return ("mul", [_node(k) for k in kids if isinstance(k, Tree)])
    if kind == "partial":
        return _Partial(_finish(_node(kids[1])))
    if kind == "prime":
        base = _node(kids[0])
        if isinstance(base, Sym) and _is_function_name(base.name) and not base.index:
            return _FuncRef(base.name, 1)
        if isinstance(base, _FuncRef):
            return _FuncRef(base.name, base.deriv + 1)
        return Transpose(_finish(base))
    if kind == "sup":
        return _sup(_node(kids[0]), _node(kids[1]))
    if kind == "subscript":
        return _subscript(
            _node(kids[0]),
            [_finish(_node(k)) for k in kids[1].children]
            if isinstance(kids[1], Tree) and kids[1].data == "subarg"
            else [_finish(_node(kids[1]))],
        )
    if kind in ("sqrt", "root"):  # \\sqrt{x} = x^{1/2}, \\sqrt[n]{x} = x^{1/n}
        n = _finish(_node(kids[1])) if kind == "root" else Num(Fraction(2), "2")
        return Pow(_finish(_node(kids[-1])), Div(Num(Fraction(1), "1"), n))
    if kind == "frac":
        return _frac(_node(kids[1]), _node(kids[2]))
    if kind == "matrix":
        rows = []
        for r in kids[1].children:
            if isinstance(r, Tree) and r.data == "row":
                rows.append(tuple(_finish(_node(c)) for c in r.children if isinstance(c, Tree)))
        if len({len(r) for r in rows}) != 1:
            raise ParseError("matrix rows have different lengths")
        return Matrix(tuple(rows))
    if kind == "bigvar":
        return str(kids[0])
    if kind == "bigop_range":  # \sum_t, \sum_{t}: over the model's time range 1..T
        body = _finish(_node(kids[2]))
        return Big(str(kids[0])[1:], _node(kids[1]), Num(Fraction(1), "1"), Sym("T"), body, True)
    if kind == "slash":  # 9/10, (a+b)/2: a quotient
        return Div(_finish(_node(kids[0])), _finish(_node(kids[1])))
    if kind == "norm":
        return Norm(_finish(_node(kids[1])))
    if kind == "abs":
        return Abs(_finish(_node(kids[1])))
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
            body = _finish(_node(kids[2]))
            return Big(op, var.name, Num(Fraction(1), "1"), Sym("\\infty"), body)
        lo, hi, body = kids[2], kids[3], kids[4]
        return Big(op, str(kids[1]), _finish(_node(lo)), _finish(_node(hi)), _finish(_node(body)))
    if kind == "extreme_between":  # \\max_{1 \\le i < n}: from lo to hi, strict ends moved by one
        op, lo, rel1, var, rel2, hi, body = str(kids[0])[1:], *kids[1:]
        if {str(rel1), str(rel2)} - {"\\le", "<", "\\lt"}:
            raise ParseError(f"\\{op}_{{lo \\le {var} \\le hi}} takes \\le or < only")
        one = Num(Fraction(1), "1")
        low, high = _finish(_node(lo)), _finish(_node(hi))
        low = low if str(rel1) == "\\le" else Add(low, one)
        high = high if str(rel2) == "\\le" else Sub(high, one)
        return Big(op, str(var), low, high, _finish(_node(body)))
    if kind == "maxof":  # \\max(a, b)
        return Apply(str(kids[0])[1:], 0, tuple(_finish(_node(k)) for k in kids[1:]))
    if kind in ("bigop", "bigop_swapped"):
        op = str(kids[0])[1:]
        if kind == "bigop":
            var, lo, hi, body = kids[1], kids[2], kids[3], kids[4]
        else:
            hi, var, lo, body = kids[1], kids[2], kids[3], kids[4]
        return Big(op, _node(var), _finish(_node(lo)), _finish(_node(hi)), _finish(_node(body)))
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


def _is_function_name(name: str) -> bool:
    return name in ALWAYS_FUNCTIONS or name in LETTER_FUNCTIONS


@dataclass(frozen=True)
class _GroupPost:
    """A parenthesised group with a power or transpose after it: diag(a, b)^{30}, f(x)^2."""

    group: _Group
    arg: object


def _sup(base, arg):
    if isinstance(base, _Group):
        return _GroupPost(base, arg)
    if isinstance(base, _FuncRef) or (
        isinstance(base, Sym) and not base.index and base.name in ALWAYS_FUNCTIONS
    ):
        fn = base if isinstance(base, _FuncRef) else _FuncRef(base.name, 0)
        return _FuncPow(fn, _func_power(fn, _finish(arg.inner if isinstance(arg, _Group) else arg)))
    items = _flatten(arg) if isinstance(arg, tuple) else []
    last = items[-1] if len(items) > 1 and isinstance(items[-1], Sym) else None
    transposed = last is not None and not last.index and last.name in ("\\top", "T")
    if transposed and (last.name == "\\top" or isinstance(items[0], _Group)):
        # h^{(t)\\top}, h^{(t-1)T}: a time superscript, then a transpose
        rest = items[0] if len(items) == 2 else ("mul", items[:-1])
        return Transpose(_finish(_sup(base, rest)))
    b = _finish(base)
    if isinstance(arg, Sym) and not arg.index and arg.name in ("T", "\\top"):
        return Transpose(b)
    if isinstance(arg, _Group):
        arg = arg.inner
    if isinstance(arg, Sym) and arg.name == "\\top":
        return Transpose(b)
    return Pow(b, _finish(arg))


def _subscript(base, idx: list[Node]) -> Node:
    if isinstance(base, _Group):
        if isinstance(base.inner, tuple):
            raise ParseError("a subscript must follow a name or a bracketed expression")
        return _entry(base.inner, idx)
    if isinstance(base, Sym):
        if base.index:
            raise ParseError(f"double subscript on {base.name}")
        return Sym(base.name, tuple(idx))
    if isinstance(base, Norm | Pow) and _norm_of(base) is not None:
        return _norm_sub(base, idx)  # \\|A\\|_2, \\|x\\|^2_2
    if isinstance(base, Transpose) and isinstance(base.a, Sym) and not base.a.index:
        return Transpose(Sym(base.a.name, tuple(idx)))  # h^T_t
    if isinstance(base, Pow) and isinstance(base.base, Sym) and not base.base.index:
        return Pow(Sym(base.base.name, tuple(idx)), base.exp)
    raise ParseError("a subscript must follow a name")


def _norm_of(node: Node) -> Norm | None:
    """The norm without a subscript that node is (or raises to a power)."""
    if isinstance(node, Pow):
        node = node.base
    return node if isinstance(node, Norm) and node.p is None else None


def _norm_sub(node: Node, idx: list[Node]) -> Node:
    """\\|A\\|_p: p is 1, 2, \\infty or F."""
    key = show(idx[0]) if len(idx) == 1 else ""
    if key not in _NORM_P:
        raise ParseError(
            f"norm subscript {key or ','.join(show(i) for i in idx)!r}: use 1, 2, \\infty or F"
        )
    if isinstance(node, Pow):
        return Pow(Norm(node.base.a, _NORM_P[key]), node.exp)  # type: ignore[attr-defined]
    return Norm(node.a, _NORM_P[key])  # type: ignore[attr-defined]


def _entry(body: Node, idx: list[Node]) -> Node:
    """[E]_{ji}: the entries form (the matrix with entries E) if E uses j or i as an index, else
    the (j, i) entry of E. `_{ji}` is read as two indices, like `_{j,i}`."""
    if len(idx) == 1:
        letters = _letters(idx[0])
        if letters is not None and len(letters) == 2:
            idx = list(letters)
    if len(idx) > 2:
        raise ParseError("an entry takes one or two indices")
    names = [i.name for i in idx if isinstance(i, Sym) and not i.index]
    used = {
        n.name
        for s in walk(body)
        if isinstance(s, Sym | Entry)
        for i in (s.index if isinstance(s, Sym) else s.comps)
        for n in walk(i)
        if isinstance(n, Sym) and n.name in names
    }
    if not used:
        return Entry(body, tuple(idx))
    if len(names) != len(idx) or used != set(names) or len(set(names)) != len(names):
        raise ParseError(
            f"the entries form [E]_{{{','.join(names)}}} must use each of its index letters "
            "as an index inside E (and only letters)"
        )
    return Entries(body, tuple(names))


def _letters(node: Node) -> list[Sym] | None:
    """`ji` (a product of bare one-letter names) -> [j, i]; None for anything else."""
    if isinstance(node, Mul):
        a, b = _letters(node.a), _letters(node.b)
        return a + b if a is not None and b is not None else None
    if isinstance(node, Sym) and not node.index and len(node.name) == 1:
        return [node]
    return None


def _frac(num, den) -> Node:
    if isinstance(num, _Partial) and isinstance(den, _Partial):
        return Deriv(num.inner, den.inner)
    dnum, dden = _d_form(num), _d_form(den)
    if dnum is not None and dden is not None:
        return Deriv(dnum, dden)
    if isinstance(num, _Partial) or isinstance(den, _Partial):
        raise ParseError("\\partial must appear in both the numerator and the denominator")
    return Div(_finish(num), _finish(den))


def _d_form(x) -> Node | None:
    """'d y' or '\\mathrm{d} y' -> y (the Leibniz form of a derivative)."""
    if isinstance(x, tuple) and x[0] == "mul":
        items = _flatten(x)
        if len(items) == 2 and isinstance(items[0], Sym) and items[0].name == "d":
            return _finish(items[1])
    return None


def _flatten(x) -> list:
    if isinstance(x, tuple) and x and x[0] == "mul":
        out = []
        for item in x[1]:
            out.extend(_flatten(item))
        return out
    return [x]


def _finish(x) -> Node:
    """Resolve wrappers: product chains with function application, groups, stray partials."""
    if isinstance(x, tuple) and x and x[0] == "mul":
        items = _flatten(x)
        out: list[Node] = []
        i = 0
        while i < len(items):
            item = items[i]
            if isinstance(item, Sym) and item.name == "\\nabla":
                if i + 1 >= len(items):
                    raise ParseError("\\nabla needs a quantity after it")
                out.append(_nabla(item, _finish(items[i + 1])))
                i += 2
                continue
            spectral = _spectral(item, items[i + 1] if i + 1 < len(items) else None)
            if spectral is not None:
                out.append(spectral)
                i += 2
                continue
            power = _letter_power(item, items[i + 1] if i + 1 < len(items) else None)
            if isinstance(item, _FuncPow) or power is not None:
                fpow = item if isinstance(item, _FuncPow) else power
                if i + 1 >= len(items):
                    raise ParseError(f"{fpow.fn.name} needs an argument")
                inner = _finish(("mul", [fpow.fn, items[i + 1]]))
                out.append(Pow(inner, fpow.exp))  # \\tanh^2(x) = (\\tanh x)^2
                i += 2
                continue
            fn = _as_function(item, items[i + 1] if i + 1 < len(items) else None)
            if fn is not None:
                if i + 1 >= len(items):
                    raise ParseError(f"{fn.name} needs an argument")
                j = i + 1
                arg = items[j]
                post = arg.arg if isinstance(arg, _GroupPost) else None
                if isinstance(arg, _GroupPost):
                    arg = arg.group
                args = arg.inner if isinstance(arg, _Group) else _finish(arg)
                node = Apply(fn.name, fn.deriv, args if isinstance(args, tuple) else (args,))
                out.append(_sup(node, post) if post is not None else node)
                i = j + 1
                continue
            out.append(_finish(item))
            i += 1
        node = out[0]
        for nxt in out[1:]:
            node = Mul(node, nxt)
        return node
    if isinstance(x, _GroupPost):
        return _sup(_finish(x.group), x.arg)
    if isinstance(x, _Group):
        if isinstance(x.inner, tuple):
            raise ParseError("a list in parentheses is only allowed as function arguments")
        return x.inner
    if isinstance(x, _Partial):
        raise ParseError("\\partial is only allowed inside \\frac{\\partial ...}{\\partial ...}")
    if isinstance(x, _FuncRef):
        raise ParseError(f"{x.name}{chr(39) * x.deriv} needs an argument in parentheses")
    if isinstance(x, _FuncPow):
        raise ParseError(f"{x.fn.name}{chr(39) * x.fn.deriv}^{{...}} needs an argument")
    if isinstance(x, Sym) and x.name == "\\nabla":
        raise ParseError("\\nabla needs a subscript and a quantity: \\nabla_{W,t} E")
    if isinstance(x, Sym) and x.name in ALWAYS_FUNCTIONS:
        raise ParseError(f"{x.name} needs an argument")
    if isinstance(x, Node):
        return x
    raise ParseError("cannot parse this expression")


def _nabla(op: Sym, num: Node) -> Nabla:
    """\\nabla_{W} E or \\nabla_{W,t} E (see `ast.Nabla`); \\nabla_{W,t,k} E (dl4nlp's
    step-t loss through step k's copy of W) is \\nabla_{W,k} E_t."""
    if len(op.index) == 3 and isinstance(num, Sym):
        return Nabla(Sym(num.name, num.index + (op.index[1],)), op.index[0], op.index[2])
    if len(op.index) not in (1, 2):
        raise ParseError("\\nabla needs a subscript: \\nabla_{W} E or \\nabla_{W,t} E")
    return Nabla(num, op.index[0], op.index[1] if len(op.index) == 2 else None)


def _spectral(item, nxt) -> Node | None:
    """\\rho(A), \\sigma_{\\max}(A), \\sigma_{\\min}(A), \\lambda_{\\max}(A), \\lambda_i(A),
    \\sigma_i(A) as Apply nodes (see `norms`); None for anything else (\\sigma(x) stays sigmoid)."""
    if not isinstance(item, Sym) or item.name not in SPECTRAL:
        return None
    if not isinstance(nxt, _Group | _GroupPost):
        return None
    group = nxt.group if isinstance(nxt, _GroupPost) else nxt
    if isinstance(group.inner, tuple):
        return None
    arg = group.inner
    if item.name == "\\rho" and not item.index:
        node: Node = Apply("\\rho", 0, (arg,))
    elif item.name != "\\rho" and len(item.index) == 1:
        idx = item.index[0]
        if isinstance(idx, Sym) and idx.name in ("\\max", "\\min"):
            node = Apply(f"{item.name}_{{{idx.name}}}", 0, (arg,))
        else:
            node = Apply(f"{item.name}_", 0, (arg, idx))
    else:
        return None
    return _sup(node, nxt.arg) if isinstance(nxt, _GroupPost) else node


def _func_power(fn: _FuncRef, exp: Node) -> Node:
    """The exponent of \\tanh^2(x): a positive whole number (\\tanh^{-1} is refused: it could
    be the inverse function or the reciprocal)."""
    if isinstance(exp, Num) and exp.value == int(exp.value) and exp.value >= 1:
        return exp
    name = fn.name if fn.name.startswith("\\") or len(fn.name) == 1 else "\\" + fn.name
    raise ParseError(
        f"{name}^{{{show(exp)}}}: a power written on a function name must be a positive whole "
        f"number ({name}^2(x) means ({name}(x))^2); write the inverse or reciprocal out"
    )


def _letter_power(item, nxt) -> _FuncPow | None:
    """\\sigma^2(x), f^{2}(x): a letter function's power followed by a parenthesis."""
    if not (isinstance(item, Pow) and isinstance(item.base, Sym) and not item.base.index):
        return None
    if item.base.name not in LETTER_FUNCTIONS or not isinstance(nxt, _Group | _GroupPost):
        return None
    if not isinstance(item.exp, Num | Neg):  # f^t(1 - f^t): a time superscript, not a power
        return None
    return _FuncPow(_FuncRef(item.base.name, 0), _func_power(_FuncRef(item.base.name, 0), item.exp))


def _as_function(item, nxt) -> _FuncRef | None:
    if isinstance(item, _FuncRef):
        return item
    if isinstance(item, Sym) and not item.index:
        if item.name in ALWAYS_FUNCTIONS:
            return _FuncRef(item.name, 0)
        if item.name in LETTER_FUNCTIONS and isinstance(nxt, _Group | _GroupPost):
            return _FuncRef(item.name, 0)
    return None
