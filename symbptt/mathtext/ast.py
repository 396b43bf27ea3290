"""The answer AST: small frozen nodes that the evaluator, the judge and the slip finder share.

Nothing here runs student text; nodes are built only by `symbptt.mathtext.parse` from lark's tree.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from fractions import Fraction
from typing import Any


class Node:
    """Base class of all answer AST nodes."""

    def children(self) -> tuple[Node, ...]:
        """Direct sub-nodes, in field order."""
        out: list[Node] = []
        for f in fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            if isinstance(v, Node):
                out.append(v)
            elif isinstance(v, tuple):
                for item in v:
                    if isinstance(item, Node):
                        out.append(item)
                    elif isinstance(item, tuple):
                        out.extend(i for i in item if isinstance(i, Node))
        return tuple(out)


@dataclass(frozen=True)
class Num(Node):
    """A literal; `sig`/`ulp` are None for integers (exact), else significant figures as written."""

    value: Fraction
    text: str
    sig: int | None = None
    ulp: Fraction | None = None


@dataclass(frozen=True)
class Sym(Node):
    """A name with optional indices: h_{t-1} is Sym('h', (t-1,)); W_h stays Sym('W', (h,))."""

    name: str
    index: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Apply(Node):
    """A function applied: f(x), \\sigma'(x) (deriv=1), \\tanh x, diag(v), diag(a, b)."""

    name: str
    deriv: int
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Add(Node):
    a: Node
    b: Node


@dataclass(frozen=True)
class Sub(Node):
    a: Node
    b: Node


@dataclass(frozen=True)
class Neg(Node):
    a: Node


@dataclass(frozen=True)
class Mul(Node):
    """Matrix (or scalar) product of two factors."""

    a: Node
    b: Node


@dataclass(frozen=True)
class Hop(Node):
    """\\odot / \\circ (elementwise) or \\otimes (outer product of vectors, else Kronecker)."""

    op: str
    a: Node
    b: Node


@dataclass(frozen=True)
class Div(Node):
    a: Node
    b: Node


@dataclass(frozen=True)
class Pow(Node):
    """base^exp; a negative integer exponent of a matrix is a power of its inverse."""

    base: Node
    exp: Node


@dataclass(frozen=True)
class Transpose(Node):
    a: Node


@dataclass(frozen=True)
class Matrix(Node):
    rows: tuple[tuple[Node, ...], ...]


@dataclass(frozen=True)
class Big(Node):
    """\\sum or \\prod over var = lo..hi.

    A \\prod of matrices is ordered left to right by increasing var (factor lo leftmost) unless
    the answer declares `product_order: decreasing` (factor hi leftmost); see `grammar`."""

    op: str
    var: str
    lo: Node
    hi: Node
    body: Node
    implicit: bool = False  # \\sum_t without limits: the model's range 1..T (see notation)


@dataclass(frozen=True)
class Deriv(Node):
    """\\frac{\\partial num}{\\partial den}: the total derivative through the computation graph."""

    num: Node
    den: Node


@dataclass(frozen=True)
class Nabla(Node):
    """\\nabla_{W} E (= dE/dW) or \\nabla_{W,t} E: the gradient by the copy of W used at step t
    only, the t-th term of the sum over time (sum_t \\nabla_{W,t} E = \\nabla_W E)."""

    num: Node
    wrt: Node
    time: Node | None = None


@dataclass(frozen=True)
class Entry(Node):
    """[A]_{ji}: the (j, i) entry of A (one index: entry j of a vector), 1-based."""

    base: Node
    comps: tuple[Node, ...]


@dataclass(frozen=True)
class Entries(Node):
    """[E]_{ji} with E using j and i: the matrix whose (j, i) entry is E (one var: a vector)."""

    body: Node
    vars: tuple[str, ...]


@dataclass(frozen=True)
class Chain(Node):
    """e_0 = e_1 = ... ; every e_i (i >= 1) is a claim about the value of e_0.

    rels: the relation before each e_i ('=', '\\le', '\\ge', '<', '>'); empty means all '='.
    After an inequality each step is a claim about its neighbour (a <= b = c: c equals b)."""

    parts: tuple[Node, ...]
    rels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Norm(Node):
    """\\|a\\| with p None (vector: 2-norm; matrix: spectral), '1', '2', 'inf' or 'F'."""

    a: Node
    p: str | None = None


@dataclass(frozen=True)
class Abs(Node):
    """|a|: the absolute value (modulus) of a number."""

    a: Node


def rebuild(node: Node, fn: Any) -> Node:
    """A copy of node with every direct child c replaced by fn(c) (tuples and row tuples too)."""
    changes: dict[str, Any] = {}
    for f in fields(node):  # type: ignore[arg-type]
        v = getattr(node, f.name)
        if isinstance(v, Node):
            changes[f.name] = fn(v)
        elif isinstance(v, tuple) and v and isinstance(v[0], Node):
            changes[f.name] = tuple(fn(i) for i in v)
        elif isinstance(v, tuple) and v and isinstance(v[0], tuple):
            changes[f.name] = tuple(tuple(fn(i) for i in row) for row in v)
    return replace(node, **changes) if changes else node  # type: ignore[type-var]


def walk(node: Node):
    """Every node, pre-order."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children()))


def show(node: Node) -> str:
    """Compact LaTeX for a node, for messages (not a full printer)."""
    if isinstance(node, Num):
        return node.text
    if isinstance(node, Sym):
        if not node.index:
            return node.name
        inner = ",".join(show(i) for i in node.index)
        return f"{node.name}_{{{inner}}}" if len(inner) > 1 else f"{node.name}_{inner}"
    if isinstance(node, Apply) and node.name.endswith("_") and len(node.args) == 2:
        return f"{node.name}{{{show(node.args[1])}}}({show(node.args[0])})"  # \\lambda_i(W)
    if isinstance(node, Apply):
        name = node.name + "'" * node.deriv
        return f"{name}({', '.join(show(a) for a in node.args)})"
    if isinstance(node, Add):
        return f"{show(node.a)} + {show(node.b)}"
    if isinstance(node, Sub):
        return f"{show(node.a)} - {_wrap(node.b)}"
    if isinstance(node, Neg):
        return f"-{_wrap(node.a)}"
    if isinstance(node, Mul):
        return f"{_wrap(node.a)} {_wrap(node.b)}"
    if isinstance(node, Hop):
        return f"{_wrap(node.a)} {node.op} {_wrap(node.b)}"
    if isinstance(node, Div):
        return f"\\frac{{{show(node.a)}}}{{{show(node.b)}}}"
    if isinstance(node, Pow):
        return f"{_wrap(node.base)}^{{{show(node.exp)}}}"
    if isinstance(node, Transpose):
        return f"{_wrap(node.a)}^\\top"
    if isinstance(node, Matrix):
        body = " \\\\ ".join(" & ".join(show(c) for c in row) for row in node.rows)
        return f"\\begin{{bmatrix}}{body}\\end{{bmatrix}}"
    if isinstance(node, Big) and node.hi == Sym("\\infty"):  # \\max_i: over the index's range
        return f"\\{node.op}_{{{node.var}}} {show(node.body)}"
    if isinstance(node, Big):
        return f"\\{node.op}_{{{node.var}={show(node.lo)}}}^{{{show(node.hi)}}} {show(node.body)}"
    if isinstance(node, Deriv):
        return f"\\frac{{\\partial {show(node.num)}}}{{\\partial {show(node.den)}}}"
    if isinstance(node, Nabla):
        sub = show(node.wrt) + ("" if node.time is None else f",{show(node.time)}")
        return f"\\nabla_{{{sub}}} {_wrap(node.num)}"
    if isinstance(node, Entry):
        return f"[{show(node.base)}]_{{{','.join(show(c) for c in node.comps)}}}"
    if isinstance(node, Entries):
        return f"[{show(node.body)}]_{{{','.join(node.vars)}}}"
    if isinstance(node, Chain):
        return " = ".join(show(p) for p in node.parts)
    if isinstance(node, Norm):
        sub = "" if node.p is None else "_{" + {"inf": "\\infty"}.get(node.p, node.p) + "}"
        return f"\\|{show(node.a)}\\|{sub}"
    if isinstance(node, Abs):
        return f"|{show(node.a)}|"
    return repr(node)


def _wrap(node: Node) -> str:
    s = show(node)
    return f"({s})" if isinstance(node, Add | Sub | Neg | Hop) else s
