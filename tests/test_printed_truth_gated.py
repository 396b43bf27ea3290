"""Every statement `symbptt derive` prints for a gated cell (LSTM, GRU), checked numerically.

The cells are written here as numpy loops from their published equations (PyTorch's LSTM and
GRU, homework 3's LSTM); a small reader gives numbers to the printed LaTeX; every derivative is a
central difference through these loops. Each printed step's `kind` needs an entry in CHECKS.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from symbptt import catalog
from symbptt.derive import gated as gated_document
from symbptt.latex.steps import Step

EPS = 1e-6
GATED = ["lstm", "homework3-lstm", "gru", "gru-reset-before"]


def _sig(a: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-a))


def _lin(P: dict, q: str, x: np.ndarray, h: np.ndarray) -> np.ndarray:
    return P[f"U_{{{q}}}"] @ x + P[f"W_{{{q}}}"] @ h + P[f"b_{{{q}}}"]


def _lstm(P: dict, x: np.ndarray, prev: dict, B: Callable) -> None:
    """PyTorch: i, f, o = sigma(.), g = tanh(.), c = f c' + i g, h = o tanh(c)."""
    gates = {}
    for q, fn in (("i", _sig), ("f", _sig), ("g", np.tanh), ("o", _sig)):
        gates[q] = B(q, fn(B("a_" + q, _lin(P, q, x, prev["h"]))))
    c = B("c", gates["f"] * prev["c"] + gates["i"] * gates["g"])
    B("h", gates["o"] * np.tanh(c))


def _hw3_lstm(P: dict, x: np.ndarray, prev: dict, B: Callable) -> None:
    """Homework 3: f, i, o = sigma(W h' + U x + b), C~ = tanh(...), C = f C' + i C~, h = o tanh(C)."""
    f = B("f", _sig(B("a_f", _lin(P, "f", x, prev["h"]))))
    i = B("i", _sig(B("a_i", _lin(P, "i", x, prev["h"]))))
    g = B(r"\tilde{C}", np.tanh(B(r"a_\tilde{C}", _lin(P, "C", x, prev["h"]))))
    c = B("C", f * prev["C"] + i * g)
    o = B("o", _sig(B("a_o", _lin(P, "o", x, prev["h"]))))
    B("h", o * np.tanh(c))


def _gru(reset_after: bool) -> Callable:
    def step(P: dict, x: np.ndarray, prev: dict, B: Callable) -> None:
        """PyTorch: z, r = sigma(.), n = tanh(U x + b + r (W h' + b_hn)) (reset after) or
        tanh(W (r h') + U x + b) (reset before); h = z h' + (1 - z) n."""
        h0 = prev["h"]
        z = B("z", _sig(B("a_z", _lin(P, "z", x, h0))))
        r = B("r", _sig(B("a_r", _lin(P, "r", x, h0))))
        if reset_after:
            a = P["U_{n}"] @ x + P["b_{n}"] + r * (P["W_{n}"] @ h0 + P["b_{hn}"])
        else:
            a = P["W_{n}"] @ (r * h0) + P["U_{n}"] @ x + P["b_{n}"]
        n = B("n", np.tanh(B("a_n", a)))
        B("h", z * h0 + (1 - z) * n)

    return step


#: name -> (step, states, parameter names)
CELLS: dict[str, tuple[Callable, tuple[str, ...], list[str]]] = {
    "lstm": (_lstm, ("c", "h"), [f"{k}_{{{q}}}" for q in "ifgo" for k in "UWb"]),
    "homework3-lstm": (_hw3_lstm, ("C", "h"), [f"{k}_{{{q}}}" for q in "fiCo" for k in "UWb"]),
    "gru": (_gru(True), ("h",), [f"{k}_{{{q}}}" for q in "zrn" for k in "UWb"] + ["b_{hn}"]),
    "gru-reset-before": (_gru(False), ("h",), [f"{k}_{{{q}}}" for q in "zrn" for k in "UWb"]),
}


class Run:
    """One random instance of a cell: parameters, inputs, L = sum_t <w_t, sin(h_t)>."""

    def __init__(self, name: str, T: int = 3, n: int = 2, m: int = 2, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.step, self.states, names = CELLS[name]
        self.T, self.n = T, n
        self.P = {p: rng.normal(0, 0.8, (n, 1) if p.startswith("b") else (n, m if p[0] == "U" else n))
                  for p in names}  # fmt: skip
        self.x = {t: rng.normal(size=(m, 1)) for t in range(1, T + 1)}
        self.s0 = {s: rng.normal(0, 0.5, (n, 1)) for s in self.states}
        self.w = {t: rng.normal(size=(n, 1)) for t in range(1, T + 1)}
        self.base = self.run()

    def run(self, P: dict | None = None, bump: tuple = (), force: dict | None = None) -> dict:
        """Values by (name, t). bump = (name, t, d): added where computed; ('carry', s, t, d):
        added to s_t after step t (as the loss at t and step t + 1 see it); ('x', t, d).
        `force` {(name, t): value} replaces a computed value (others held fixed)."""
        P, force = P or self.P, force or {}
        vals: dict = {(s, 0): v for s, v in self.s0.items()}
        if bump and bump[0] == "carry" and bump[2] == 0:
            vals[(bump[1], 0)] = vals[(bump[1], 0)] + bump[3]
        for t in range(1, self.T + 1):

            def B(name: str, v: np.ndarray, t: int = t) -> np.ndarray:
                v = force.get((name, t), v)
                if bump[:2] == (name, t):
                    v = v + bump[2]
                vals[(name, t)] = v
                return v

            prev = {s: vals[(s, t - 1)] for s in self.states}
            x = self.x[t] + (bump[2] if bump[:2] == ("x", t) else 0)
            self.step(P, x, prev, B)
            if bump and bump[0] == "carry" and bump[2] == t:
                vals[(bump[1], t)] = vals[(bump[1], t)] + bump[3]
        return vals

    def loss(self, vals: dict, only: int | None = None) -> float:
        ts = [only] if only else range(1, self.T + 1)
        return float(sum((self.w[t] * np.sin(vals[("h", t)])).sum() for t in ts))

    def fd(self, value: Callable[[np.ndarray], Any], shape: tuple) -> np.ndarray:
        cols = []
        for j in range(int(np.prod(shape))):
            e = np.zeros(shape)
            e.flat[j] = EPS
            cols.append((np.asarray(value(e), float) - np.asarray(value(-e), float)) / (2 * EPS))
        if np.ndim(cols[0]) == 0:
            return np.array(cols).reshape(shape)
        return np.hstack(cols)

    def dL(self, how: Callable[[np.ndarray], tuple], shape: tuple = ()) -> np.ndarray:
        return self.fd(lambda e: self.loss(self.run(bump=how(e))), shape or (self.n, 1))


# ---------------------------------------------------------------- reading the printed LaTeX


def _group(s: str, i: int) -> tuple[str, int]:
    """The balanced {...} starting at s[i]: its inside and the index after it."""
    assert s[i] == "{", s[i:]
    depth = 0
    for j in range(i, len(s)):
        depth += {"{": 1, "}": -1}.get(s[j], 0)
        if depth == 0:
            return s[i + 1 : j], j + 1
    raise AssertionError(s)


class Reader:
    """Numbers for the printed LaTeX of one step, at `scope` (t, k, i) on a `Run`."""

    def __init__(self, run: Run, scope: dict) -> None:
        self.r, self.scope = run, scope

    def __call__(self, tex: str) -> Any:
        self.s, self.i = tex.replace(r"\\", " ").replace("&", " ").replace(r"\quad", " "), 0
        v = self.expr()
        assert self.s[self.i :].strip() == "", self.s[self.i :]
        return v

    def peek(self, tok: str) -> bool:
        while self.i < len(self.s) and self.s[self.i] == " ":
            self.i += 1
        return self.s.startswith(tok, self.i)

    def take(self, tok: str) -> bool:
        if self.peek(tok):
            self.i += len(tok)
            return True
        return False

    def expr(self) -> Any:
        v = self.term()
        while True:
            if self.take("+"):
                v = v + self.term()
            elif self.take("-"):
                v = v - self.term()
            else:
                return v

    def term(self) -> Any:
        v = self.factor()
        while True:
            if self.take(r"\odot"):
                v = v * self.factor()
            elif not self.peek("") or self.i >= len(self.s):
                return v
            elif not any(self.peek(t) for t in ("+", "-", r"\right)")):
                w = self.factor()
                v = v @ w if np.ndim(v) and np.ndim(w) else v * w
            else:
                return v

    def factor(self) -> Any:
        v = self.atom()
        while True:
            if self.take(r"^{\top}"):
                v = v.T
            elif self.take("^{2}"):
                v = v**2
            else:
                return v

    def paren(self) -> Any:
        assert self.take(r"\left("), self.s[self.i :]
        v = self.expr()
        assert self.take(r"\right)"), self.s[self.i :]
        return v

    def atom(self) -> Any:  # noqa: C901, PLR0911 - one case a construct
        if self.peek(r"\left("):
            return self.paren()
        if self.take(r"\sigma"):
            return _sig(self.paren())
        if self.take(r"\tanh^{2}"):
            return np.tanh(self.paren()) ** 2
        if self.take(r"\tanh"):
            return np.tanh(self.paren())
        if self.take(r"\operatorname{diag}"):
            return np.diagflat(self.paren())
        if self.take(r"\sum_{t}"):
            return sum(Reader(self.r, {**self.scope, "t": t})(self.s[self.i :])
                       for t in range(1, self.r.T + 1)) + self._rest()  # fmt: skip
        if self.take(r"\prod_{i=k+1}^{t}"):
            body, out = self.s[self.i :], np.eye(self.r.n)
            for i in range(self.scope["t"], self.scope["k"], -1):
                out = out @ Reader(self.r, {**self.scope, "i": i})(body)
            return out + self._rest()
        if self.take(r"\frac"):
            num, self.i = _group(self.s, self.i)
            den, self.i = _group(self.s, self.i)
            a, b = (
                self.sym(num.removeprefix(r"\partial ")),
                self.sym(den.removeprefix(r"\partial ")),
            )
            assert a[0] == "L" and b[0] == "h", (num, den)  # dL_{t-1}/dh_{t-1}: the step loss
            t = a[1]
            h = self.r.base[("h", t)]
            return self.r.fd(lambda e: float((self.r.w[t] * np.sin(h + e)).sum()), h.shape)
        m = re.match(r"\d+", self.s[self.i :].lstrip())
        if m:
            self.take(m.group(0))
            return float(m.group(0))
        return self.value(*self.symbol())

    def _rest(self) -> float:
        self.i = len(self.s)
        return 0.0

    def symbol(self) -> tuple[str, str, str]:
        """(name, superscript, subscript) of the symbol at the cursor."""
        self.peek("")
        s, i = self.s, self.i
        for head in (r"\hat{\delta}", r"\delta", r"\tilde{C}"):
            if s.startswith(head, i):
                name, i = head, i + len(head)
                break
        else:
            name, i = s[i], i + 1
        sup = sub = ""
        while (
            i < len(s)
            and s[i] in "^_"
            and not s.startswith(r"^{\top}", i)
            and not s.startswith("^{2}", i)
        ):
            inner, j = _group(s, i + 1) if s[i + 1] == "{" else (s[i + 1], i + 2)  # f_i
            sup, sub = (inner, sub) if s[i] == "^" else (sup, inner)
            i = j
        self.i = i
        return name, sup, sub

    def sym(self, tex: str) -> tuple[str, int]:
        """'h_{t-1}' -> ('h', value of t - 1)."""
        name, _, sub = tex.partition("_")
        return name, self.time(sub.strip("{}"))

    def time(self, sub: str) -> int:
        expr = sub
        for k, v in self.scope.items():
            expr = re.sub(rf"\b{k}\b", str(v), expr)
        assert re.fullmatch(r"[\d+\- ]+", expr), sub
        return int(eval(expr, {"__builtins__": {}}))  # digits, + and - only (checked)

    def value(self, name: str, sup: str, sub: str) -> Any:
        r = self.r
        key = f"{name}_{{{sub}}}"
        if key in r.P:
            return r.P[key]
        t = self.time(sub)
        if name == r"\delta":
            return delta(r, sup, t)
        if name == r"\hat{\delta}":
            return r.dL(lambda e: ("carry", sup, t, e))
        if name == "x":
            return r.x[t]
        return r.base[(name, t)]


def delta(r: Run, q: str, t: int) -> np.ndarray:
    """delta^q_t = dL/dq_t (q where computed); delta^{a_q}: the argument of q's function."""
    if q == "x":
        return r.dL(lambda e: ("x", t, e), r.x[t].shape)
    if q.startswith("a_{"):
        q = "a_" + q[3:-1]
    return r.dL(lambda e: (q, t, e))


# ---------------------------------------------------------------- the checks, by kind


def _ts(step: Step, T: int) -> range:
    return range(2, T + 1) if "t-1" in step.lhs else range(1, T + 1)


def check_equation(r: Run, step: Step) -> None:
    """A cell equation: the printed right side equals the loop's value."""
    assert re.fullmatch(r"(\\tilde\{C\}|[A-Za-z])_\{t\}", step.lhs), step.lhs
    for t in range(1, r.T + 1):
        rd = Reader(r, {"t": t})
        np.testing.assert_allclose(rd(step.rhs), rd(step.lhs), rtol=1e-12, atol=1e-12,
                                   err_msg=step.latex)  # fmt: skip


def check_reverse(r: Run, step: Step) -> None:
    """A reverse-step line: both sides, the deltas by central differences."""
    if step.lhs.startswith(r"\frac{\partial L}{\partial "):
        key = step.lhs.removeprefix(r"\frac{\partial L}{\partial ").removesuffix("}")
        want = r.fd(lambda e: r.loss(r.run(P={**r.P, key: r.P[key] + e})), r.P[key].shape)
        np.testing.assert_allclose(Reader(r, {})(step.rhs), want, rtol=1e-5, atol=1e-7)
        return
    for t in _ts(step, r.T):
        rd = Reader(r, {"t": t})
        np.testing.assert_allclose(rd(step.rhs), rd(step.lhs), rtol=1e-5, atol=1e-7,
                                   err_msg=f"{step.latex} at t = {t}")  # fmt: skip
    m = re.search(
        r"at the last step \$\\hat\{\\delta\}\^\{(\w+)\}_T = (0|\\partial L_T)", step.reason
    )
    if m:  # the start of the recursion at T, numbers in
        T = r.T
        got = r.dL(lambda e: ("carry", m.group(1), T, e))
        want = (
            0.0
            if m.group(2) == "0"
            else r.fd(lambda e: float((r.w[T] * np.sin(r.base[("h", T)] + e)).sum()), (r.n, 1))
        )
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def _held(r: Run, state: str, steps: range) -> dict:
    """Every quantity but `state` at these steps, fixed at its value (the direct path)."""
    return {(q, t): v for (q, t), v in r.base.items() if t in steps and q != state}


def check_partial(r: Run, step: Step) -> None:
    """d s_t / d s_{t-1} with every other input held fixed, and along k+1..t (direct path)."""
    s = re.match(r"\\frac\{\\partial (\w+)_", step.lhs).group(1)
    pairs = [(t, t - 1) for t in range(1, r.T + 1)] if "t-1" in step.lhs else [
        (t, k) for t in range(1, r.T + 1) for k in range(0, t)]  # fmt: skip
    for t, k in pairs:
        force = _held(r, s, range(k + 1, t + 1))
        want = r.fd(
            lambda e, k=k, t=t, f=force: r.run(bump=("carry", s, k, e), force=f)[(s, t)], (r.n, 1)
        )
        got = Reader(r, {"t": t, "k": k})(step.rhs)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7, err_msg=f"{step.latex} {t, k}")


def check_step_partial(r: Run, step: Step) -> None:
    """d s_t / d s_{t-1} of the step map: s_{t-1} moved after step t-1, step t run in full (its
    gates recomputed), the other states at t-1 and x_t fixed."""
    s = re.match(r"\\frac\{\\partial (\w+)_", step.lhs).group(1)
    assert len(r.states) > 1, step.latex  # a one-state cell prints its direct term instead
    for t in range(1, r.T + 1):
        want = r.fd(lambda e, t=t: r.run(bump=("carry", s, t - 1, e))[(s, t)], (r.n, 1))
        got = Reader(r, {"t": t})(step.rhs)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7, err_msg=f"{step.latex} {t}")


def check_total(r: Run, step: Step) -> None:
    """d s_t / d s_{t-1} through every path (s_{t-1} perturbed where it is computed)."""
    s = re.match(r"\\frac\{\\mathrm\{d\} (\w+)_", step.lhs).group(1)
    for t in range(2, r.T + 1):
        want = r.fd(lambda e, t=t: r.run(bump=(s, t - 1, e))[(s, t)], (r.n, 1))
        for printed in (step.rhs, *([" + ".join(step.terms)] if step.terms else [])):
            got = Reader(r, {"t": t})(printed)  # one line, and the lines the terms break into
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7, err_msg=step.latex)


_PATH_FACTOR = re.compile(r"\\frac\{\\partial (.+?)\}\{\\partial (.+?)\}(?=\s*\\frac|\s*$)")


def check_path_sum(r: Run, step: Step) -> None:
    """dL_T/dP = sum of chains dL_T/dh_T ds_T/ds'_(T-1) ... ds_k/dP: every factor by central
    differences of the loop (a step partial: s'_(i-1) moved, the other states at i-1 fixed; the
    last: P moved with every quantity before step k held), the sum against dL_T/dP."""
    m = re.fullmatch(r"\\frac\{\\partial L_\{(\d+)\}\}\{\\partial (.+)\}", step.lhs)
    assert m and step.rhs == " + ".join(step.terms), step.latex
    T, key = int(m.group(1)), m.group(2)
    total = np.zeros(r.P[key].size)
    for chain in step.terms:
        nodes = [a for a, _ in _PATH_FACTOR.findall(chain)] + [_PATH_FACTOR.findall(chain)[-1][1]]
        assert nodes[0] == f"L_{{{T}}}" and nodes[-1] == key, chain
        states = [re.fullmatch(r"(\w+)_\{(\d+)\}", v).groups() for v in nodes[1:-1]]
        states = [(s, int(i)) for s, i in states]
        steps = [i for _, i in states]
        assert states[0] == ("h", T) and steps == list(range(T, T - len(states), -1))
        row = (r.w[T] * np.cos(r.base[("h", T)])).T
        for (s, i), (s2, _) in zip(states, states[1:], strict=False):
            row = row @ r.fd(lambda e, s=s, s2=s2, i=i: r.run(bump=("carry", s2, i - 1, e))[(s, i)],
                             (r.n, 1))  # fmt: skip
        s, k = states[-1]
        held = {qt: v for qt, v in r.base.items() if 1 <= qt[1] < k}
        row = row @ r.fd(
            lambda e, s=s, k=k, held=held: r.run(P={**r.P, key: r.P[key] + e}, force=held)[(s, k)],
            r.P[key].shape,
        )
        total += np.ravel(row)
    want = r.fd(lambda e: r.loss(r.run(P={**r.P, key: r.P[key] + e}), only=T), r.P[key].shape)
    np.testing.assert_allclose(total, np.ravel(want), rtol=1e-5, atol=1e-7, err_msg=step.latex)


CHECKS: dict[str, Callable[[Run, Step], None]] = {
    "path sum": check_path_sum,
    "cell equation": check_equation,
    "reverse step": check_reverse,
    "step partial": check_step_partial,
    "direct term": check_partial,
    "direct path": check_partial,
    "total jacobian": check_total,
}


@pytest.mark.parametrize("name", GATED)
def test_every_printed_gated_statement_holds(name: str) -> None:
    doc = gated_document.build(catalog.load(name), checks=False)
    kinds = set()
    for seed in (0, 1):
        r = Run(name, seed=seed)
        for step in doc.steps:
            assert step.kind in CHECKS, f"{name}: no numeric check for {step.kind!r}: {step.latex}"
            CHECKS[step.kind](r, step)
            kinds.add(step.kind)
    assert {"cell equation", "reverse step"} <= kinds
    assert {"step partial", "direct term"} & kinds


def test_every_gated_derivation_is_checked() -> None:
    gated = {
        p.stem for p in catalog.DERIVATIONS_DIR.glob("*.yaml") if catalog.load(p.stem).is_gated
    }
    assert gated == set(GATED) == set(CELLS)
    every = {p.stem for p in catalog.DERIVATIONS_DIR.glob("*.yaml")}
    assert every == gated | set(catalog.builtin_names())  # the rest: tests/test_printed_truth.py
