"""Output heads on gated cells (issue 10: "heads and losses combine with any cell").

Every expected value comes from code written here: numpy loops of PyTorch's nn.LSTM and nn.GRU
equations (docs of torch.nn.LSTM / torch.nn.GRU, one bias per gate, GRU's b_hn inside the reset
product) followed by z_t = V h_t + c and the head's published loss, and float64 central
differences of that loop. The symbolic BPTT (cells.symbolic), the generated engine
(cells.numeric.head_loss) and the 40-digit differences (cells.mp40) are held against it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from symbptt.cells import CELLS, numeric
from symbptt.cells.checks import point, run
from symbptt.cells.heads import HEADS
from symbptt.cells.mp40 import loss_gradient
from symbptt.cells.symbolic import bptt, direct_equals_bptt, head_gradient, unroll
from symbptt.errors import InputError

HEAD_NAMES = ["softmax_cross_entropy", "identity_squared_error", "sigmoid_binary_cross_entropy"]


def sig(a: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-a))


def lstm_states(P: dict, xs: np.ndarray, h: np.ndarray, c: np.ndarray) -> list[np.ndarray]:
    """nn.LSTM: i, f, o = sigma(.), g = tanh(.), c = f c + i g, h = o tanh(c); h_1..h_T."""
    out = []
    for x in xs:
        a = {q: P[f"U_{q}"] @ x + P[f"W_{q}"] @ h + P[f"b_{q}"] for q in "ifgo"}
        c = sig(a["f"]) * c + sig(a["i"]) * np.tanh(a["g"])
        h = sig(a["o"]) * np.tanh(c)
        out.append(h)
    return out


def gru_states(P: dict, xs: np.ndarray, h: np.ndarray, c: np.ndarray | None) -> list[np.ndarray]:
    """nn.GRU: r, z = sigma(.), n = tanh(U_n x + b_n + r (W_n h + b_hn)), h = (1 - z) n + z h."""
    out = []
    for x in xs:
        z = sig(P["U_z"] @ x + P["W_z"] @ h + P["b_z"])
        r = sig(P["U_r"] @ x + P["W_r"] @ h + P["b_r"])
        n = np.tanh(P["U_n"] @ x + P["b_n"] + r * (P["W_n"] @ h + P["b_hn"]))
        h = (1 - z) * n + z * h
        out.append(h)
    return out


def step_loss(head: str, zt: np.ndarray, y: np.ndarray) -> float:
    """The published losses: -sum y log softmax(z); 1/2 ||z - y||^2; BCE of sigmoid(z)."""
    if head == "softmax_cross_entropy":
        p = np.exp(zt) / np.exp(zt).sum()
        return float(-(y * np.log(p)).sum())
    if head == "identity_squared_error":
        return float(0.5 * ((zt - y) ** 2).sum())
    p = sig(zt)
    return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).sum())


def loop_loss(cell: str, head: str, P: dict, xs, s0: dict, ys, last: bool = False) -> float:
    states = lstm_states if cell == "lstm" else gru_states
    hs = states(P, xs[:, 0], s0["h"][0], s0.get("c", [None])[0])
    terms = [step_loss(head, P["V"] @ h + P["c"], y[0]) for h, y in zip(hs, ys, strict=True)]
    return terms[-1] if last else sum(terms)


def loop_gradient(cell: str, head: str, P: dict, xs, s0, ys, last: bool = False) -> dict:
    """Central differences (step 1e-6) of the loop's E."""
    out = {}
    for k, v in P.items():
        g = np.zeros(v.size)
        for j in range(v.size):
            e = np.zeros(v.size)
            e[j] = 1e-6
            up = loop_loss(cell, head, {**P, k: v + e.reshape(v.shape)}, xs, s0, ys, last)
            dn = loop_loss(cell, head, {**P, k: v - e.reshape(v.shape)}, xs, s0, ys, last)
            g[j] = (up - dn) / 2e-6
        out[k] = g.reshape(v.shape)
    return out


def _at(cell: str, head: str, T: int = 2, n: int = 2, seed: int = 5):
    pt = point(CELLS[cell], T, n, n, seed, head=HEADS[head], k=3)
    return pt, pt.params | pt.head_params


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("head", HEAD_NAMES)
def test_engine_with_a_head_matches_the_published_loop(cell: str, head: str) -> None:
    pt, P = _at(cell, head, T=3)
    E, grads = numeric.head_loss(CELLS[cell], HEADS[head], P, pt.xs, pt.states0, pt.targets)
    assert E == pytest.approx(loop_loss(cell, head, P, pt.xs, pt.states0, pt.targets), rel=1e-12)
    want = loop_gradient(cell, head, P, pt.xs, pt.states0, pt.targets)
    assert set(grads.params) == set(P)  # V and c included
    for k in P:
        np.testing.assert_allclose(grads.params[k], want[k], rtol=1e-5, atol=1e-8, err_msg=k)


@pytest.mark.parametrize("head", HEAD_NAMES)
def test_forty_digit_differences_of_the_head_loss_match_the_loop(head: str) -> None:
    pt, P = _at("lstm", head)
    got = loss_gradient(CELLS["lstm"], P, pt.xs, pt.states0, head=HEADS[head], targets=pt.targets)
    want = loop_gradient("lstm", head, P, pt.xs, pt.states0, pt.targets)
    for k in P:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-5, atol=1e-8, err_msg=k)


def test_loss_at_last_keeps_the_last_step_only() -> None:
    head = "softmax_cross_entropy"
    pt, P = _at("gru", head, T=3)
    E, grads = numeric.head_loss(
        CELLS["gru"], HEADS[head], P, pt.xs, pt.states0, pt.targets, loss_at="last"
    )
    assert E == pytest.approx(loop_loss("gru", head, P, pt.xs, pt.states0, pt.targets, True))
    got = loss_gradient(
        CELLS["gru"], P, pt.xs, pt.states0, head=HEADS[head], targets=pt.targets, loss_at="last"
    )
    want = loop_gradient("gru", head, P, pt.xs, pt.states0, pt.targets, last=True)
    for k in P:
        np.testing.assert_allclose(grads.params[k], want[k], rtol=1e-5, atol=1e-8, err_msg=k)
        np.testing.assert_allclose(got[k], want[k], rtol=1e-5, atol=1e-8, err_msg=k)


def test_symbolic_bptt_with_softmax_head_evaluates_to_the_loop_gradient() -> None:
    """cells.symbolic's BPTT with the head, its free dE_t/dz_t given as yhat_t - y_t of the loop
    (softmax written here), against central differences of the loop."""
    head = "softmax_cross_entropy"
    pt, P = _at("lstm", head)
    u = unroll(CELLS["lstm"], 2, 2, head=HEADS[head], k=3)
    assert u.k == 3 and set(u.all_params) == {*CELLS["lstm"].param_keys, "V", "c"}
    hs = lstm_states(P, pt.xs[:, 0], pt.states0["h"][0], pt.states0["c"][0])
    values: dict[sp.Symbol, float] = {}
    for k, M in u.all_params.items():
        values |= dict(zip(M, np.ravel(P[k]), strict=True))
    for t, x in enumerate(u.xs):
        values |= dict(zip(x, pt.xs[t, 0], strict=True))
    for s, v in u.states0.items():
        values |= dict(zip(v, pt.states0[s][0], strict=True))
    for sym, d in u.definitions():  # the unrolled forward's named quantities, in order
        values[sym] = float(d.xreplace(values).rewrite(sp.exp).evalf(30))
    for t in range(2):
        np.testing.assert_allclose([values[s] for s in u.names[t]["h"]], hs[t], rtol=1e-12)
        zt = P["V"] @ hs[t] + P["c"]
        yhat = np.exp(zt) / np.exp(zt).sum()
        values |= dict(zip(u.dloss[t], yhat - pt.targets[t, 0], strict=True))
    grads = bptt(u).grads
    want = loop_gradient("lstm", head, P, pt.xs, pt.states0, pt.targets)
    for k in P:
        got = [float(e.xreplace(values).rewrite(sp.exp).evalf(30)) for e in grads[k]]
        got = np.reshape(got, np.shape(P[k]))
        np.testing.assert_allclose(got, want[k], rtol=1e-5, atol=1e-8, err_msg=k)


@pytest.mark.parametrize("head", HEAD_NAMES)
def test_head_lemma_holds_for_every_table_head(head: str) -> None:
    lemma = head_gradient(HEADS[head], 3)
    assert lemma.holds
    assert lemma.assumption == ("sum_j y_j = 1" if head == "softmax_cross_entropy" else "")


def test_head_lemma_needs_the_target_to_be_a_distribution_for_yhat_minus_y() -> None:
    """d/dz of -sum y log softmax(z) is yhat sum(y) - y (hand computation): at z = 0, k = 2,
    y = (1, 1) it is (1/2 * 2 - 1, ...) = (0, 0), while the textbook yhat - y = (-1/2, -1/2)."""
    lemma = head_gradient(HEADS["softmax_cross_entropy"], 2)
    z, y = sp.symbols("z[0] z[1]", real=True), sp.symbols("y[0] y[1]", real=True)
    at = {z[0]: 0, z[1]: 0, y[0]: 1, y[1]: 1}
    derived = [sp.nsimplify(d.subs(at)) for d in lemma.derived]
    stated = [sp.nsimplify(s.subs(at)) for s in lemma.stated]
    assert derived == stated == [0, 0]
    yhat = [sp.Rational(1, 2)] * 2
    assert [p - 1 for p in yhat] == [-sp.Rational(1, 2)] * 2 != derived


def test_a_wrong_head_gradient_is_refuted() -> None:
    """A head whose stated output is 2z refutes the lemma; an engine head gradient missing - y
    fails the 40-digit row."""
    se = HEADS["identity_squared_error"]
    bad = dataclasses.replace(se, sympy_output=lambda z: [2 * v for v in z])
    assert not head_gradient(bad, 2).holds
    ce = HEADS["softmax_cross_entropy"]
    wrong = dataclasses.replace(ce, numpy_grad=lambda z, y: ce.numpy_output(z))  # no - y
    rows = {r.name: r for r in run(CELLS["gru"], 2, 1, head=wrong, k=2)}
    mp = [r for name, r in rows.items() if "40-digit" in name]
    assert len(mp) == 1 and not mp[0].passed


@pytest.mark.parametrize("cell", ["lstm", "gru", "homework3-lstm"])
def test_exact_identity_with_softmax_head(cell: str) -> None:
    assert direct_equals_bptt(unroll(CELLS[cell], 2, 2, head=HEADS["softmax_cross_entropy"])) == []


def test_exact_identity_with_a_head_fails_when_the_recursive_term_is_dropped() -> None:
    """The same reverse step with dc carried back as 0 is refuted with a head too."""
    from symbptt.cells.expr import Prev
    from symbptt.cells.reverse import step_adjoints

    cell = CELLS["lstm"]
    rev = step_adjoints(cell)
    zero_c = dataclasses.replace(
        rev, prev=tuple((s, e if s != "c" else Prev("c")) for s, e in rev.prev)
    )
    u = unroll(cell, 2, 1, head=HEADS["identity_squared_error"], k=1)
    assert direct_equals_bptt(u, zero_c)


def test_a_cell_parameter_named_V_refuses_a_head(tmp_path: Path) -> None:
    from symbptt.catalog import load
    from symbptt.errors import DerivationFileError

    path = tmp_path / "v.yaml"
    text = (
        "name: v\ndescription: d\ncell:\n  states: [h]\n  equations:\n"
        "    - 'h_t = \\tanh(V h_{t-1} + U x_t)'\noutput: OUT\nloss: LOSS\n"
    )
    path.write_text(text.replace("OUT", "none").replace("LOSS", "generic"), encoding="utf-8")
    cell = load(path).cell_def
    with pytest.raises(InputError, match="'V'"):
        unroll(cell, 1, 1, head=HEADS["softmax_cross_entropy"])
    path.write_text(text.replace("OUT", "softmax").replace("LOSS", "cross_entropy"))
    with pytest.raises(DerivationFileError, match="needs the names V and c"):
        load(path)


@pytest.mark.slow
def test_example_lstm_softmax_verifies() -> None:
    from symbptt.catalog import load
    from symbptt.verify import run_checks

    path = Path(__file__).parents[1] / "derivations" / "examples" / "lstm-softmax.yaml"
    model = load(path)
    assert (model.cell, model.output, model.loss) == ("user", "softmax", "cross_entropy")
    report = run_checks(model, 2, 2)
    assert all(c.passed for c in report.checks)
    names = " ".join(c.name for c in report.checks)
    assert "head softmax + cross-entropy" in names and "V and c" in names


@pytest.mark.parametrize(
    ("keys", "want"),
    [
        ("", ("none", "generic")),
        ("loss: cross_entropy\n", ("softmax", "cross_entropy")),
        ("loss: squared_error\n", ("identity", "squared_error")),
        ("output: sigmoid\nloss: binary_cross_entropy\n", ("sigmoid", "binary_cross_entropy")),
    ],
)
def test_a_gated_file_names_its_head(tmp_path: Path, keys: str, want: tuple[str, str]) -> None:
    """No head named: the per-step loss L_t(h_t); a loss alone brings its output layer."""
    from symbptt.catalog import load

    path = tmp_path / "g.yaml"
    path.write_text(f"name: g\ndescription: d\ncell: gru\n{keys}", encoding="utf-8")
    model = load(path)
    assert (model.output, model.loss) == want


def test_a_gated_file_with_a_mismatched_head_names_the_pairs(tmp_path: Path) -> None:
    from symbptt.catalog import load
    from symbptt.errors import DerivationFileError

    path = tmp_path / "g.yaml"
    path.write_text(
        "name: g\ndescription: d\ncell: lstm\noutput: softmax\nloss: squared_error\n",
        encoding="utf-8",
    )
    with pytest.raises(DerivationFileError, match=r"softmax \+ cross_entropy") as err:
        load(path)
    assert "g.yaml" in str(err.value)


@pytest.mark.parametrize("head", HEAD_NAMES)
@pytest.mark.parametrize("cell", ["lstm", "gru", "mgu"])
def test_engine_api_with_a_head_matches_the_loop(cell: str, head: str) -> None:
    """symbptt.engine with output= (the fast path for lstm/gru, engine_generic for a file's
    cell) gives the gradients of the head's loss, V and c included: the loop's central
    differences for lstm/gru, the generated engine's (held to its loop above) for mgu."""
    from symbptt import engine
    from symbptt.catalog import load

    if cell == "mgu":
        path = Path(__file__).parents[1] / "derivations" / "examples" / "mgu.yaml"
        c = load(path).cell_def
        key: object = c
    else:
        c, key = CELLS[cell], cell
    pt = point(c, 3, 2, 2, 9, head=HEADS[head], k=3)
    P = pt.params | pt.head_params
    s0 = {s: v[0] for s, v in pt.states0.items()}
    tr = engine.forward(
        P, pt.xs[:, 0], s0["h"], cell=key, output=HEADS[head].output,
        **({"c0": s0["c"]} if "c" in s0 else {}),
    )  # fmt: skip
    grads = engine.backward(tr, targets=pt.targets[:, 0])
    if cell == "mgu":
        want = numeric.head_loss(c, HEADS[head], P, pt.xs, pt.states0, pt.targets)[1].params
    else:
        want = loop_gradient(cell, head, P, pt.xs, pt.states0, pt.targets)
    for k in P:
        np.testing.assert_allclose(grads[k], want[k], rtol=1e-5, atol=1e-8, err_msg=k)


def test_exact_identity_with_a_head_on_the_last_step_only() -> None:
    u = unroll(CELLS["gru"], 2, 2, loss_at="last", head=HEADS["sigmoid_binary_cross_entropy"])
    assert u.dloss[0] == sp.zeros(2, 1)  # E = E_T: no free gradient at t = 1
    assert direct_equals_bptt(u) == []


PAIRS = [
    ("softmax", "cross_entropy"),
    ("identity", "squared_error"),
    ("sigmoid", "binary_cross_entropy"),
]


@pytest.mark.slow
@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize(("output", "loss"), PAIRS)
def test_symbptt_verify_passes_for_a_builtin_gated_cell_with_each_head(
    tmp_path: Path, cell: str, output: str, loss: str
) -> None:
    from click.testing import CliRunner

    from symbptt.cli import cli

    path = tmp_path / f"{cell}-{output}.yaml"
    path.write_text(
        f"name: x\ndescription: d\ncell: {cell}\noutput: {output}\nloss: {loss}\n"
        "sizes: {T: 2, n: 1, m: 2, k: 2}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["verify", str(path)])
    assert result.exit_code == 0, result.output
    assert "all passed" in result.output and "head " in result.output
