"""verify: every shipped derivation passes at its default sizes; known mistakes are caught."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest

from symbptt.catalog import builtin_names, load
from symbptt.errors import InputError
from symbptt.symbolic import gradients as G
from symbptt.symbolic import unroll
from symbptt.verify import (
    TOLERANCE,
    Check,
    check_delta_definitions,
    check_direct_equals_bptt,
    check_direct_equals_paths,
    check_engine,
    check_finite_differences,
    check_gated_sizes,
    check_sizes,
    check_step_lemma,
    max_unrolled_T,
    run_checks,
)

#: One derivation in the quick subset; the others (a few seconds each) run in the full suite.
QUICK = "elman"


def _quick_first(names: list[str]) -> list[object]:
    return [n if n == QUICK else pytest.param(n, marks=pytest.mark.slow) for n in names]


@pytest.mark.parametrize("name", _quick_first(builtin_names()))
def test_every_shipped_derivation_passes_at_its_default_sizes(name: str) -> None:
    model = load(name)
    report = run_checks(model, model.sizes.T, model.sizes.n)
    failed = [(c.name, c.detail) for c in report.checks if not c.passed]
    assert failed == []
    forms = {c.form for c in report.checks}
    assert {"(a)=(b)", "(a)=(c)", "delta", "(a)", "(b)", "(c)", "step lemma"} <= forms
    for c in report.checks:
        if c.form in ("(a)", "(b)", "(c)") and c.max_error is not None:
            assert c.max_error < TOLERANCE
    assert (report.T, report.n) == (model.sizes.T, model.sizes.n)
    if name == "course-notes":
        assert any("upstream case" in c.name for c in report.checks)


def test_dropped_recursive_term_is_caught_exactly_and_numerically() -> None:
    model = load("elman")
    ug, uc = unroll(model, 3, 2, generic=True), unroll(model, 3, 2)
    exact = check_direct_equals_bptt(ug, variant="drop_recursive")
    assert not exact.passed and exact.max_error is not None and exact.max_error > 1e-3
    assert "differ" in exact.detail
    assert not check_delta_definitions(ug, variant="drop_recursive").passed
    for check in (
        check_engine(uc, "(b)", variant="drop_recursive"),
        check_finite_differences(uc, variant="drop_recursive"),
    ):
        assert not check.passed
        assert check.max_error is not None and check.max_error > 1e-4


def test_dl4nlp_wrong_index_is_caught() -> None:
    model = load("dl4nlp")
    ug, uc = unroll(model, 3, 2, generic=True), unroll(model, 3, 2)
    assert not check_direct_equals_bptt(ug, variant="wrong_index").passed
    assert not check_delta_definitions(ug, variant="wrong_index").passed
    assert not check_engine(uc, "(b)", variant="wrong_index").passed


def test_sizes_out_of_range_name_the_limit_and_the_form_that_scales() -> None:
    assert max_unrolled_T(2) == 11 and max_unrolled_T(3) == 6 and max_unrolled_T(8) == 3
    with pytest.raises(InputError, match=r"T=50 is too large.*limit T<=11 at n=2.*step-lemma"):
        check_sizes(50, 2)
    with pytest.raises(InputError, match=r"n=9 is too large.*limit n<=8"):
        check_sizes(3, 9)
    with pytest.raises(InputError, match="T must be a whole number"):
        check_sizes(0, 2)
    with pytest.raises(InputError, match=r"T=5000, n=2 is too large to check"):
        run_checks(load("elman"), 5000, 2)  # T=50 now runs the scaling checks


def test_missing_step_lemma_is_a_failed_check_not_a_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "symbptt.symbolic.steplemma", None)  # import -> ImportError
    check = check_step_lemma(load("elman"), 2)
    assert not check.passed
    assert check.max_error is None
    assert "not available" in check.detail


def test_report_json_shape() -> None:
    report = run_checks(load("tutorial"), 2, 1)
    data = report.as_json()
    assert (data["model"], data["T"], data["n"]) == ("tutorial", 2, 1)
    for row in data["checks"]:
        assert set(row) == {"name", "passed", "max_error", "seconds", "form"}
    assert report.passed


@pytest.mark.parametrize("name", _quick_first(builtin_names()))
def test_exact_identities_for_every_T_up_to_4_and_n_up_to_3(name: str) -> None:
    # issue 3: (a) = (b) = (c) for a generic f and L_t, every T <= 4 and n <= 3
    model = load(name)
    for T in range(1, 5):
        for n in range(1, 4):
            ug = unroll(model, T, n, generic=True)
            for check in (check_direct_equals_bptt(ug), check_direct_equals_paths(ug)):
                assert check.passed, (T, n, check.name, check.detail)


def _step_state_with_output(tmp_path: Path, output: str, loss: str) -> Path:
    """dl4nlp's file with the reviewer's edits: a local delta dE_t/dh_t and an output layer V."""
    text = (Path(__file__).parents[1] / "derivations" / "dl4nlp.yaml").read_text()
    edits = {"activation: tanh": "activation: relu", "output: softmax": f"output: {output}",
             "loss: cross_entropy": f"loss: {loss}", "delta: per_step": "delta: step_state"}  # fmt: skip
    for old, new in edits.items():
        assert f"\n{old}\n" in text, old
        text = text.replace(f"\n{old}\n", f"\n{new}\n")
    path = tmp_path / "m.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("output", "loss"), [("identity", "squared_error"), ("softmax", "cross_entropy")]
)
def test_step_state_delta_with_an_output_layer(tmp_path: Path, output: str, loss: str) -> None:
    # the local delta is dE_t/dh_t through z_t = V h_t (+ c), not d/dh_t of E_t written in z_t (= 0)
    model = load(_step_state_with_output(tmp_path, output, loss))
    assert model.delta == "step_state" and model.has_output_layer
    report = run_checks(model, 3, 2)
    assert [(c.name, c.detail) for c in report.checks if not c.passed] == []
    assert any(c.form == "delta" and "(local)" in c.name for c in report.checks)
    for generic in (True, False):
        check = check_delta_definitions(unroll(model, 2, 2, generic=generic))
        assert check.passed, (generic, check.detail)


@pytest.mark.parametrize("scale", [0, 2])
def test_step_state_local_delta_that_is_off_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scale: int
) -> None:
    # only the local deltas are changed (dE/ds_t and the gradients stay right): 0 is what
    # differentiating E_t written in z_t gives, 2x a plain error; the truth is dE_t/dh_t through V
    model = load(_step_state_with_output(tmp_path, "identity", "squared_error"))
    real = G.bptt

    def off(u, role, *, variant="correct"):
        b = real(u, role, variant=variant)
        return dataclasses.replace(b, deltas=[scale * d for d in b.deltas])

    monkeypatch.setattr(G, "bptt", off)
    for generic in (True, False):
        check = check_delta_definitions(unroll(model, 2, 2, generic=generic))
        assert not check.passed and check.detail.startswith("delta_1: "), check.detail


# ---------------------------------------------------------------------- gated cells

GATED = ["lstm", "homework3-lstm", "gru", "gru-reset-before"]


@pytest.fixture(scope="module")
def gated_reports() -> dict[str, object]:
    """Each gated derivation verified once per test module, at its default sizes."""
    out = {}
    for name in GATED:
        model = load(name)
        out[name] = run_checks(model, model.sizes.T, model.sizes.n)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", GATED)
def test_every_gated_derivation_passes(name: str, gated_reports: dict[str, object]) -> None:
    report = gated_reports[name]
    failed = [(c.name, c.detail) for c in report.checks if not c.passed]  # type: ignore[attr-defined]
    assert failed == []
    forms = [c.form for c in report.checks]  # type: ignore[attr-defined]
    assert {"(a)=(b)", "step lemma", "(b)", "derived"} <= set(forms)
    names = " ".join(c.name for c in report.checks)  # type: ignore[attr-defined]
    state = {"lstm": "c", "homework3-lstm": "C"}.get(name, "h")
    gate = "f" if "lstm" in name else "z"
    what = (
        f"the step partial d{state}_t/d{state}_(t-1) (the other states at t-1 and x_t fixed)"
        if "lstm" in name
        else f"the direct term of d{state}_t/d{state}_(t-1) (the gates held fixed)"
    )
    assert f"{what} = diag({gate})_t" in names
    if "lstm" in name:
        assert f"along the direct path = prod_(i=k+1..t) diag({gate}_i)" in names


def test_gated_cells_are_in_the_catalog_but_not_in_the_vanilla_names() -> None:
    assert not set(GATED) & set(builtin_names())
    assert set(GATED) <= set(builtin_names(gated=True))
    for name in GATED:
        model = load(name)
        assert model.is_gated and model.cell_def.name == name
        assert model.sizes.T <= 3 and model.sizes.n <= 2


def test_gated_sizes_are_limited_with_a_message() -> None:
    # the unrolled forms' limit (derive keeps it; run_checks goes on with the scaling checks)
    with pytest.raises(InputError, match=r"T=4 is too large for a gated cell.*T<=3"):
        check_gated_sizes(4, 2)
    with pytest.raises(InputError, match=r"n=3 is too large for a gated cell.*n<=2"):
        check_gated_sizes(2, 3)


def test_gated_derivation_file_errors_name_the_key(tmp_path: Path) -> None:
    from symbptt.catalog import load_file
    from symbptt.errors import DerivationFileError

    base = "name: x\ndescription: d\ncell: lstm\noutput: none\nloss: generic\n"
    path = tmp_path / "p.yaml"
    path.write_text(base + "parameters:\n  input: U\n", encoding="utf-8")
    with pytest.raises(DerivationFileError, match=r"p.yaml:6.*names its own parameters"):
        load_file(path)
    path.write_text(base.replace("output: none", "output: softmax"), encoding="utf-8")
    with pytest.raises(DerivationFileError, match="a gated cell takes output 'none'"):
        load_file(path)
    path.write_text(base.replace("cell: lstm", "cell: peephole"), encoding="utf-8")
    with pytest.raises(DerivationFileError, match="cell is 'peephole'; expected one of rnn, lstm"):
        load_file(path)


def test_list_shows_the_gated_derivations() -> None:
    from click.testing import CliRunner

    from symbptt.cli import cli

    listed = CliRunner().invoke(cli, ["list"])
    assert listed.exit_code == 0
    assert all(name in listed.output for name in GATED)


@pytest.mark.slow
def test_cli_verify_gru_reset_before_exits_0() -> None:
    from click.testing import CliRunner

    from symbptt.cli import cli

    result = CliRunner().invoke(cli, ["verify", "gru-reset-before", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["model"] == "gru-reset-before" and all(c["passed"] for c in data["checks"])


# ---------------------------------------------------------------------- one row type; stand-ins


def test_every_check_is_one_row_type() -> None:
    """verify.Check, cells.checks.Outcome and the scaling checks' rows are the one CheckRow."""
    from symbptt.cells import checks as cells_checks
    from symbptt.checkrow import CheckRow

    assert Check is CheckRow and cells_checks.Outcome is CheckRow
    for model, T, n in ((load("homework3"), 2, 2), (load("gru"), 2, 1), (load("elman"), 40, 3)):
        report = run_checks(model, T, n)
        assert report.checks and all(type(c) is CheckRow for c in report.checks)
        assert all(c.label for c in report.checks), (
            model.name
        )  # every row names itself for documents


@pytest.mark.parametrize(
    ("output", "engine_rows"), [("sigmoid", False), ("identity", True), ("softmax", False)]
)
def test_a_generic_loss_on_an_output_layer_runs_as_squared_error(
    tmp_path: Path, output: str, engine_rows: bool
) -> None:
    """The head table's stand-in: 1/2 ||yhat - y||^2 on the file's output. The engine runs it
    only on the identity output (its error term yhat - y); elsewhere every form is checked
    against central differences instead, and the report still passes."""
    text = (Path(__file__).parents[1] / "derivations" / "elman.yaml").read_text()
    for old, new in (
        ("output: softmax", f"output: {output}"),
        ("loss: cross_entropy", "loss: generic"),
    ):
        assert f"\n{old}\n" in text, old
        text = text.replace(f"\n{old}\n", f"\n{new}\n")
    path = tmp_path / "stand-in.yaml"
    path.write_text(text)
    report = run_checks(load(path), 2, 2)
    assert [(c.name, c.detail) for c in report.checks if not c.passed] == []
    engine = [c for c in report.checks if "vs engine" in c.name and "upstream" not in c.name]
    central = [c for c in report.checks if "central differences" in c.name]
    if engine_rows:
        assert [c.form for c in engine] == ["(b)", "(a)", "(c)"] and len(central) == 1
        assert all(f"{output} + squared-error stand-in" in c.name for c in engine)
    else:
        assert engine == [] and [c.form for c in central] == ["(b)", "(a)", "(c)"]


def test_random_targets_are_what_each_loss_reads() -> None:
    """Cross-entropy reads a class (a one-hot row), binary cross-entropy 0/1 labels, squared
    error (and its stand-in) any reals: the head table's draw for each model."""
    import numpy as np

    from symbptt.verify.stand_ins import sample_targets

    def draw(name: str) -> np.ndarray:
        return sample_targets(load(name), np.random.default_rng(3), 50, 3)

    ce, bce = draw("elman"), draw("blog")
    assert ce.shape == (50, 3) and set(np.unique(ce)) == {0.0, 1.0}
    assert (ce.sum(axis=1) == 1).all() and len(set(ce.argmax(axis=1))) == 3
    assert set(np.unique(bce)) == {0.0, 1.0} and (bce.sum(axis=1) != 1).any()
    identity = dataclasses.replace(load("elman"), output="identity", loss="squared_error")
    se = sample_targets(identity, np.random.default_rng(3), 50, 3)
    assert len(np.unique(se)) == se.size and (se < 0).any()
