"""A cell stated as LaTeX in a derivation file (`cell: {states, equations}`): loading with errors
that name file:line, equation and symbol; verify, derive, the engine and the site on such a cell.
Expected numbers come from loop code written here from the same equations and from central
differences, never from the package's own output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from symbptt import catalog, engine
from symbptt.cli import cli
from symbptt.errors import DerivationFileError, InputError
from symbptt.model import USER_CELL

EXAMPLES = catalog.DERIVATIONS_DIR / "examples"


def _sig(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _mgu_loop(P: dict[str, np.ndarray], xs: np.ndarray) -> np.ndarray:
    """h_1..h_T of the minimal gated unit, written from derivations/examples/mgu.yaml."""
    h = np.zeros(P["W"].shape[0])
    out = []
    for x in xs:
        z = _sig(P["W_z"] @ h + P["U_z"] @ x + P["b_z"])
        ht = np.tanh(P["W"] @ h + P["U"] @ x + P["b"])
        h = (1 - z) * h + z * ht
        out.append(h)
    return np.array(out)


def _central(f, P: dict[str, np.ndarray], eps: float = 1e-6) -> dict[str, np.ndarray]:
    out = {}
    for k, v in P.items():
        g = np.zeros_like(v)
        for idx in np.ndindex(v.shape):
            up, dn = {**P, k: v.copy()}, {**P, k: v.copy()}
            up[k][idx] += eps
            dn[k][idx] -= eps
            g[idx] = (f(up) - f(dn)) / (2 * eps)
        out[k] = g
    return out


def _params(n: int, m: int, k: int = 0, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    shapes = {"W_z": (n, n), "U_z": (n, m), "b_z": (n,), "W": (n, n), "U": (n, m), "b": (n,)}
    if k:
        shapes |= {"V": (k, n), "c": (k,)}
    return {key: rng.normal(0, 0.6, size=s) for key, s in shapes.items()}


# ---------------------------------------------------------------------- the shipped examples


def test_examples_load_as_user_cells() -> None:
    mgu = catalog.load(EXAMPLES / "mgu.yaml")
    assert mgu.cell == USER_CELL and mgu.is_gated
    assert mgu.cell_def is mgu.user_cell and mgu.cell_def.states == ("h",)
    assert set(mgu.cell_def.param_keys) == {"W_z", "U_z", "b_z", "W", "U", "b"}
    peep = catalog.load(EXAMPLES / "peephole-lstm.yaml")
    assert peep.cell_def.states == ("h", "c")
    assert peep.cell_def.param("P_o").shape == ("n",)
    assert {e.name for e in catalog.example_entries()} == {"mgu", "peephole-lstm", "lstm-softmax"}
    # the built-in names still name built-in cells, and the examples are not among them
    assert catalog.load("lstm").cell_def.name == "lstm"
    assert not {"mgu", "peephole-lstm"} & set(catalog.builtin_names(gated=True))


def test_verify_mgu_file_exit_0() -> None:
    result = CliRunner().invoke(cli, ["verify", str(EXAMPLES / "mgu.yaml")])
    assert result.exit_code == 0, result.output
    assert "all passed" in result.output.splitlines()[-1]


@pytest.mark.slow
def test_verify_peephole_file_exit_0() -> None:
    result = CliRunner().invoke(cli, ["verify", str(EXAMPLES / "peephole-lstm.yaml")])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("fmt", ["text", "tex", "markdown", "json"])
def test_derive_mgu_file_in_every_format(fmt: str) -> None:
    result = CliRunner().invoke(
        cli, ["derive", str(EXAMPLES / "mgu.yaml"), "--format", fmt, "--no-checks"]
    )
    assert result.exit_code == 0, result.output
    assert "W_z" in result.output or "W_{z}" in result.output


# ---------------------------------------------------------------------- the engine


def test_engine_runs_a_file_cell_as_its_equations() -> None:
    cell = catalog.load(EXAMPLES / "mgu.yaml").cell_def
    P = _params(3, 2)
    xs = np.random.default_rng(1).normal(size=(4, 2))
    tr = engine.forward(P, xs, cell=cell, output=None)
    np.testing.assert_allclose(tr.h, _mgu_loop(P, xs), rtol=1e-12, atol=1e-12)
    a = np.random.default_rng(2).normal(size=(4, 3))  # E = sum_t <a_t, h_t>
    g = engine.backward(tr, dh=a)
    fd = _central(lambda p: float((_mgu_loop(p, xs) * a).sum()), P)
    for k in P:
        np.testing.assert_allclose(g[k], fd[k], rtol=1e-6, atol=1e-8, err_msg=k)


def test_engine_file_cell_with_softmax_head_and_targets() -> None:
    cell = catalog.load(EXAMPLES / "mgu.yaml").cell_def
    P = _params(2, 2, k=3, seed=3)
    xs = np.random.default_rng(4).normal(size=(3, 2))
    ys = np.array([0, 2, 1])

    def loss(p: dict[str, np.ndarray]) -> float:  # cross-entropy of softmax(V h_t + c)
        total = 0.0
        for h, y in zip(_mgu_loop(p, xs), ys, strict=True):
            z = p["V"] @ h + p["c"]
            total += -(z[y] - np.log(np.exp(z).sum()))
        return total

    tr = engine.forward(P, xs, cell=cell)
    assert engine.loss(tr, ys) == pytest.approx(loss(P), rel=1e-12)
    g = engine.backward(tr, targets=ys)
    fd = _central(loss, P)
    for k in P:
        np.testing.assert_allclose(g[k], fd[k], rtol=1e-6, atol=1e-8, err_msg=k)
    with pytest.raises(InputError, match="truncate is not available"):
        engine.backward(tr, targets=ys, truncate=1)


def test_engine_still_refuses_a_changed_builtin() -> None:
    from symbptt.cells.builtin import rnn

    with pytest.raises(InputError, match="is not the built-in 'rnn'"):
        engine.forward({"U": np.eye(2), "W": np.eye(2)}, np.ones((2, 2)), cell=rnn("relu"))


# ---------------------------------------------------------------------- errors, one by one

_HEAD = """name: u
description: a test cell
cell:
  states: [{states}]
  equations:
{equations}
{extra}symbols: {{loss: L, step_loss: L}}
output: none
loss: generic
"""


def _write(tmp_path: Path, eqs: list[str], states: str = "h", extra: str = "") -> Path:
    body = "\n".join(f"    - '{e}'" for e in eqs)
    path = tmp_path / "my.yaml"
    path.write_text(_HEAD.format(states=states, equations=body, extra=extra), encoding="utf-8")
    return path


OK = r"h_t = \tanh(W h_{t-1} + U x_t + b)"
# (case, equations, states, extra lines, line of the error, words the message must hold)
ERRORS = [
    ("undefined symbol", [r"h_t = \tanh(W h_{t-1} + U x_t + q_t)"], "h", "", 6,
     ["q_t", "not defined", r"h_t = \\tanh(W h_{t-1} + U x_t + q_t)"]),
    ("shape stated differs", [OK], "h", "  parameters: {W: [n, m]}\n", 6,
     ["parameter W", "(n, m)", "(n, n)"]),
    ("one parameter in two shapes", [r"h_t = \tanh(W h_{t-1} + W x_t)"], "h", "", 6,
     ["parameter W", "two shapes"]),
    ("state never updated", [OK], "h, c", "", 4, ["state c", "never updated"]),
    ("defined twice", [OK, r"h_t = \tanh(U x_t + W h_{t-1})"], "h", "", 7,
     ["h is defined twice", "my.yaml:6"]),
    ("cycle within one step", [r"a_t = \sigma(W h_{t-1} + V g_t)",
                               r"g_t = \tanh(U x_t + R a_t)", r"h_t = a_t \odot g_t"], "h", "",
     6, ["g_t", "cycle within one step"]),
    ("defined by itself", [r"h_t = \tanh(W h_t + U x_t)"], "h", "", 6,
     ["defined by itself", "h at t-1"]),
    ("unknown function", [r"h_t = \mathrm{softplus}(W h_{t-1} + U x_t)"], "h", "", 6,
     ["unknown function softplus", "functions"]),
    ("unknown function letter", [r"h_t = g(W h_{t-1} + U x_t)"], "h", "", 6,
     ["unknown function g"]),
    ("no dependence on the previous state", [r"h_t = \tanh(U x_t + b)"], "h", "", 6,
     ["does not depend on any state at t-1"]),
    ("unknown key", [OK], "h", "  gates: [z]\n", 7,
     ["cell.gates", "unknown key", "states, equations, parameters, functions"]),
    ("a t-1 quantity that is no state", [r"h_t = \tanh(W h_{t-1} + U x_t + V c_{t-1})"], "h",
     "", 6, ["c_{t-1}", "not a state"]),
    ("a shape that is none", [OK], "h", "  parameters: {W: [m, m]}\n", 7,
     ["cell.parameters.W", "[n, n]"]),
    ("a function mapped to an unknown one", [r"h_t = g(W h_{t-1} + U x_t)"], "h",
     "  functions: {g: softplus}\n", 3, ["softplus", "expected one of"]),
]  # fmt: skip


@pytest.mark.parametrize(("case", "eqs", "states", "extra", "line", "words"), ERRORS,
                         ids=[e[0] for e in ERRORS])  # fmt: skip
def test_file_errors_name_file_line_equation_and_symbol(
    tmp_path: Path, case: str, eqs: list[str], states: str, extra: str, line: int, words: list
) -> None:
    path = _write(tmp_path, eqs, states, extra)
    with pytest.raises(DerivationFileError) as info:
        catalog.load(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}:{line}:"), msg
    for w in words:
        assert w.replace("\\\\", "\\") in msg, (w, msg)


def test_a_mapped_function_is_accepted(tmp_path: Path) -> None:
    path = _write(tmp_path, [r"h_t = g(W h_{t-1} + U x_t)"], extra="  functions: {g: tanh}\n")
    cell = catalog.load(path).cell_def
    P = {"W": np.array([[0.5, -0.2], [0.1, 0.3]]), "U": np.array([[1.0, 0.0], [0.2, -0.4]])}
    xs = np.array([[0.3, -0.7], [1.1, 0.2]])
    h = np.zeros(2)
    for x in xs:  # h_t = tanh(W h_{t-1} + U x_t)
        h = np.tanh(P["W"] @ h + P["U"] @ x)
    tr = engine.forward(P, xs, cell=cell, output=None)
    np.testing.assert_allclose(tr.h[-1], h, rtol=1e-12)


def test_cli_error_is_exit_2_without_traceback(tmp_path: Path) -> None:
    path = _write(tmp_path, [r"h_t = \tanh(U x_t + b)"])
    result = CliRunner().invoke(cli, ["verify", str(path)])
    assert result.exit_code == 2
    assert "symbptt: error:" in result.output and "Traceback" not in result.output
    assert f"{path}:6" in result.output


def test_a_user_cell_file_refuses_top_level_parameters(tmp_path: Path) -> None:
    path = _write(tmp_path, [OK], extra="parameters: {recurrent: W}\n")
    with pytest.raises(DerivationFileError, match="the cell names its own parameters"):
        catalog.load(path)


# ---------------------------------------------------------------------- notation keys

_VANILLA = """name: v
description: a vanilla file
parameters: {{input: U, recurrent: W}}
{extra}output: none
loss: generic
"""
NOTATION_ERRORS = [
    ("time as '(t)'", "symbols:\n  time: '(t)'\n", 5,
     ["symbols.time", "'(t)'", "time_index: superscript"]),
    ("time as two letters", "symbols:\n  time: tt\n", 5, ["symbols.time", "one letter"]),
    ("steps as an expression", "symbols:\n  steps: 'T+1'\n", 5, ["symbols.steps"]),
    ("time_index unknown", "time_index: above\n", 4, ["time_index", "superscript"]),
    ("term_order unknown", "term_order: bias_last\n", 4, ["term_order", "bias_first"]),
    ("activation_derivative unknown", "activation_derivative: chain\n", 4,
     ["activation_derivative", "'output'"]),
    ("gradient_style unknown", "gradient_style: del\n", 4, ["gradient_style", "'nabla'"]),
    ("state_gradient with a local delta", "delta: step_state\nstate_gradient: true\n", 5,
     ["state_gradient", "delta: net"]),
    ("activation_derivative output with relu", "activation: relu\nactivation_derivative: output\n",
     5, ["activation_derivative", "'relu' has no such form"]),
]  # fmt: skip


@pytest.mark.parametrize(("case", "extra", "line", "words"), NOTATION_ERRORS,
                         ids=[e[0] for e in NOTATION_ERRORS])  # fmt: skip
def test_a_notation_key_the_format_cannot_honour_is_refused(
    tmp_path: Path, case: str, extra: str, line: int, words: list
) -> None:
    path = tmp_path / "v.yaml"
    path.write_text(_VANILLA.format(extra=extra), encoding="utf-8")
    with pytest.raises(DerivationFileError) as info:
        catalog.load(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}:{line}:"), msg
    for w in words:
        assert w in msg, (w, msg)


def test_superscript_time_and_tau_print_in_a_users_file(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    extra = (
        "symbols:\n  time: t\n  steps: '\\tau'\ntime_index: superscript\nterm_order: bias_first\n"
    )
    path.write_text(_VANILLA.format(extra=extra).replace("recurrent: W}", "recurrent: W, "
                    "hidden_bias: b}"), encoding="utf-8")  # fmt: skip
    result = CliRunner().invoke(cli, ["derive", str(path), "--format", "tex", "--no-checks"])
    assert result.exit_code == 0, result.output
    flat = "".join(result.output.replace("\\left", "").replace("\\right", "").split())
    flat = flat.replace("{", "").replace("}", "")
    assert "net^(t)&=b+Wh^(t-1)+Ux^(t)" in flat and "\\sum_t=1^\\tau" in flat
    assert "h_(t)-1" not in flat and "h_t-1" not in flat


# ---------------------------------------------------------------------- check on a user cell


def test_check_judges_answers_about_a_user_cell(tmp_path: Path) -> None:
    # by hand: b enters h_1 only through h~_1, so dh_1/db = diag(z_1 (.) (1 - h~_1^2))
    P = _params(2, 2, seed=7)
    x = np.random.default_rng(8).normal(size=(1, 2))
    z = _sig(P["U_z"] @ x[0] + P["b_z"])
    ht = np.tanh(P["U"] @ x[0] + P["b"])
    eps, fd = 1e-6, np.zeros((2, 2))
    for j in range(2):
        up, dn = {**P, "b": P["b"].copy()}, {**P, "b": P["b"].copy()}
        up["b"][j] += eps
        dn["b"][j] -= eps
        fd[:, j] = (_mgu_loop(up, x)[0] - _mgu_loop(dn, x)[0]) / (2 * eps)
    np.testing.assert_allclose(fd, np.diag(z * (1 - ht**2)), atol=1e-8)
    assert np.abs(fd - np.diag(1 - ht**2)).max() > 1e-2
    answers = tmp_path / "a.yaml"
    answers.write_text(
        f"model: {EXAMPLES / 'mgu.yaml'}\nanswers:\n"
        "  - id: right\n    for: 't = 1'\n    answer: '\\frac{\\partial h_t}{\\partial b} = "
        "\\operatorname{diag}\\left(z_t \\odot (1 - \\tilde{h}_t^2)\\right)'\n"
        "  - id: gate-missing\n    for: 't = 1'\n    answer: '\\frac{\\partial h_t}{\\partial b} = "
        "\\operatorname{diag}\\left(1 - \\tilde{h}_t^2\\right)'\n",
        encoding="utf-8",
    )
    out = CliRunner().invoke(cli, ["check", str(answers)]).output
    assert "right: CORRECT" in out and "gate-missing: WRONG" in out, out


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mgu", "peephole-lstm"])
def test_derived_latex_of_the_examples_compiles(tmp_path: Path, name: str) -> None:
    from conftest import compile_latex

    out = tmp_path / f"{name}.tex"
    result = CliRunner().invoke(cli, ["derive", str(EXAMPLES / f"{name}.yaml"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    code, log = compile_latex(out.read_text(encoding="utf-8"), tmp_path / "build")
    assert code == 0, log[-2000:]


@pytest.mark.parametrize(
    ("extra", "key"),
    [("time_index: superscript\n", "time_index"), ("term_order: bias_first\n", "term_order"),
     ("activation_derivative: output\n", "activation_derivative")],
)  # fmt: skip
def test_a_gated_file_refuses_notation_its_printer_cannot_honour(
    tmp_path: Path, extra: str, key: str
) -> None:
    path = _write(tmp_path, [OK], extra=extra)
    with pytest.raises(DerivationFileError, match=f"key '{key}'.*does not print this notation"):
        catalog.load(path)


def test_engine_batches_a_file_cell_like_the_loop() -> None:
    cell = catalog.load(EXAMPLES / "mgu.yaml").cell_def
    P = _params(2, 3, seed=11)
    rng = np.random.default_rng(12)
    xs, h0 = rng.normal(size=(3, 4, 3)), rng.normal(size=2)
    a = rng.normal(size=(3, 4, 2))
    tr = engine.forward(P, xs, h0, cell=cell, output=None)
    g = engine.backward(tr, dh=a)

    def loop(h0v: np.ndarray, b: int) -> np.ndarray:  # the three equations, row b, from h0v
        h, out = h0v, []
        for x in xs[:, b]:
            z = _sig(P["W_z"] @ h + P["U_z"] @ x + P["b_z"])
            h = (1 - z) * h + z * np.tanh(P["W"] @ h + P["U"] @ x + P["b"])
            out.append(h)
        return np.array(out)

    for b in range(4):
        np.testing.assert_allclose(tr.h[:, b], loop(h0, b), rtol=1e-12)
    eps, fd = 1e-6, np.zeros(2)  # the shared h0 moves every row: dE/dh0 sums them
    for j in range(2):
        e = np.eye(2)[j] * eps
        fd[j] = sum(((loop(h0 + e, b) - loop(h0 - e, b)) * a[:, b]).sum() for b in range(4))
    np.testing.assert_allclose(g["h0"], fd / (2 * eps), rtol=1e-6, atol=1e-9)


def test_engine_says_what_a_file_cell_needs() -> None:
    cell = catalog.load(EXAMPLES / "mgu.yaml").cell_def
    P = _params(2, 2)
    with pytest.raises(InputError, match="needs the head's params 'V'.*output=None"):
        engine.forward(P, np.ones((2, 2)), cell=cell)
    with pytest.raises(InputError, match="params has 'Q', not a parameter of cell 'mgu'"):
        engine.forward({**P, "Q": np.eye(2)}, np.ones((2, 2)), cell=cell, output=None)


def test_a_user_cell_with_a_head_verifies(tmp_path: Path) -> None:
    """A cell stated in the file combines with a head (issue 10): identity + squared error."""
    from symbptt.verify import run_checks

    text = (EXAMPLES / "mgu.yaml").read_text(encoding="utf-8")
    text = text.replace("output: none", "output: identity").replace(
        "loss: generic", "loss: squared_error"
    )
    path = tmp_path / "mgu-se.yaml"
    path.write_text(text, encoding="utf-8")
    model = catalog.load(path)
    assert (model.cell, model.output, model.loss) == ("user", "identity", "squared_error")
    report = run_checks(model, 2, 1)
    assert all(c.passed for c in report.checks), [c.name for c in report.checks if not c.passed]
    assert any("head identity + squared error" in c.name for c in report.checks)
