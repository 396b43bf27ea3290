"""Every statement `symbptt derive` prints for a gated cell, checked numerically.

The printed LaTeX is evaluated by tests/printed_cells.py (a small evaluator written for this
test) on loops of the published equations written there (PyTorch nn.LSTM / nn.GRU, Cho et al. v3
and d2l for reset-before, homework 3 Ex 3), and compared with central differences of those loops:
never with the engine, the cells package's algebra or their output. Each printed step carries a
`kind`; a kind without a check here fails. Every statement is checked on three random instances
(n = 3, and n = 2 with two seeds), the partials at every t (t - 1 = 0: the initial state), the
direct path at every k < t, the total's one-line form and its terms, and the recursion's start at
T as the reason states it. Golden strings are written from the published equations; the
documents compile with pdflatex and their fragments render in strict KaTeX. (This file holds the
checks of the former tests/test_printed_truth_gated.py and tests/test_gated_printed_truth.py.)
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import compile_latex
from printed_cells import CELLS, GatedNet, Parser, Rec, index

from symbptt import catalog
from symbptt.builders import gated as gated_document
from symbptt.cli import cli
from symbptt.latex.formats import display_math, inline_math, render
from symbptt.latex.katex_check import katex_errors
from symbptt.latex.steps import Derivation, Step

GATED = ["lstm", "homework3-lstm", "gru", "gru-reset-before"]
T, N, M = 3, 3, 2


@cache
def document(name: str) -> Derivation:
    return gated_document.build(catalog.load(name), checks=False)


def latex(step: Step) -> str:
    return f"{step.lhs} {step.relation} {step.rhs}"


@cache
def net(name: str, n: int = N, seed: int = 7) -> GatedNet:
    return GatedNet(name, T=T, n=n, m=M, seed=seed)


#: (n, seed) of the instances every printed statement is checked on
INSTANCES = [(N, 7), (2, 0), (2, 1)]


def env(net: GatedNet):  # noqa: ANN201
    """Values of the printed symbols: the loop's quantities and central differences of L."""

    def value(name: str, sub: str | None, scope: dict) -> np.ndarray:
        if name.startswith("\\delta^"):  # dL/dq_t, every use of q_t
            return net.grad("bump", name[len("\\delta^") :], index(sub, scope))
        if name.startswith("\\hat{\\delta}^"):
            return net.hat(name[len("\\hat{\\delta}^") :], index(sub, scope))
        if name == "dL":
            return net.dloss_step(index(sub, scope))
        if name == "I" and sub is None:
            return np.eye(net.n)
        key = name if sub is None else f"{name}_{sub}"
        if key in net.P:
            return net.P[key]
        t = index(sub, scope)
        return net.x[t] if name == net.input else net.base[t][name]

    return value


_FRAC = re.compile(
    r"\\frac\{\\(partial|mathrm\{d\}) (.+?)_\{?([^{}]+)\}?\}\{\\(?:partial|mathrm\{d\}) "
    r"(.+?)_\{?([^{}]+)\}?\}"
)


def scope_at(nt: GatedNet, t: int, k: int | None = None) -> dict[str, int]:
    """The printed indices at step t: the time letter, T, and k (or j) for the path (t - 2
    unless given)."""
    return {nt.time: t, "T": nt.T, "k" if nt.time != "k" else "j": t - 2 if k is None else k}


_DPARAM = re.compile(r"\\frac\{\\partial \\?[A-Za-z]+\}\{\\partial (\\?[A-Za-z]+)(?:_\{(\w+)\})?\}")


def truth(step: Step, nt: GatedNet, t: int, k_path: int | None = None) -> np.ndarray:
    """The left-hand side's true value at step t (the direct path: from k_path, default
    t - 2), from the loops (central differences)."""
    if step.kind in ("cell equation", "reverse step") and not step.lhs.startswith("\\frac"):
        return Parser(step.lhs, env(nt)).parse()(scope_at(nt, t))
    if step.kind == "reverse step":  # dL/dP
        key = _DPARAM.fullmatch(step.lhs)
        assert key, step.lhs
        return nt.dparam(key.group(1) + (f"_{key.group(2)}" if key.group(2) else ""))
    m = _FRAC.fullmatch(step.lhs)
    assert m, step.lhs
    d, of, at, wrt, k = m.groups()
    assert of == wrt, step.lhs
    tl = nt.time
    if step.kind == "step partial":  # step t run with s_{t-1} moved, the other states fixed
        assert (d, at, k) == ("partial", tl, f"{tl}-1"), step.lhs
        assert len(nt.states) > 1, step.lhs  # a one-state cell's step partial is the total
        return nt.jac(of, t, "read", of, t)
    if step.kind == "direct term":  # s_{t-1} in s_t's own equation alone, the gates held
        assert (d, at, k) == ("partial", tl, f"{tl}-1"), step.lhs
        assert len(nt.states) == 1, step.lhs
        return nt.jac(of, t, "own", of, t)
    if step.kind == "total jacobian":  # s_{t-1} moved where it is computed: every path
        assert (d, at, k) == ("mathrm{d}", tl, f"{tl}-1"), step.lhs
        return nt.jac(of, t, "bump", of, t - 1)
    assert step.kind == "direct path" and (at, k) == (tl, "k"), step.lhs
    others = [s for s in nt.states if s != of]
    assert len(others) == 1
    k_from = t - 2 if k_path is None else k_path  # default: two steps back
    return nt.jac(of, t, "bump", of, k_from, hold=others[0])


#: the steps of each kind are checked at these t (t - 1 = 0 is the initial state; the total's
#: right side reads gates at t - 1, which exist from t = 2); the direct path at every k < t
STEPS_OF_KIND = {
    "cell equation": (1, 2, 3),
    "reverse step": (1, 2, 3),
    "step partial": (1, 2, 3),
    "direct term": (1, 2, 3),
    "total jacobian": (2, 3),
    "direct path": (1, 2, 3),
    "path sum": (),  # dL_T/dP at the printed T: check_path_sum
}

_PATH_FACTOR = re.compile(r"\\frac\{\\partial (.+?)\}\{\\partial (.+?)\}(?=\s*\\frac|\s*$)")


def check_path_sum(step: Step, nt: GatedNet) -> int:
    """dL_T/dP = sum of chains dL_T/dh_T ds_T/ds'_(T-1) ... ds_k/dP, every factor by central
    differences of the loops (a step partial: s'_(i-1) as step i reads it; the last: step k run
    with P moved from the unperturbed states at k-1), the sum against dL_T/dP (L_T alone)."""
    m = re.fullmatch(r"\\frac\{\\partial (\\?[A-Za-z]+)_\{(\d+)\}\}\{\\partial (.+)\}", step.lhs)
    assert m and step.rhs == " + ".join(step.terms), latex(step)
    loss, T, key = m.group(1), int(m.group(2)), m.group(3).replace("{", "").replace("}", "")
    P = nt.P[key]
    total = np.zeros(P.size)
    for chain in step.terms:
        factors = _PATH_FACTOR.findall(chain)
        nodes = [a for a, _ in factors] + [factors[-1][1]]
        assert nodes[0] == f"{loss}_{{{T}}}" and nodes[-1].replace("{", "").replace("}", "") == key
        states = [(s, int(i)) for s, i in (re.fullmatch(r"(.+)_\{(\d+)\}", v).groups()
                                           for v in nodes[1:-1])]  # fmt: skip
        assert states[0] == (nt.readout, T), chain
        row = nt.dloss_step(T).T
        for (s, i), (s2, i2) in zip(states, states[1:], strict=False):
            assert i2 == i - 1, chain
            row = row @ nt.jac(s, i, "read", s2, i)
        s, k = states[-1]

        def at_k(e: np.ndarray, s: str = s, k: int = k) -> np.ndarray:
            r = Rec(k, None)
            prev = (nt.base[k - 1][st] for st in nt.states)
            nt.step({**nt.P, key: P + e}, nt.x[k], *prev, r)
            return r.values[s][:, 0]

        total += (row @ nt._fd(at_k, P.shape).T).ravel()

    def loss_T(e: np.ndarray) -> float:
        return float((nt.a[T] * np.sin(nt.run(params={**nt.P, key: P + e})[T][nt.readout])).sum())

    want = nt._fd(loss_T, P.shape)
    assert np.abs(total - want).max() < 1e-6 * max(1.0, float(np.abs(want).max())), latex(step)
    return 1


@pytest.mark.parametrize("name", GATED)
@pytest.mark.parametrize(("n", "seed"), INSTANCES)
def test_every_printed_statement_is_true_at_a_random_point(name: str, n: int, seed: int) -> None:
    nt = net(name, n, seed)
    checked = every_statement_is_true(document(name), nt)
    assert checked >= 3 * 10 + len(nt.P), checked  # equations, adjoints, every parameter
    kinds = {s.kind for s in document(name).steps}
    assert {"cell equation", "reverse step", "total jacobian"} <= kinds
    assert {"step partial", "direct term"} & kinds


_CELL_LHS = r"(\\tilde\{[A-Za-z]\}|\\?[A-Za-z]+)_\{%s\}"
_LAST_STEP = re.compile(r"at the last step \$\\hat\{\\delta\}\^\{(\\?\w+)\}_T = (0|\\partial L_T)")


def check_last_step(step: Step, nt: GatedNet) -> int:
    """The recursion's start as the reason states it: hat-delta^s_T = 0 or dL_T/dh_T, against
    dL/ds_T with s_T moved after step T (where the loss at T reads it; no step T + 1)."""
    m = _LAST_STEP.search(step.reason)
    if m is None:
        return 0
    s = m.group(1)

    def moved(e: np.ndarray) -> float:
        out = nt.run()
        out[nt.T] = {**out[nt.T], s: out[nt.T][s] + e}
        return nt.loss(out)

    got = nt._fd(moved, (nt.n, 1)).reshape(nt.n, 1)
    want = np.zeros((nt.n, 1)) if m.group(2) == "0" else nt.dloss_step(nt.T)
    assert np.abs(got - want).max() < 1e-6, (step.reason, got, want)
    return 1


def check_points(step: Step, nt: GatedNet) -> list[tuple[dict, int, int | None]]:
    """(scope, t, k) at which a step is compared: its kind's t; a direct path at every k < t."""
    if step.kind == "direct path":
        return [(scope_at(nt, t, k), t, k) for t in STEPS_OF_KIND[step.kind] for k in range(t)]
    return [(scope_at(nt, t), t, None) for t in STEPS_OF_KIND[step.kind]]


def every_statement_is_true(d: Derivation, nt: GatedNet) -> int:
    """Checks every printed step at its points; the number of values compared."""
    checked = 0
    for step in d.steps:
        assert step.kind in STEPS_OF_KIND, f"no check for printed kind {step.kind!r}: {step}"
        assert step.relation == "=", step
        if step.kind == "path sum":  # partials of states by a parameter: its own check
            checked += check_path_sum(step, nt)
            continue
        if step.kind == "cell equation":  # defines a quantity at the current step
            assert re.fullmatch(_CELL_LHS % nt.time, step.lhs), step.lhs
        if step.kind == "reverse step":
            checked += check_last_step(step, nt)
        printed = [step.rhs]
        if step.kind == "total jacobian" and step.terms:  # the lines its terms break into
            printed.append(" + ".join(step.terms))
        for text in printed:
            rhs = Parser(text, env(nt)).parse()
            for scope, t, k in check_points(step, nt):
                if _DPARAM.fullmatch(step.lhs):
                    scope = {"T": nt.T}  # a sum over every t: one value
                want, got = truth(step, nt, t, k), np.asarray(rhs(scope), dtype=float)
                assert got.shape == want.shape, (step.lhs, got.shape, want.shape)
                err = float(np.abs(got - want).max())
                assert err < 1e-6 * max(1.0, float(np.abs(want).max())), (t, k, latex(step), err)
                checked += 1
                if nt.time not in scope:
                    break
    return checked


def test_the_recursion_start_at_T_is_checked_for_every_carried_state() -> None:
    """The reasons state hat-delta^s_T for h (dL_T/dh_T) and for an LSTM's cell state (0)."""
    for name, states in (("lstm", {"h", "c"}), ("homework3-lstm", {"h", "C"}), ("gru", {"h"})):
        found = {m.group(1) for s in document(name).steps if (m := _LAST_STEP.search(s.reason))}
        assert found == states, (name, found)
        assert sum(check_last_step(s, net(name)) for s in document(name).steps) == len(states)


def test_every_gated_derivation_is_checked() -> None:
    gated = {
        p.stem for p in catalog.DERIVATIONS_DIR.glob("*.yaml") if catalog.load(p.stem).is_gated
    }
    assert gated == set(GATED) and set(GATED) <= set(CELLS)
    every = {p.stem for p in catalog.DERIVATIONS_DIR.glob("*.yaml")}
    assert every == gated | set(catalog.builtin_names())  # the rest: tests/test_printed_truth.py


@pytest.mark.parametrize("name", GATED)
def test_every_parameter_has_its_printed_gradient(name: str) -> None:
    printed = {
        m.group(1) + "_" + m.group(2)
        for s in document(name).steps
        if (m := _DPARAM.fullmatch(s.lhs))
    }
    assert printed == set(net(name).P)


@pytest.mark.parametrize(("name", "gate", "state"), [
    ("lstm", "f", "c"), ("homework3-lstm", "f", "C"), ("gru", "z", "h"),
    ("gru-reset-before", "z", "h"),
])  # fmt: skip
def test_the_total_step_jacobian_differs_from_the_direct_diag(
    name: str, gate: str, state: str
) -> None:
    """The carousel reading: an LSTM's step partial (h_{t-1} and x_t fixed) is diag(f); a GRU's
    direct term (the gates held fixed) is diag(z); the totals differ."""
    nt = net(name)
    diag = np.diag(nt.base[2][gate][:, 0])
    lstm = len(nt.states) > 1
    direct = nt.jac(state, 2, "read" if lstm else "own", state, 2)
    total = nt.jac(state, 2, "bump", state, 1)
    assert np.abs(direct - diag).max() < 1e-8
    assert np.linalg.norm(total - diag, 2) > 1e-2
    kinds = {s.kind for s in document(name).steps}
    assert {"step partial" if lstm else "direct term", "total jacobian"} <= kinds


def test_the_peephole_step_partial_is_not_diag_f() -> None:
    """Peepholes: f_t and i_t read c_{t-1}, so the step partial (h_{t-1}, x_t fixed) is
    diag(f + c_{t-1} ⊙ f(1-f) ⊙ P_f + g ⊙ i(1-i) ⊙ P_i) (hand chain rule), not diag(f_t)."""
    nt = GatedNet("peephole-lstm", T=T, n=N, m=M, seed=5)
    v, c0 = nt.base[2], nt.base[1]["c"]
    f, i, g = v["f"], v["i"], v["g"]
    want = f + c0 * f * (1 - f) * nt.P["P_f"] + g * i * (1 - i) * nt.P["P_i"]
    got = nt.jac("c", 2, "read", "c", 2)
    assert np.abs(got - np.diag(want[:, 0])).max() < 1e-8
    assert np.abs(got - np.diag(f[:, 0])).max() > 1e-3
    path = Path(__file__).parents[1] / "derivations" / "examples" / "peephole-lstm.yaml"
    d = gated_document.build(catalog.load(str(path)), checks=False)
    words = " ".join(s.reason for s in d.steps) + " ".join(x.text for x in d.sections)
    assert "direct path" not in words.replace("not the direct path", "")
    assert not [s for s in d.steps if s.kind == "direct path"]


# Golden lines, written from the published equations (PyTorch docs; homework 3 Ex 3; Cho v3).
GOLDEN = {
    "lstm": [
        r"c_{t} = f_{t} \odot c_{t-1} + i_{t} \odot g_{t}",
        r"h_{t} = o_{t} \odot \tanh\left(c_{t}\right)",
        r"f_{t} = \sigma\left(U_{f} x_{t} + W_{f} h_{t-1} + b_{f}\right)",
        r"g_{t} = \tanh\left(U_{g} x_{t} + W_{g} h_{t-1} + b_{g}\right)",
        r"\frac{\partial c_{t}}{\partial c_{t-1}} = \operatorname{diag}\left(f_{t}\right)",
        r"\frac{\partial c_t}{\partial c_k} = \prod_{i=k+1}^{t} \operatorname{diag}\left(f_i\right)",
        r"\frac{\partial L}{\partial W_{f}} = \sum_{t} \delta^{a_{f}}_{t} h_{t-1}^{\top}",
    ],
    "homework3-lstm": [
        r"C_{t} = f_{t} \odot C_{t-1} + i_{t} \odot \tilde{C}_{t}",
        r"\tilde{C}_{t} = \tanh\left(W_{C} h_{t-1} + U_{C} x_{t} + b_{C}\right)",
        r"h_{t} = o_{t} \odot \tanh\left(C_{t}\right)",
        r"\frac{\partial C_{t}}{\partial C_{t-1}} = \operatorname{diag}\left(f_{t}\right)",
    ],
    "gru": [
        r"h_{t} = z_{t} \odot h_{t-1} + \left(1 - z_{t}\right) \odot n_{t}",
        r"n_{t} = \tanh\left(U_{n} x_{t} + b_{n} + r_{t} \odot \left(W_{n} h_{t-1} + b_{hn}\right)"
        r"\right)",
        r"\frac{\partial h_{t}}{\partial h_{t-1}} = \operatorname{diag}\left(z_{t}\right)",
    ],
    "gru-reset-before": [
        r"n_{t} = \tanh\left(W_{n} \left(r_{t} \odot h_{t-1}\right) + U_{n} x_{t} + b_{n}\right)",
    ],
}


@pytest.mark.parametrize("name", GATED)
def test_golden_lines_from_the_published_equations(name: str) -> None:
    printed = {latex(s) for s in document(name).steps}
    for line in GOLDEN[name]:
        assert line in printed, line


def test_every_gated_fragment_is_valid_katex() -> None:
    display, inline = [], []
    for name in GATED:
        d = document(name)
        display += [display_math(s) for s in d.steps]
        texts = [s.reason for s in d.steps] + [x.text for x in d.sections] + list(d.notes)
        inline += [m for t in texts for m in inline_math(t)]
    errors = katex_errors(display, display=True) + katex_errors(inline, display=False)
    bad = [(tex, e) for tex, e in zip(display + inline, errors, strict=True) if e]
    assert not bad, bad[:3]
    assert len(display) > 60


@pytest.mark.slow
@pytest.mark.parametrize("name", GATED)
def test_derive_tex_with_checks_compiles_with_pdflatex(name: str, tmp_path: Path) -> None:
    d = gated_document.build(catalog.load(name))
    assert d.checks and not d.failed
    rc, log = compile_latex(render(d, "tex"), tmp_path / "doc")
    assert rc == 0, log[-2000:]


#: Mistakes from gated-cells.md ("Common mistakes"), stated as lines: each must be refuted.
WRONG = [
    (
        "reverse step",
        r"\delta^{c}_{t}",  # the carried cell gradient dropped (nicodjimenez PR #49)
        r"\delta^{h}_{t} \odot o_{t} \odot \left(1 - \tanh^{2}\left(c_{t}\right)\right)",
    ),
    (
        "reverse step",
        r"\delta^{c}_{t}",  # f' applied to the wrong argument: tanh'(tanh(c))
        r"\hat{\delta}^{c}_{t} + \delta^{h}_{t} \odot o_{t} \odot "
        r"\left(1 - \tanh^{2}\left(\tanh\left(c_{t}\right)\right)\right)",
    ),
    (
        "reverse step",
        r"\hat{\delta}^{h}_{t-1}",  # the recurrent adjoint not carried
        r"\frac{\partial L_{t-1}}{\partial h_{t-1}}",
    ),
    (
        "total jacobian",
        r"\frac{\mathrm{d} c_{t}}{\mathrm{d} c_{t-1}}",  # the carousel as total
        r"\operatorname{diag}\left(f_{t}\right)",
    ),
    ("cell equation", r"h_{t}", r"o_{t} \odot c_{t}"),  # the output tanh forgotten (issue #47)
]


@pytest.mark.parametrize(("kind", "lhs", "rhs"), WRONG)
def test_the_numeric_check_refutes_known_lstm_mistakes(kind: str, lhs: str, rhs: str) -> None:
    nt = net("lstm")
    step = Step(lhs, rhs, "a known mistake", kind=kind)
    value = Parser(rhs, env(nt)).parse()
    errs = [float(np.abs(value(scope_at(nt, t)) - truth(step, nt, t)).max()) for t in (2, 3)]
    assert max(errs) > 1e-3, errs


FOREIGN = r"""name: foreign-gru
description: A user cell in foreign letters for the printed-statement test.
cell:
  states: [s]
  equations:
    - '\gamma_k = \sigma(\Theta_{g} s_{k-1} + \Lambda_{g} \xi_k + \beta_g)'
    - '\tilde{s}_k = \tanh(\Theta s_{k-1} + \Lambda \xi_k + \beta)'
    - 's_k = \gamma_k \odot s_{k-1} + (1 - \gamma_k) \odot \tilde{s}_k'
symbols:
  loss: J
  step_loss: J
  time: k
  input: {name: xi, latex: '\xi'}
output: none
loss: generic
loss_at: every
sizes: {T: 2, n: 2, m: 2}
"""


def test_a_user_cell_prints_in_its_own_letters_and_every_statement_is_true(tmp_path: Path) -> None:
    """Names come from the cell and the file's notation, never from a fixed list (issue 10)."""
    path = tmp_path / "foreign-gru.yaml"
    path.write_text(FOREIGN, encoding="utf-8")
    d = gated_document.build(catalog.load(str(path)), checks=False)
    printed = {latex(s) for s in d.steps}
    for line in (
        r"\gamma_{k} = \sigma\left(\Theta_{g} s_{k-1} + \Lambda_{g} \xi_{k} + \beta_{g}\right)",
        r"s_{k} = \gamma_{k} \odot s_{k-1} + \left(1 - \gamma_{k}\right) \odot \tilde{s}_{k}",
        r"\frac{\partial J}{\partial \Theta_{g}} = \sum_{k} \delta^{a_{\gamma}}_{k} s_{k-1}^{\top}",
        r"\frac{\partial J}{\partial \Lambda} = \sum_{k} \delta^{a_{\tilde{s}}}_{k} \xi_{k}^{\top}",
        r"\frac{\partial s_{k}}{\partial s_{k-1}} = \operatorname{diag}\left(\gamma_{k}\right)",
    ):
        assert line in printed, line
    everything = " ".join(printed) + " ".join(x.text for x in d.sections)
    for foreign in ("x_{", "_{t}", "_{t-1}", " L_", "\\partial L", "Theta_{g}"):
        assert foreign not in everything.replace("\\Theta_{g}", ""), foreign
    nt = GatedNet("foreign-gru", T=T, n=N, m=M, seed=3, time="k", input="\\xi")
    assert every_statement_is_true(d, nt) >= 3 * 6 + len(nt.P)
    display = [display_math(s) for s in d.steps]
    inline = [m for s in d.steps for m in inline_math(s.reason)]
    inline += [m for x in d.sections for m in inline_math(x.text)]
    assert not [e for e in katex_errors(display) + katex_errors(inline, display=False) if e]


@pytest.mark.slow
@pytest.mark.parametrize("form", ["all", "general", "bptt", "paths", "direct"])
def test_derive_lstm_tex_compiles_in_every_form(form: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["derive", "lstm", "--no-checks", "--form", form, "-o",
                                      str(tmp_path / "lstm.tex")])  # fmt: skip
    if form == "direct":  # not written out for a gated cell: refused, naming the forms it prints
        assert result.exit_code == 2 and "all, general, bptt, paths" in result.output
        return
    assert result.exit_code == 0, result.output
    rc, log = compile_latex((tmp_path / "lstm.tex").read_text(), tmp_path / "doc")
    assert rc == 0, log[-2000:]


@pytest.mark.parametrize("name", ["peephole-lstm", "mgu"])
def test_the_shipped_example_cells_print_true_statements(name: str) -> None:
    """derivations/examples/: cells read from LaTeX (peepholes: vector parameters, P ⊙ c)."""
    path = Path(__file__).parents[1] / "derivations" / "examples" / f"{name}.yaml"
    d = gated_document.build(catalog.load(str(path)), checks=False)
    nt = GatedNet(name, T=T, n=N, m=M, seed=5)
    assert every_statement_is_true(d, nt) >= 3 * 6 + len(nt.P)


@pytest.mark.parametrize("name", GATED)
def test_the_site_page_prints_every_step_of_the_same_derivation(name: str) -> None:
    from symbptt.site import gated, pages

    entry = next(e for e in catalog.list_entries() if e.name == name)
    d = document(name)
    secs = gated.sections(entry, d, pages.Section("Checks", "-"), pages.Section("Figures", "-"))
    md = pages.derivation_page(entry, secs)
    for step in d.steps:
        assert step.lhs in md and (step.rhs in md or all(t in md for t in step.terms)), step
    for title in ("The cell", "Derivation for every T (one step)", "Step partials"):
        assert f"## {title}" in md


def test_the_python_api_derives_a_gated_cell_as_one_value() -> None:
    """symbptt.derive('gru') is the value `symbptt derive gru` prints (was a KeyError)."""
    import symbptt

    d = symbptt.derive("gru", checks=False)
    assert [latex(s) for s in d.steps] == [latex(s) for s in document("gru").steps]
    assert "diag(zₜ)" in str(d)
