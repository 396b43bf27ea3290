"""The forms LaTeX leaves open, read as the texts mean them (the second half of `parse`).

A product of juxtaposed factors is read here: f, g, \\sigma, \\phi followed by a parenthesis are
functions, a prime on a function is its derivative, \\tanh^2(x) is (\\tanh x)^2, \\nabla_{W,t} E a
step gradient, \\rho(A) and \\lambda_i(A) spectra; `^T`/`^\\top` and a prime on a non-function are
transposes; subscripts are indices, norms' p or entries ([E]_{ji}); \\frac{\\partial A}{\\partial B}
is a derivative, any other \\frac a quotient.
"""

from __future__ import annotations

from dataclasses import dataclass

from symbptt.mathtext.ast import (
    Apply,
    Deriv,
    Div,
    Entries,
    Entry,
    Mul,
    Nabla,
    Neg,
    Node,
    Norm,
    Num,
    Pow,
    Sym,
    Transpose,
    show,
    walk,
)

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


#: Spectral functions: \\rho(A), \\sigma_{\\max}(A), \\lambda_i(A), ... (see `norms`).
SPECTRAL = {"\\rho", "\\sigma", "\\lambda"}


_NORM_P = {"1": "1", "2": "2", "F": "F", "\\infty": "inf"}


class ParseError(Exception):
    """Student text that is not in the supported LaTeX subset (becomes an `undecided` verdict)."""


@dataclass(frozen=True)
class Group:
    """A parenthesised expression (kept until function application is decided)."""

    inner: Node | tuple[Node, ...]


@dataclass(frozen=True)
class Partial:
    """\\partial X (only inside \\frac{\\partial ...}{\\partial ...})."""

    inner: Node


@dataclass(frozen=True)
class FuncRef:
    """A function name with its number of primes, waiting for its argument."""

    name: str
    deriv: int


@dataclass(frozen=True)
class _FuncPow:
    """\\tanh^2, \\sigma^{2}, f'^2: a function raised to a power before its argument, read as
    (f(x))^2 (the elementwise power of the value, never f composed with itself)."""

    fn: FuncRef
    exp: Node


def is_function_name(name: str) -> bool:
    """True for a name that can be a function (always, or before a parenthesis)."""
    return name in ALWAYS_FUNCTIONS or name in LETTER_FUNCTIONS


@dataclass(frozen=True)
class _GroupPost:
    """A parenthesised group with a power or transpose after it: diag(a, b)^{30}, f(x)^2."""

    group: Group
    arg: object


def sup(base, arg):
    """base^{arg}: a power, a transpose (^T, ^\\top), a time superscript then a transpose, or
    a function's power before its argument (\\tanh^2)."""
    if isinstance(base, Group):
        return _GroupPost(base, arg)
    if isinstance(base, FuncRef) or (
        isinstance(base, Sym) and not base.index and base.name in ALWAYS_FUNCTIONS
    ):
        fn = base if isinstance(base, FuncRef) else FuncRef(base.name, 0)
        return _FuncPow(fn, _func_power(fn, finish(arg.inner if isinstance(arg, Group) else arg)))
    items = _flatten(arg) if isinstance(arg, tuple) else []
    last = items[-1] if len(items) > 1 and isinstance(items[-1], Sym) else None
    transposed = last is not None and not last.index and last.name in ("\\top", "T")
    if transposed and (last.name == "\\top" or isinstance(items[0], Group)):
        # h^{(t)\\top}, h^{(t-1)T}: a time superscript, then a transpose
        rest = items[0] if len(items) == 2 else ("mul", items[:-1])
        return Transpose(finish(sup(base, rest)))
    b = finish(base)
    if isinstance(arg, Sym) and not arg.index and arg.name in ("T", "\\top"):
        return Transpose(b)
    if isinstance(arg, Group):
        arg = arg.inner
    if isinstance(arg, Sym) and arg.name == "\\top":
        return Transpose(b)
    return Pow(b, finish(arg))


def subscript(base, idx: list[Node]) -> Node:
    """base_{idx}: a name's indices, a norm's p, or an entry of a bracketed expression."""
    if isinstance(base, Group):
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


def frac(num, den) -> Node:
    """\\frac{num}{den}: a derivative (\\partial or d on both sides) or a quotient."""
    if isinstance(num, Partial) and isinstance(den, Partial):
        return Deriv(num.inner, den.inner)
    dnum, dden = _d_form(num), _d_form(den)
    if dnum is not None and dden is not None:
        return Deriv(dnum, dden)
    if isinstance(num, Partial) or isinstance(den, Partial):
        raise ParseError("\\partial must appear in both the numerator and the denominator")
    return Div(finish(num), finish(den))


def _d_form(x) -> Node | None:
    """'d y' or '\\mathrm{d} y' -> y (the Leibniz form of a derivative)."""
    if isinstance(x, tuple) and x[0] == "mul":
        items = _flatten(x)
        if len(items) == 2 and isinstance(items[0], Sym) and items[0].name == "d":
            return finish(items[1])
    return None


def _flatten(x) -> list:
    if isinstance(x, tuple) and x and x[0] == "mul":
        out = []
        for item in x[1]:
            out.extend(_flatten(item))
        return out
    return [x]


def finish(x) -> Node:
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
                out.append(_nabla(item, finish(items[i + 1])))
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
                inner = finish(("mul", [fpow.fn, items[i + 1]]))
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
                args = arg.inner if isinstance(arg, Group) else finish(arg)
                node = Apply(fn.name, fn.deriv, args if isinstance(args, tuple) else (args,))
                out.append(sup(node, post) if post is not None else node)
                i = j + 1
                continue
            out.append(finish(item))
            i += 1
        node = out[0]
        for nxt in out[1:]:
            node = Mul(node, nxt)
        return node
    if isinstance(x, _GroupPost):
        return sup(finish(x.group), x.arg)
    if isinstance(x, Group):
        if isinstance(x.inner, tuple):
            raise ParseError("a list in parentheses is only allowed as function arguments")
        return x.inner
    if isinstance(x, Partial):
        raise ParseError("\\partial is only allowed inside \\frac{\\partial ...}{\\partial ...}")
    if isinstance(x, FuncRef):
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
    if not isinstance(nxt, Group | _GroupPost):
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
    return sup(node, nxt.arg) if isinstance(nxt, _GroupPost) else node


def _func_power(fn: FuncRef, exp: Node) -> Node:
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
    if item.base.name not in LETTER_FUNCTIONS or not isinstance(nxt, Group | _GroupPost):
        return None
    if not isinstance(item.exp, Num | Neg):  # f^t(1 - f^t): a time superscript, not a power
        return None
    return _FuncPow(FuncRef(item.base.name, 0), _func_power(FuncRef(item.base.name, 0), item.exp))


def _as_function(item, nxt) -> FuncRef | None:
    if isinstance(item, FuncRef):
        return item
    if isinstance(item, Sym) and not item.index:
        if item.name in ALWAYS_FUNCTIONS:
            return FuncRef(item.name, 0)
        if item.name in LETTER_FUNCTIONS and isinstance(nxt, Group | _GroupPost):
            return FuncRef(item.name, 0)
    return None
