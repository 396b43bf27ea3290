"""`symbptt verify` beyond the unrolled limit: the scaling checks run, the unrolled ones are skipped.

The scaling checks must be able to fail: a per-step rule without its recurrent term (vanilla)
and a generated engine that drops the carry to s_{t-1} (gated) are refused by them.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import symbptt
from symbptt.catalog import builtin_names, load
from symbptt.cells import numeric, reverse
from symbptt.cli import cli
from symbptt.model import Role
from symbptt.symbolic import codegen, steplemma
from symbptt.verify import Check, Report


def run(*args: str):  # noqa: ANN201
    return CliRunner().invoke(cli, list(args))


def _counts(report_json: dict) -> tuple[int, int, int]:
    rows = report_json["checks"]
    skipped = [c for c in rows if c.get("skipped")]
    ran = [c for c in rows if not c.get("skipped")]
    return sum(c["passed"] for c in ran), sum(not c["passed"] for c in ran), len(skipped)


def test_elman_at_T_1000_n_64_through_the_cli_exits_0_with_skipped_rows() -> None:
    result = run("verify", "elman", "--T", "1000", "--n", "64")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.splitlines()[0] == "symbptt verify elman (T=1000, n=64)"
    assert "exact: step lemma + base case, every T (n=2)" in out
    assert "code generated from the step rule vs engine, every gradient" in out
    assert "float64 central differences of E, 10 sampled entries (T=1000, n=64)" in out
    assert "step 1e-05" in out and "entries U[" in out and "W[" in out
    assert "6 checks skipped: unrolled forms stop at n<=8 (T<=3 at n=8, T<=11 at n=2)" in out
    assert out.splitlines()[-1] == "9 checks: 3 passed, 6 skipped (beyond the unrolled limit)"
    rows = [line for line in out.splitlines() if line.rstrip().endswith("skipped")]
    assert len(rows) == 6 and any(r.startswith("exact: direct = BPTT") for r in rows)


def test_json_marks_skipped_rows_with_the_reason_and_never_as_passed() -> None:
    result = run("verify", "elman", "--T", "40", "--n", "3", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["T"], data["n"]) == (40, 3)
    passed, failed, skipped = _counts(data)
    assert (passed, failed, skipped) == (3, 0, 6)
    for c in data["checks"]:
        if c.get("skipped"):
            assert c["passed"] is False and c["max_error"] is None
            assert c["reason"] == "skipped: unrolled forms stop at T<=6 at n=3"
        else:
            assert set(c) == {"name", "passed", "max_error", "seconds", "form"}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_gated_at_T_200_n_16_runs_the_scaling_checks(name: str) -> None:
    result = run("verify", name, "--T", "200", "--n", "16", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    names = [c["name"] for c in data["checks"] if not c.get("skipped")]
    assert names[0] == "exact: step lemma + base case, every T (n=2)"
    assert any("generated engine vs hand-written fast path" in s for s in names)
    assert any("generated engine vs float64 central differences" in s for s in names)
    passed, failed, skipped = _counts(data)
    assert (passed, failed) == (3, 0) and skipped == 4
    reasons = {c["reason"] for c in data["checks"] if c.get("skipped")}
    assert reasons == {"skipped: unrolled forms stop at T<=3, n<=2 for a gated cell"}


def test_python_api_does_the_same_and_counts_skips_apart() -> None:
    report = symbptt.run_checks("gru-reset-before", 30, 4)
    assert report.passed
    assert str(report).splitlines()[0] == (
        "gru-reset-before at T=30, n=4: 7 checks, 3 passed, 4 skipped (beyond the unrolled limit)"
    )
    assert sum(c.skipped for c in report.checks) == 4
    assert all(not c.passed for c in report.checks if c.skipped)


@pytest.mark.parametrize("name", builtin_names())
def test_every_vanilla_builtin_passes_just_beyond_the_unrolled_limit(name: str) -> None:
    report = symbptt.run_checks(name, 12, 3)  # max_unrolled_T(3) = 6
    ran = [c for c in report.checks if not c.skipped]
    assert [c.form for c in ran] == ["step lemma", "(b)", "(b)"]
    assert report.passed, str(report)
    assert all(c.detail == "skipped: unrolled forms stop at T<=6 at n=3"
               for c in report.checks if c.skipped)  # fmt: skip


def test_a_cell_stated_in_a_file_runs_without_a_fast_path() -> None:
    result = run("verify", "derivations/examples/mgu.yaml", "--T", "40", "--n", "6")
    assert result.exit_code == 0, result.output
    assert "no hand-written fast path for 'mgu' to compare with" in result.output
    assert result.output.splitlines()[-1] == (
        "6 checks: 2 passed, 4 skipped (beyond the unrolled limit)"
    )


def test_a_report_of_only_skipped_rows_does_not_pass() -> None:
    only = Report("m", 9, 9, [Check("x", "(a)=(b)", False, None, 0.0, "skipped: why", "", True)])
    assert not only.passed and only.counts() == "0 passed, 1 skipped (beyond the unrolled limit)"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--T", "4097", "--n", "1"), "T=4097, n=1 is too large to check"),
        (("--T", "4097", "--n", "1"), "n*n*T <= 16,777,216 (4x n=64, T=1000)"),
        (("--T", "1000", "--n", "130"), "T=1000, n=130 is too large to check"),
        (("--T", "1", "--n", "1025"), "n <= 1024 and T <= 4096"),
        (("--T", "0"), "T must be a whole number >= 1"),
    ],
)
def test_absurd_sizes_stay_exit_2(args: tuple[str, ...], message: str) -> None:
    for model in ("elman", "lstm"):
        result = run("verify", model, *args)
        assert result.exit_code == 2, result.output
        assert message in result.stderr and "Traceback" not in result.stderr


def _no_recurrent_term(model):  # noqa: ANN001, ANN202
    """The model's rule with the recurrent term W^T delta_{t+1} left out of delta_t."""
    roles = model.roles

    def backward(c: steplemma.Cell) -> steplemma.StepResult:
        d = c.had(c.fp, c.dEdh)
        return steplemma.StepResult({}, c[Role.RECURRENT].T * d, steplemma.step_terms(c, d, roles))

    return steplemma.StepRule("no recurrent term", backward)


def test_a_rule_without_the_recurrent_term_fails_the_scaling_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(codegen, "rule_for", _no_recurrent_term)
    result = run("verify", "elman", "--T", "100", "--n", "16", "--json")
    assert result.exit_code == 1, result.output
    rows = {c["name"]: c for c in json.loads(result.output)["checks"]}
    bad = [n for n, c in rows.items() if not c["passed"] and not c.get("skipped")]
    assert len(bad) == 2, bad
    assert any("vs engine" in n for n in bad) and any("central differences" in n for n in bad)
    assert all(rows[n]["max_error"] > 1e-3 for n in bad)
    text = run("verify", "elman", "--T", "100", "--n", "16").output
    assert text.splitlines()[-1] == (
        "9 checks: 1 passed, 2 FAILED, 6 skipped (beyond the unrolled limit)"
    )


def test_a_generated_engine_that_drops_the_carry_fails_the_scaling_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_carry(cell):  # noqa: ANN001, ANN202
        rev = reverse.step_adjoints(cell)
        return reverse.StepAdjoints(rev.cell, rev.adjoints, (), rev.input, rev.params)

    monkeypatch.setattr(numeric, "step_adjoints", no_carry)
    result = run("verify", "gru", "--T", "50", "--n", "8", "--json")
    assert result.exit_code == 1, result.output
    rows = json.loads(result.output)["checks"]
    bad = [c["name"] for c in rows if not c["passed"] and not c.get("skipped")]
    assert len(bad) == 2 and all("generated engine vs" in n for n in bad), bad
    lemma = [c for c in rows if "step lemma" in c["name"]]
    assert lemma[0]["passed"]  # the lemma proves the cell's own rule; the engine broke it


def _gated_with_head(tmp_path, cell: str, output: str, loss: str, loss_at: str):  # noqa: ANN001, ANN202
    path = tmp_path / f"{cell}-{output}.yaml"
    path.write_text(
        f"name: {cell}-{output}\ndescription: d\ncell: {cell}\noutput: {output}\nloss: {loss}\n"
        f"loss_at: {loss_at}\nsizes: {{T: 2, n: 2, m: 2, k: 3}}\n"
    )
    return str(path)


@pytest.mark.parametrize(
    ("cell", "output", "loss", "loss_at"),
    [
        ("lstm", "softmax", "cross_entropy", "every"),
        ("gru", "sigmoid", "binary_cross_entropy", "last"),
        ("gru-reset-before", "identity", "squared_error", "every"),
    ],
)
def test_a_gated_cell_with_a_head_checks_the_head_beyond_the_unrolled_limit(
    tmp_path,
    cell: str,
    output: str,
    loss: str,
    loss_at: str,  # noqa: ANN001
) -> None:
    """Beyond T <= 3, n <= 2 the scaling checks run the file's head (z_t = V h_t + c, k = 3),
    V and c among the compared gradients and the sampled central differences."""
    path = _gated_with_head(tmp_path, cell, output, loss, loss_at)
    result = run("verify", path, "--T", "40", "--n", "6", "--json")
    assert result.exit_code == 0, result.output
    rows = [c for c in json.loads(result.output)["checks"] if not c.get("skipped")]
    head = f"{output} + {loss.replace('_', ' ').replace('cross entropy', 'cross-entropy')}"
    scaled = [c["name"] for c in rows[1:]]
    assert len(scaled) == 2 and all(f"({head} of z_t = V h_t + c" in n for n in scaled), scaled
    assert all(("at T only" in n) == (loss_at == "last") for n in scaled)
    assert "generated engine vs hand-written fast path" in scaled[0]
    keys = len(load(path).cell_def.param_keys) + 2  # one entry of each, V and c among them
    assert f"{keys} sampled entries" in scaled[1], scaled[1]
    skipped = [c["name"] for c in json.loads(result.output)["checks"] if c.get("skipped")]
    assert skipped[0].startswith(f"exact: head {head}, z_t = V h_t + c")


def test_a_head_gradient_that_is_off_fails_the_scaling_checks(
    tmp_path,
    monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
) -> None:
    real = numeric.head_loss

    def no_c(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        E, grads = real(*args, **kwargs)
        grads.params["c"] = 0 * grads.params["c"]  # the output bias's gradient lost
        return E, grads

    monkeypatch.setattr(numeric, "head_loss", no_c)
    path = _gated_with_head(tmp_path, "lstm", "softmax", "cross_entropy", "every")
    result = run("verify", path, "--T", "40", "--n", "6", "--json")
    assert result.exit_code == 1, result.output
    bad = [c["name"] for c in json.loads(result.output)["checks"]
           if not c["passed"] and not c.get("skipped")]  # fmt: skip
    assert len(bad) == 2 and all("generated engine vs" in n for n in bad), bad
