"""Numbers for the gated printed-statement test: loops of the published equations, central
differences, and a small evaluator of the LaTeX that `symbptt derive` prints for a gated cell.

The loops are written here from the published equations (PyTorch nn.LSTM / nn.GRU docs, Cho et
al. v3 and d2l's scratch GRU for reset-before, homework 3 Ex 3), in each text's letters, with
the issue's keys (U_* multiplies x_t, W_* multiplies h_{t-1}). Nothing here uses symbptt.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

EPS = 1e-6


def sigmoid(a: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-a))


class Rec:
    """Records one step's quantities by printed name; adds a bump where a quantity is computed."""

    def __init__(self, t: int, bump: tuple | None, own: tuple | None = None) -> None:
        self.t, self.bump, self.own_bump, self.values = t, bump, own, {}

    def own(self, state: str, v: np.ndarray) -> np.ndarray:
        """state_{t-1} as its own update equation reads it (the explicit partial's input)."""
        o = self.own_bump
        return v + o[2] if o and o[0] == state and o[1] == self.t else v

    def val(self, name: str, v: np.ndarray) -> np.ndarray:
        if self.bump and self.bump[0] == name and self.bump[1] == self.t:
            v = v + self.bump[2]
        self.values[name] = v
        return v

    def gate(self, name: str, a: np.ndarray, fn: Callable) -> np.ndarray:
        """name = fn(a); the pre-activation a is recorded as 'a_{name}'."""
        return self.val(name, fn(self.val(f"a_{{{name}}}", a)))


# ------------------------------------------------------------------ the published equations


def lstm(P: dict, x: np.ndarray, h: np.ndarray, c: np.ndarray, r: Rec) -> None:
    """PyTorch nn.LSTM: i, f, g, o; c' = f * c + i * g; h' = o * tanh(c')."""
    i = r.gate("i", P["U_i"] @ x + P["W_i"] @ h + P["b_i"], sigmoid)
    f = r.gate("f", P["U_f"] @ x + P["W_f"] @ h + P["b_f"], sigmoid)
    g = r.gate("g", P["U_g"] @ x + P["W_g"] @ h + P["b_g"], np.tanh)
    o = r.gate("o", P["U_o"] @ x + P["W_o"] @ h + P["b_o"], sigmoid)
    c = r.val("c", f * r.own("c", c) + i * g)
    r.val("h", o * np.tanh(c))


def homework3_lstm(P: dict, x: np.ndarray, h: np.ndarray, C: np.ndarray, r: Rec) -> None:
    """Homework 3 Ex 3: f, i, C~ from W h_{t-1} + U x_t + b; C = f * C + i * C~; h = o * tanh C."""
    f = r.gate("f", P["W_f"] @ h + P["U_f"] @ x + P["b_f"], sigmoid)
    i = r.gate("i", P["W_i"] @ h + P["U_i"] @ x + P["b_i"], sigmoid)
    Ct = r.gate(r"\tilde{C}", P["W_C"] @ h + P["U_C"] @ x + P["b_C"], np.tanh)
    C = r.val("C", f * r.own("C", C) + i * Ct)
    o = r.gate("o", P["W_o"] @ h + P["U_o"] @ x + P["b_o"], sigmoid)
    r.val("h", o * np.tanh(C))


def gru(P: dict, x: np.ndarray, h: np.ndarray, r: Rec) -> None:
    """PyTorch nn.GRU: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)); h' = (1 - z) * n + z * h."""
    z = r.gate("z", P["U_z"] @ x + P["W_z"] @ h + P["b_z"], sigmoid)
    rr = r.gate("r", P["U_r"] @ x + P["W_r"] @ h + P["b_r"], sigmoid)
    n = r.gate("n", P["U_n"] @ x + P["b_n"] + rr * (P["W_n"] @ h + P["b_hn"]), np.tanh)
    r.val("h", (1 - z) * n + z * r.own("h", h))


def gru_reset_before(P: dict, x: np.ndarray, h: np.ndarray, r: Rec) -> None:
    """Cho et al. v3 / d2l scratch: n = tanh(W_n (r * h) + U_n x + b_n); h' = z * h + (1 - z) * n."""
    z = r.gate("z", P["U_z"] @ x + P["W_z"] @ h + P["b_z"], sigmoid)
    rr = r.gate("r", P["U_r"] @ x + P["W_r"] @ h + P["b_r"], sigmoid)
    n = r.gate("n", P["W_n"] @ (rr * h) + P["U_n"] @ x + P["b_n"], np.tanh)
    r.val("h", z * r.own("h", h) + (1 - z) * n)


def peephole_lstm(P: dict, x: np.ndarray, h: np.ndarray, c: np.ndarray, r: Rec) -> None:
    """Gers & Schmidhuber with diagonal peepholes as in Greff et al.: i, f see c_{t-1}, o sees
    c_t: i = sigma(W_i h + U_i x + p_i * c + b_i), ..., o = sigma(... + p_o * c_t + b_o)."""
    i = r.gate("i", P["W_i"] @ h + P["U_i"] @ x + P["P_i"] * c + P["b_i"], sigmoid)
    f = r.gate("f", P["W_f"] @ h + P["U_f"] @ x + P["P_f"] * c + P["b_f"], sigmoid)
    g = r.gate("g", P["W_g"] @ h + P["U_g"] @ x + P["b_g"], np.tanh)
    c = r.val("c", f * r.own("c", c) + i * g)
    o = r.gate("o", P["W_o"] @ h + P["U_o"] @ x + P["P_o"] * c + P["b_o"], sigmoid)
    r.val("h", o * np.tanh(c))


def mgu(P: dict, x: np.ndarray, h: np.ndarray, r: Rec) -> None:
    """The minimal gated unit without its reset gate (derivations/examples/mgu.yaml's source):
    z = sigma(W_z h + U_z x + b_z), h~ = tanh(W h + U x + b), h' = (1 - z) * h + z * h~."""
    z = r.gate("z", P["W_z"] @ h + P["U_z"] @ x + P["b_z"], sigmoid)
    ht = r.gate("\\tilde{h}", P["W"] @ h + P["U"] @ x + P["b"], np.tanh)
    r.val("h", (1 - z) * r.own("h", h) + z * ht)


def foreign_gru(P: dict, xi: np.ndarray, s: np.ndarray, r: Rec) -> None:
    """A user's GRU-like cell in foreign letters (tests/test_printed_truth_gated.py's file):
    gamma = sigma(Theta_g s + Lambda_g xi + beta_g), s~ = tanh(Theta s + Lambda xi + beta),
    s' = gamma * s + (1 - gamma) * s~."""
    g = P["\\Theta_g"] @ s + P["\\Lambda_g"] @ xi + P["\\beta_g"]
    gamma = r.gate("\\gamma", g, sigmoid)
    st = r.gate("\\tilde{s}", P["\\Theta"] @ s + P["\\Lambda"] @ xi + P["\\beta"], np.tanh)
    r.val("s", gamma * r.own("s", s) + (1 - gamma) * st)


def _gates(*letters: str) -> dict[str, str]:
    """U_q (n x m), W_q (n x n), b_q (n) for each gate letter q: the issue's keys."""
    out = {}
    for q in letters:
        out |= {f"U_{q}": "nm", f"W_{q}": "nn", f"b_{q}": "n"}
    return out


#: name -> (step, states in the step's argument order, readout first; parameter shapes)
CELLS: dict[str, tuple[Callable, tuple[str, ...], dict[str, str]]] = {
    "lstm": (lstm, ("h", "c"), _gates("i", "f", "g", "o")),
    "homework3-lstm": (homework3_lstm, ("h", "C"), _gates("f", "i", "C", "o")),
    "gru": (gru, ("h",), _gates("z", "r", "n") | {"b_hn": "n"}),
    "gru-reset-before": (gru_reset_before, ("h",), _gates("z", "r", "n")),
    "peephole-lstm": (peephole_lstm, ("h", "c"),
                      _gates("i", "f", "g", "o") | {"P_i": "n", "P_f": "n", "P_o": "n"}),
    "mgu": (mgu, ("h",), _gates("z") | {"W": "nn", "U": "nm", "b": "n"}),
    "foreign-gru": (foreign_gru, ("s",), {
        "\\Theta_g": "nn", "\\Lambda_g": "nm", "\\beta_g": "n",
        "\\Theta": "nn", "\\Lambda": "nm", "\\beta": "n",
    }),
}  # fmt: skip


class GatedNet:
    """One random instance of a gated cell with the loss L = sum_t sum_j a_tj sin(h_tj) of the
    readout h (the first state)."""

    def __init__(self, name: str, T: int = 3, n: int = 2, m: int = 2, seed: int = 0,
                 time: str = "t", input: str = "x") -> None:  # fmt: skip
        """time and input: the letters the printed text uses for the step and x."""
        self.step, self.states, shapes = CELLS[name]
        self.time, self.input = time, input
        self.readout = self.states[0]
        rng = np.random.default_rng(seed)
        self.T, self.n, self.m = T, n, m
        size = {"nn": (n, n), "nm": (n, m), "n": (n, 1)}
        self.P = {k: rng.normal(0, 0.8 if len(v) == 2 else 0.5, size[v]) for k, v in shapes.items()}
        self.x = {t: rng.normal(0, 1, (m, 1)) for t in range(1, T + 1)}
        self.s0 = {s: rng.normal(0, 0.5, (n, 1)) for s in self.states}
        self.a = {t: rng.uniform(0.5, 1.5, (n, 1)) for t in range(1, T + 1)}
        self.base = self.run()
        self._memo: dict[tuple, np.ndarray] = {}

    def run(self, bump: tuple | None = None, read: tuple | None = None, own: tuple | None = None,
            params: dict | None = None, hold: str | None = None) -> dict[int, dict]:  # fmt: skip
        """Values by step. bump = (name, t, d): d added where name_t is computed (t = 0: the
        initial state; 'x' the input); read = (state, t, d): added to state_{t-1} as step t
        reads it, nowhere else; own = (state, t, d): added only where state_t's own update
        equation reads state_{t-1} (the other quantities fixed); hold: that state is read at its unperturbed values."""
        P = params or self.P
        out = {0: {s: self.s0[s] + (bump[2] if bump and bump[:2] == (s, 0) else 0)
                   for s in self.states}}  # fmt: skip
        for t in range(1, self.T + 1):
            prev = {s: (self.base[t - 1][s] if s == hold else out[t - 1][s]) for s in self.states}
            if read and read[1] == t:
                prev[read[0]] = prev[read[0]] + read[2]
            x = self.x[t] + (bump[2] if bump and bump[:2] == (self.input, t) else 0)
            r = Rec(t, bump, own)
            self.step(P, x, *(prev[s] for s in self.states), r)
            out[t] = r.values
        return out

    def loss(self, out: dict[int, dict]) -> float:
        h = self.readout
        return float(sum((self.a[t] * np.sin(out[t][h])).sum() for t in range(1, self.T + 1)))

    def dloss_step(self, t: int) -> np.ndarray:
        """dL_t/dh_t of the per-step loss alone (zero at t = 0: there is no L_0)."""
        if t < 1:
            return np.zeros((self.n, 1))
        return self.a[t] * np.cos(self.base[t][self.readout])

    def _fd(self, f: Callable[[np.ndarray], Any], shape: tuple) -> np.ndarray:
        cols = []
        for j in range(int(np.prod(shape))):
            e = np.zeros(shape)
            e.flat[j] = EPS
            cols.append((np.asarray(f(e)) - np.asarray(f(-e))) / (2 * EPS))
        return np.array(cols)

    def grad(self, how: str, name: str, t: int) -> np.ndarray:
        """dL/d(name_t) by central differences, how = 'bump' (every use) or 'read' (step t's)."""
        key = (how, name, t)
        if key not in self._memo:
            rows = self.m if name == self.input else self.n
            g = self._fd(lambda e: self.loss(self.run(**{how: (name, t, e)})), (rows, 1))
            self._memo[key] = g.reshape(rows, 1)
        return self._memo[key]

    def dparam(self, key: str) -> np.ndarray:
        p = self.P[key]
        g = self._fd(lambda e: self.loss(self.run(params={**self.P, key: p + e})), p.shape)
        return g.reshape(p.shape)

    def jac(
        self, of: str, t: int, how: str, wrt: str, k: int, hold: str | None = None
    ) -> np.ndarray:
        """d of_t / d wrt_k (rows: entries of of_t) by central differences."""
        cols = self._fd(lambda e: self.run(**{how: (wrt, k, e)}, hold=hold)[t][of], (self.n, 1))
        return cols[:, :, 0].T

    def hat(self, s: str, t: int) -> np.ndarray:
        """The adjoint of s_t arriving from outside step t: dL_t/ds_t and what step t+1 reads."""
        later = self.grad("read", s, t + 1) if t < self.T else np.zeros((self.n, 1))
        return later + (self.dloss_step(t) if s == self.readout else 0)


# ------------------------------------------------------------------ the printed LaTeX


class Parser:
    """Evaluates the LaTeX subset the gated document prints: + - ⊙, juxtaposition as the matrix
    product, ^{\\top}, ^{2}, \\sigma, \\tanh, \\tanh^{2}, diag, \\sum_{t}, \\prod_{i=a}^{b},
    \\delta / \\hat{\\delta} / \\frac{\\partial L_{..}}{\\partial h_{..}}, names with subscripts."""

    TOKEN = re.compile(
        r"\\left\(|\\right\)|\\odot|\\operatorname\{diag\}|\\sigma|\\tanh|\\hat\{\\delta\}|"
        r"\\delta|\\frac|\\sum|\\prod|\\partial|\\tilde\{[A-Za-z]\}|\\top|\\[A-Za-z]+|[A-Za-z]|"
        r"\d+|[-+(){}^_=]"
    )

    def __init__(self, text: str, env: Callable[[str, str | None, dict], Any]) -> None:
        """env(name, subscript, scope) gives a symbol's value: name is a letter (W, f,
        \\tilde{C}), '\\delta^sup' or '\\hat{\\delta}^sup', or 'dL' (dL_s/dh_s)."""
        self.toks = self.TOKEN.findall(text)
        if "".join(self.toks) != re.sub(r"\s+", "", text):
            raise ValueError(f"cannot tokenize {text!r}")
        self.pos, self.env = 0, env

    def peek(self) -> str | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self, want: str | None = None) -> str:
        tok = self.toks[self.pos]
        if want is not None and tok != want:
            raise ValueError(f"expected {want!r} at {self.toks[self.pos :]}")
        self.pos += 1
        return tok

    def group(self) -> str:
        """A braced group's raw text ({...}), or one token."""
        if self.peek() != "{":
            return self.take()
        self.take("{")
        depth, out = 1, []
        while True:
            tok = self.take()
            depth += {"{": 1, "}": -1}.get(tok, 0)
            if depth == 0:
                return "".join(out)
            out.append(tok)

    def parse(self) -> Callable[[dict], Any]:
        e = self.expr()
        if self.peek() is not None:
            raise ValueError(f"trailing {self.toks[self.pos :]}")
        return e

    def expr(self) -> Callable[[dict], Any]:
        sign = -1 if self.peek() == "-" and self.take() else 1
        terms = [(sign, self.term())]
        while self.peek() in ("+", "-"):
            terms.append((1 if self.take() == "+" else -1, self.term()))
        return lambda sc: sum(s * f(sc) for s, f in terms)

    def term(self) -> Callable[[dict], Any]:
        if self.peek() in ("\\sum", "\\prod"):  # over the rest of the term
            return self.big()
        fs = [self.chain()]
        while self.peek() == "\\odot":
            self.take()
            fs.append(self.chain())
        return lambda sc: _product([f(sc) for f in fs], np.multiply)

    def big(self) -> Callable[[dict], Any]:
        """\\sum_{t} (t = 1..T) or \\prod_{i=a}^{b} (later factors on the left)."""
        op = self.take()
        self.take("_")
        var, _, low = self.group().partition("=")
        high = self.group() if self.peek() == "^" and self.take() else "T"
        body = self.term()
        start = (lambda sc: 1) if not low else (lambda sc: index(low, sc))

        def value(sc: dict) -> Any:
            vals = [body({**sc, var: j}) for j in range(start(sc), index(high, sc) + 1)]
            return sum(vals) if op == "\\sum" else _product(vals[::-1], np.matmul)

        return value

    def chain(self) -> Callable[[dict], Any]:
        fs = [self.postfix()]
        while self.peek() not in (None, "+", "-", "\\odot", "\\right)", ")", "}"):
            fs.append(self.postfix())
        return lambda sc: _product([f(sc) for f in fs], _times)

    def postfix(self) -> Callable[[dict], Any]:
        f = self.atom()
        while self.peek() == "^":
            self.take()
            sup = self.group()
            if sup == "\\top":
                f = (lambda g: lambda sc: g(sc).T)(f)
            elif sup == "2":
                f = (lambda g: lambda sc: g(sc) ** 2)(f)
            else:
                raise ValueError(f"unknown superscript {sup!r}")
        return f

    def paren(self) -> Callable[[dict], Any]:
        close = "\\right)" if self.take() == "\\left(" else ")"
        e = self.expr()
        self.take(close)
        return e

    def atom(self) -> Callable[[dict], Any]:
        tok = self.peek()
        if tok in ("\\left(", "("):
            return self.paren()
        if tok in ("\\sigma", "\\tanh", "\\operatorname{diag}"):
            self.take()
            power = self.group() if self.peek() == "^" and self.take() else "1"
            arg = self.paren()
            fn = {"\\sigma": sigmoid, "\\tanh": np.tanh}.get(tok, lambda v: np.diag(v[:, 0]))
            return lambda sc: fn(arg(sc)) ** int(power)
        if tok is not None and tok.isdigit():
            self.take()
            return lambda sc: float(tok)
        if tok in ("\\delta", "\\hat{\\delta}"):
            self.take()
            self.take("^")
            sup = self.group()
            self.take("_")
            sub = self.group()
            return lambda sc: self.env(tok + "^" + sup, sub, sc)
        if tok == "\\frac":  # \frac{\partial L_{s}}{\partial h_{s}}: the per-step loss alone
            self.take()
            num, den = self.group(), self.group()
            sub = re.fullmatch(r"\\partial(?:[A-Za-z]|\\[A-Za-z]+)_(.+)", num)
            if sub is None or not den.startswith("\\partial"):
                raise ValueError(f"unknown fraction {num!r} / {den!r}")
            s = sub.group(1).strip("{}")
            return lambda sc: self.env("dL", s, sc)
        name = self.take()
        sub = self.group() if self.peek() == "_" and self.take() else None
        return lambda sc: self.env(name, sub, sc)


def index(text: str, scope: dict) -> int:
    """t, t-1, k+1, T in the scope's integers."""
    m = re.fullmatch(r"([a-zA-Z])([+-]\d+)?", text.replace(" ", ""))
    if m is None:
        raise ValueError(f"not an index: {text!r}")
    return scope[m.group(1)] + int(m.group(2) or 0)


def _times(a: Any, b: Any) -> Any:
    return a * b if np.isscalar(a) or np.isscalar(b) else a @ b


def _product(vals: list, op: Callable) -> Any:
    out = vals[0]
    for v in vals[1:]:
        out = op(out, v)
    return out
