"""The LaTeX subset students write for BPTT answers, as a lark LALR grammar (no eval anywhere).

`normalise` removes pure layout (\\left, \\, spacing, font wrappers) first; everything else is a
token of the grammar below, and any other command (\\input, \\write18, \\def, ...) is a lexing
error. Precedence, loosest first: relation chain, + and -, Hadamard-like products (\\odot,
\\circ, \\otimes), matrix products (juxtaposition, \\cdot, \\times), \\sum/\\prod (whose body
runs to the next + or -), postfix ^ _ ' and atoms.

A line of an `&=` chain that starts with + or - (`\\\\ &\\quad + ...`, `\\\\ &- ...`) continues
the previous step's right-hand side (`join_continuations`; matrix rows are not touched).

Conventions the grammar cannot decide, fixed here:
- \\prod_{i=lo}^{hi} A_i of matrices is A_lo A_{lo+1} ... A_hi (i increasing left to right)
  unless the answer declares `product_order: decreasing` (A_hi ... A_lo). Texts differ: with
  Jacobians in numerator layout the chain rule puts the latest step leftmost, e.g. the tutorial's
  eq. 3 delta_k^T = delta_t^T prod_{i=k}^{t-1} W diag f'(net_i) holds only as
  delta_t^T [W D_{t-1}] ... [W D_k] (decreasing; checked by hand at T = 3, n = 2), while the
  transposed form (dh_t/dh_k)^T = prod_{i=k+1}^{t} U^T diag f'(s_i) holds increasing. A step that
  holds only in the other order is reported wrong with that slip named.
- a number plus or minus a column vector is entrywise (1 - s_t^2), and so is a number over one
  (1 / (1 + e^{-x})); with a matrix it is an error. e^{x} is exp(x) where no e is named.
- a function name with a power before its argument (\\tanh^2(x), \\tanh^{2} x, \\sigma^2(x),
  f^2(x)) is the power of the value, (\\tanh x)^2, never the composition; the power must be a
  positive whole number (\\tanh^{-1} is refused: inverse or reciprocal?) (`parse_forms._FuncPow`).
- `a/b` is a quotient like \\frac{a}{b}; `\\sum_t` / `\\sum_{t}` without limits runs over the
  model's time range 1..T (`notation.resolve` refuses it over an entry index); `^{\\prime}` is a
  prime (`normalise`).
- superscript time (the homework's delta^t_j, h^{t-1}_i): the grammar reads every ^ as a power;
  `notation.resolve` then makes the superscript a time index when the base is a quantity with a
  time index (the model's x, h, s, ..., the loss, a where/given name with index variables) and
  the superscript is not a number, T or \\top: h^{t-1}_i is h_{t-1,i}, W^{30} and s_t^2 stay
  powers, h^T a transpose; time T is h^{(T)}. Indices past the time index are entries, 1-based.
- [E]_{ji} (or (E)_{j,i}): if E uses j or i as an index it is the entries form, the matrix whose
  (j, i) entry is E ([\\delta^t_j \\sigma'(s^t_j) h^{t-1}_i]_{ji} is n x n; one letter gives
  a column vector); otherwise the (j, i) entry of the matrix E. `_{ji}` means `_{j,i}`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lark import Lark

from symbptt.mathtext.bars import pair_bars

GREEK = (
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi "
    "pi rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma "
    "Upsilon Phi Psi Omega"
).split()
FUNCTIONS = ("tanh", "exp", "log", "ln", "sinh", "cosh")

GRAMMAR = r"""
start: sep expr (sep (REL | INEQ) sep expr)* sep

sep: (AMP | LB)*

?expr: term
     | expr "+" term          -> add
     | expr "-" term          -> sub

?term: hadamard
     | "-" hadamard           -> neg
     | "+" hadamard

?hadamard: product
     | hadamard HOP product   -> hop

?product: factor
     | product factor         -> mul
     | product MULOP factor   -> mul
     | product "/" factor     -> slash

?factor: postfix
     | BIGOP "_" "{" bigvar "=" expr "}" "^" suparg hadamard   -> bigop
     | BIGOP "^" suparg "_" "{" bigvar "=" expr "}" hadamard   -> bigop_swapped
     | BIGOP "_" "{" bigvar "}" hadamard                        -> bigop_range
     | BIGOP "_" bigvar hadamard                                -> bigop_range
     | PARTIAL postfix        -> partial
     | MAXOP "_" subarg hadamard                                -> extreme
     | MAXOP "_" "{" LETTER "=" expr "}" "^" suparg hadamard    -> extreme_range
     | MAXOP "_" "{" expr INEQ LETTER INEQ expr "}" hadamard     -> extreme_between
     | MAXOP "(" expr ("," expr)+ ")"                           -> maxof

?postfix: atom
     | postfix "^" suparg     -> sup
     | postfix "_" subarg     -> subscript
     | postfix PRIME          -> prime
     | postfix SUBEXT         -> subextreme

suparg: "{" expr "}" | LETTER -> letter | DIGIT -> number | GREEK -> greek | TOP -> top

subarg: "{" expr ("," expr)* "}" | LETTER -> letter | DIGIT -> number | GREEK -> greek
      | INFTY -> infty

?atom: NUMBER                 -> number
     | DIGIT                  -> number
     | SCINUM                 -> number
     | LETTER                 -> letter
     | GREEK                  -> greek
     | NAMED                  -> named
     | FUNC                   -> func
     | TOP                    -> top
     | NABLA                  -> nabla
     | ACCENT "{" (LETTER | GREEK) "}"  -> accent
     | ACCENT (LETTER | GREEK)          -> accent
     | "(" expr ")"           -> group
     | "(" expr ("," expr)+ ")" -> tuple
     | "[" expr "]"           -> group
     | "[" expr ("," expr)+ "]" -> tuple
     | "{" expr "}"           -> group
     | FRAC "{" expr "}" "{" expr "}"  -> frac
     | BEGIN rows END         -> matrix
     | SQRT "{" expr "}"      -> sqrt
     | SQRT "[" expr "]" "{" expr "}"  -> root
     | LNORM expr RNORM       -> norm
     | LABS expr RABS         -> abs
     | INFTY                  -> infty

bigvar: LETTER | GREEK      // a Greek index where the model's time letter is one (\\tau)

rows: row (LB row)* LB?
row: expr (AMP expr)*

REL: "=" | "\\approx" | "\\equiv"
INEQ: /\\(le|ge|lt|gt)(?![a-zA-Z])/ | "<" | ">"
MAXOP: /\\(max|min)(?![a-zA-Z])/
SUBEXT.2: /_\s*(\{\s*\\(max|min)\s*\}|\\(max|min)(?![a-zA-Z]))/
LNORM: /\\lVert(?![a-zA-Z])/
RNORM: /\\rVert(?![a-zA-Z])/
LABS: /\\lvert(?![a-zA-Z])/
RABS: /\\rvert(?![a-zA-Z])/
INFTY: /\\infty(?![a-zA-Z])/
HOP: /\\(odot|circ|otimes)(?![a-zA-Z])/
MULOP: /\\(cdot|times)(?![a-zA-Z])/ | "*"
BIGOP: /\\(sum|prod)(?![a-zA-Z])/
PARTIAL: /\\partial(?![a-zA-Z])/
NABLA: /\\nabla(?![a-zA-Z])/
FRAC: /\\frac(?![a-zA-Z])/
SQRT: /\\sqrt(?![a-zA-Z])/
TOP: /\\(top|intercal)(?![a-zA-Z])/
ACCENT: /\\(hat|tilde|bar)(?![a-zA-Z])/
GREEK: /\\(GREEKS)(?![a-zA-Z])/
FUNC: /\\(FUNCS)(?![a-zA-Z])/
NAMED: /\\(mathrm|operatorname|text|mathit|mathsf)\s*\{\s*[A-Za-z]+\s*\}/
BEGIN: /\\begin\s*\{\s*[bpv]?matrix\s*\}/
END: /\\end\s*\{\s*[bpv]?matrix\s*\}/
SCINUM.3: /(\d+(\.\d*)?|\.\d+)\s*\\times\s*10\s*\^\s*(\{\s*[+-]?\s*\d+\s*\}|\d)/
NUMBER.2: /(\d+(\.\d*)?|\.\d+)[eE][+-]?\d+|\d+\.\d*|\.\d+|\d\d+/
DIGIT: /\d/
LETTER: /[A-Za-z]/
PRIME: "'"
AMP: "&"
LB: "\\\\"

%import common.WS
%ignore WS
""".replace("GREEKS", "|".join(sorted(GREEK, key=len, reverse=True))).replace(
    "FUNCS", "|".join(FUNCTIONS)
)

_LAYOUT = [
    (
        re.compile(r"\\(left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg)(?![a-zA-Z])"),
        "",
    ),
    (
        re.compile(
            r"\\(displaystyle|limits|nolimits|mathbf|boldsymbol|bm|vec|mathbfit)(?![a-zA-Z])"
        ),
        "",
    ),
    (re.compile(r"\\(quad|qquad)(?![a-zA-Z])|(?<!\\)\\[,;:! ]|~"), " "),
    (re.compile(r"\\(dfrac|tfrac)(?![a-zA-Z])"), r"\\frac"),
    (re.compile(r"(?<=\d)\{,\}(?=\d)"), "."),  # 0{,}0424: a decimal comma
    # equation bookkeeping in .tex/Markdown answers: \label{eq:1}, \tag{3}, \nonumber, \notag
    (re.compile(r"\\(label|tag\*?)\s*\{[^{}]*\}|\\(nonumber|notag)(?![a-zA-Z])"), " "),
    (re.compile(r"\\(leq|le|leqslant)(?![a-zA-Z])"), r"\\le"),
    (re.compile(r"\\(geq|ge|geqslant)(?![a-zA-Z])"), r"\\ge"),
    (re.compile(r"\\[{]"), "("),
    (re.compile(r"\\[}]"), ")"),
    (re.compile(r"[.,;]\s*$"), ""),
]


_PRIMES = re.compile(r"\^\s*(?:\{\s*((?:\\prime\s*)+)\}|\\prime(?![a-zA-Z]))")


def _primes(m: re.Match[str]) -> str:
    """`^{\\prime\\prime}` -> `''`, `^\\prime` -> `'`: LaTeX's spelled-out primes."""
    return "'" * (m.group(1).count("\\prime") if m.group(1) else 1)


#: Characters pasted from a PDF or a word processor, as the LaTeX they stand for.
_UNICODE = str.maketrans(
    {"\u2212": "-", "\u00d7": " \\times ", "\u00b7": " \\cdot ", "\u22c5": " \\cdot ",
     "\u2248": " \\approx ", "\u2299": " \\odot ", "\u2264": " \\le ", "\u2265": " \\ge ",
     "\u2032": "'", "\u1d40": "^\\top "}
)  # fmt: skip

_ENV = re.compile(r"\\(begin|end)\s*\{\s*[bpv]?matrix\s*\}")
_CONTINUE = re.compile(r"\\\\\s*(?:&\s*)?(?=[+-])")


def normalise(text: str) -> str:
    """Remove layout-only LaTeX (\\left, \\right, spacing, bold/vector wrappers, final full stop)."""
    text = text.translate(_UNICODE)
    for pattern, repl in _LAYOUT:
        text = pattern.sub(repl, text)
    text = _PRIMES.sub(_primes, text)
    text = pair_bars(text)  # |x| and \\|x\\|: explicit open and close bars (see `bars`)
    return join_continuations(text).strip()


def join_continuations(text: str) -> str:
    """`\\\\ &\\quad + B` outside a matrix continues the previous line's expression: the line
    break (and its &) is dropped. Inside a matrix `\\\\ -0.8` starts a row and is kept."""
    out, depth, pos = [], 0, 0
    for m in _ENV.finditer(text):
        chunk = text[pos : m.start()]
        out.append(_CONTINUE.sub(" ", chunk) if depth == 0 else chunk)
        out.append(m.group(0))
        depth = depth + 1 if m.group(1) == "begin" else max(depth - 1, 0)
        pos = m.end()
    tail = text[pos:]
    out.append(_CONTINUE.sub(" ", tail) if depth == 0 else tail)
    return "".join(out)


@lru_cache(maxsize=1)
def parser() -> Lark:
    """The LALR parser (built once per process)."""
    return Lark(GRAMMAR, parser="lalr", lexer="contextual", maybe_placeholders=False)
