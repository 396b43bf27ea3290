"""`symbptt derive` on cells stated as data: a cell with no gate on its carried state (every
form, exit 0, no traceback), the carried gate as a record (state, gate, complemented, bias from
the gate's equation), sizes beyond the unrolled limit where no section unrolls, and --wrt V/c
without an output head. Expected values come from the cells' equations written here and from
central differences, never from the package's own output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from symbptt import catalog
from symbptt.cells import carousel, checks, jacobian
from symbptt.cells.jacobian import Factor, Term
from symbptt.cli import cli

EXAMPLES = catalog.DERIVATIONS_DIR / "examples"

PLAIN = """\
name: plaincell
description: A plain tanh cell stated as an equation, no gate.
source: test
cell:
  states: [h]
  equations:
    - 'a_t = U x_t + W h_{t-1} + b'
    - 'h_t = \\tanh(a_t)'
sizes: {T: 2, n: 2, m: 2}
"""


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cells") / "plain.yaml"
    path.write_text(PLAIN)
    return path


def derive(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, ["derive", *args])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    return r.exit_code, r.stdout, r.stderr


def test_derive_a_cell_without_a_gate_in_a_real_process(plain: Path) -> None:
    """The review's case: derive crashed (exit 1, a ValueError's traceback) where verify passed."""
    r = subprocess.run(
        [sys.executable, "-m", "symbptt", "derive", str(plain), "--format", "tex"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "symbptt: error" not in r.stderr
    assert r.stdout.startswith("\\documentclass") and r.stdout.rstrip().endswith("\\end{document}")


@pytest.mark.parametrize("form", ["all", "general", "bptt", "paths"])
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_every_form_of_a_cell_without_a_gate(plain: Path, form: str, fmt: str) -> None:
    code, out, err = derive(str(plain), "--form", form, "--format", fmt, "--no-checks")
    assert code == 0 and "Traceback" not in err, err
    assert out.strip()


def test_the_plain_cells_step_partial_is_the_vanilla_jacobian(plain: Path) -> None:
    """h_t = tanh(U x_t + W h_{t-1} + b): dh_t/dh_{t-1} = diag(1 - h_t^2) W (one state, so the
    step partial is the total), printed in the general form; its path sums at T = 2 name W."""
    code, out, _ = derive(str(plain), "--form", "all", "--format", "json", "--no-checks")
    assert code == 0
    steps = json.loads(out)["steps"]
    total = [s for s in steps if s["section"] == "Step partials"]
    assert [s["rhs"] for s in total] == [r"\operatorname{diag}\left(1 - h_{t}^{2}\right) W"]
    sums = [s for s in steps if s["section"].startswith("Path sums")]
    assert [s["lhs"] for s in sums] == [r"\frac{\partial E_{2}}{\partial W}"]


def test_derive_with_checks_on_a_cell_without_a_gate(plain: Path) -> None:
    code, out, err = derive(str(plain), "--format", "text")
    assert code == 0, err
    assert "derived: the total dh_t/dh_(t-1) (the only state, no gate on it)" in out


def test_the_plain_cells_total_check_compares_with_central_differences(
    plain: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The derived total against central differences: passes for diag(1 - h^2) W, fails for a
    wrong formula (W alone), so the row can fail."""
    cell = catalog.load(str(plain)).cell_def
    assert checks._total_alone(cell, "h", 2, 0).passed
    # independent: the Jacobian of one step written here, at the check's own point
    pt = checks.point(cell, 2, 2, 2, 0)
    P = pt.params
    h1 = np.tanh(P["U"] @ pt.xs[0, 0] + P["W"] @ pt.states0["h"][0] + P["b"])
    h2 = np.tanh(P["U"] @ pt.xs[1, 0] + P["W"] @ h1 + P["b"])
    by_hand = np.diag(1 - h2**2) @ P["W"]
    prev = {s: v[0] for s, v in pt.states0.items()}
    total, _ = carousel.total_step_jacobian(cell, "h", P, pt.xs[:, 0], prev)
    assert np.abs(total - by_hand).max() < 1e-8
    wrong = [Term(1, (Factor(None, "W"),))]
    monkeypatch.setattr(jacobian, "total_jacobian_terms", lambda c, s: wrong)
    assert not checks._total_alone(cell, "h", 2, 0).passed


def test_a_genuinely_bad_input_exits_2_without_traceback(plain: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = PLAIN.replace("h_t = \\tanh(a_t)", "h_t = \\tanh(q_t)")  # q_t is never defined
    assert text != PLAIN
    bad.write_text(text)
    r = subprocess.run(
        [sys.executable, "-m", "symbptt", "derive", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2 and r.stderr.startswith("symbptt: error:"), r.stderr
    assert "Traceback" not in r.stderr
    for args in (("--wrt", "Q"), ("--T", "0"), ("--form", "direct")):
        code, _, err = derive(str(plain), *args, "--no-checks")
        assert code == 2 and err.startswith("symbptt: error:") and "Traceback" not in err, args


# The carried gate as a record, read from the cell's equations (the gates and biases here are
# what each text writes: f_t = sigma(... + b_f), z_t = sigma(... + b_z); the MGU's update enters
# as (1 - z_t) h_{t-1}).
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("lstm", ("c", "f", False, "b_f")),
        ("homework3-lstm", ("C", "f", False, "b_f")),
        ("gru", ("h", "z", False, "b_z")),
        ("gru-reset-before", ("h", "z", False, "b_z")),
        (str(EXAMPLES / "mgu.yaml"), ("h", "z", True, "b_z")),
        (str(EXAMPLES / "lstm-softmax.yaml"), ("c", "f", False, "b_f")),
        (str(EXAMPLES / "peephole-lstm.yaml"), ("c", "f", False, "b_f")),
    ],
)
def test_carried_gate_is_a_record(name: str, expected: tuple) -> None:
    got = carousel.carried_state(catalog.load(name).cell_def)
    assert (got.state, got.gate, got.complemented, got.bias) == expected
    assert got.written == ("1 - " if expected[2] else "") + expected[1]


def test_a_cell_without_a_gate_has_no_carried_gate(plain: Path) -> None:
    cell = catalog.load(str(plain)).cell_def
    assert carousel.carried_gate(cell) is None
    with pytest.raises(ValueError, match="no state with a diag"):
        carousel.carried_state(cell)


def test_the_gate_bias_comes_from_the_equation_not_the_name(tmp_path: Path) -> None:
    """A gate named z whose bias is called c_z: found inside sigma(...), not by 'b_' + gate."""
    path = tmp_path / "mgu2.yaml"
    text = (
        (EXAMPLES / "mgu.yaml").read_text().replace("b_z", "c_z").replace("name: mgu", "name: mgu2")
    )
    path.write_text(text)
    got = carousel.carried_state(catalog.load(str(path)).cell_def)
    assert (got.gate, got.complemented, got.bias) == ("z", True, "c_z")


# Sizes: the sections that hold for every T need no unrolling.
@pytest.mark.parametrize("args", [("--T", "5"), ("--n", "100"), ("--T", "50", "--n", "20")])
@pytest.mark.parametrize("form", ["bptt", "general"])
def test_forms_that_do_not_unroll_take_any_size_without_checks(args: tuple, form: str) -> None:
    code, out, err = derive("lstm", *args, "--form", form, "--no-checks", "--format", "tex")
    assert code == 0, err
    assert r"\delta" in out  # the reverse step is there


def test_the_checks_beyond_the_limit_run_what_scales_and_name_the_rest() -> None:
    code, out, err = derive("lstm", "--T", "5", "--form", "bptt")
    assert code == 0, err
    out = " ".join(out.split())  # the terminal text wraps lines
    assert "central differences" in out and "T = 5, n = 2" in out
    assert "Checks not run at T = 5, n = 2 (unrolled forms stop at T<=3, n<=2" in out
    assert "symbptt verify runs them at --T 3 --n 2" in out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--T", "5"), "T=5 is too large for a gated cell's path sums (--form all)"),
        (("--n", "100", "--form", "paths"), "n=100 is too large for a gated cell's path sums"),
        (("--T", "4", "--n", "3", "--no-checks"), "T=4 and n=3 are too large"),
    ],
)
def test_the_path_sums_need_the_unrolled_limit(args: tuple, says: str) -> None:
    code, _, err = derive("lstm", *args)
    assert code == 2 and err.startswith("symbptt: error:") and says in err, err
    assert "T<=3, n<=2" in err and "--form general" in err


def test_checks_beyond_their_own_bound_say_so() -> None:
    code, _, err = derive("lstm", "--T", "100000", "--form", "general")
    assert code == 2 and "too large to check" in err and "--no-checks" in err


@pytest.mark.parametrize("key", ["V", "c"])
def test_wrt_head_parameters_without_a_head(key: str) -> None:
    code, _, err = derive("gru", "--wrt", key, "--no-checks")
    assert code == 2 and err.startswith("symbptt: error:"), err
    assert "exist only with an output head" in err and "output and loss" in err


def test_wrt_head_parameters_with_a_head() -> None:
    code, out, err = derive(
        str(EXAMPLES / "lstm-softmax.yaml"), "--wrt", "V", "--no-checks", "--format", "tex"
    )
    assert code == 0, err
    assert r"\frac{\partial E}{\partial V}" in out


def test_the_flow_figure_shifts_the_bias_found_in_the_gate_equation(tmp_path: Path) -> None:
    """The MGU with its update's bias called c_z: the figure's bias shift finds c_z (the old
    'b_' + gate lookup found none) and shifts it down, since diag(1 - z) opens as z -> 0."""
    from symbptt.site import gated_plots

    path = tmp_path / "mgu2.yaml"
    text = (
        (EXAMPLES / "mgu.yaml").read_text().replace("b_z", "c_z").replace("name: mgu", "name: mgu2")
    )
    path.write_text(text)
    model = catalog.load(str(path))
    fig = gated_plots.flow_figure(model, carousel.carried_state(model.cell_def), gate_bias=4.0)
    assert "c_z shifted by -4" in fig.caption and "diag(1 - z_i)" in fig.caption
