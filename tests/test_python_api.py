"""The Python front door: run_checks at the model's own sizes; every public result prints short text.

Sizes come from the derivation file read here with PyYAML; check counts from the `verify` command;
matrices and eigenvalues from hand computation.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

import symbptt
from symbptt import verify
from symbptt.cli import cli
from symbptt.eigen import homework_exercise, matrix_power_eig
from symbptt.flow import gradient_flow

ROOT = Path(__file__).resolve().parent.parent
RAW = re.compile(r"object at 0x|^\w+\(", re.M)  # a default repr, not text


def _file_sizes(name: str) -> tuple[int, int]:
    sizes = yaml.safe_load((ROOT / "derivations" / f"{name}.yaml").read_text())["sizes"]
    return sizes["T"], sizes["n"]


@pytest.mark.slow
def test_run_checks_uses_the_models_sizes_like_the_cli() -> None:
    for name in ("dl4nlp", "homework3"):
        report = symbptt.run_checks(name)
        assert (report.T, report.n) == _file_sizes(name)
        cli_out = CliRunner().invoke(cli, ["verify", name]).stdout
        assert f"(T={report.T}, n={report.n})" in cli_out.splitlines()[0]
        (count,) = re.findall(r"^(\d+) checks: all passed$", cli_out, flags=re.M)
        assert len(report.checks) == int(count) and report.passed


def test_run_checks_takes_a_path_or_a_model_and_explicit_sizes() -> None:
    path = ROOT / "derivations" / "tutorial.yaml"
    assert symbptt.run_checks(path, T=2, n=1).T == 2
    model = symbptt.load("tutorial")
    report = symbptt.run_checks(model, n=1)
    assert (report.T, report.n) == (_file_sizes("tutorial")[0], 1)


def test_report_and_check_print_as_text() -> None:
    report = symbptt.run_checks("tutorial", T=2, n=1)
    text = str(report)
    lines = text.splitlines()
    assert lines[0] == f"tutorial at T=2, n=1: {len(report.checks)} checks, all passed"
    assert len(lines) == 1 + len(report.checks)
    assert all(line.startswith("  ok  ") for line in lines[1:])
    bad = verify.Check("numeric: x", "(b)", False, 0.5, 0.0, "at the point p")
    assert str(bad) == "FAIL  numeric: x  (max error 0.5): at the point p"
    assert "1 FAILED" in str(verify.Report("m", 1, 1, [bad]))


def test_derivation_prints_the_maths_not_latex() -> None:
    d = symbptt.derive("dl4nlp", form="general")
    text = str(d)
    assert "δₜ,ₖ = f′(sₖ) ⊙ Uᵀ δₜ,ₖ₊₁" in text
    assert not re.search(r"\\[A-Za-z]", text)
    step = d.sections[0].steps[0]
    assert str(step) == "sₜ = U hₜ₋₁ + W xₜ"
    claim_rows = [c for c in d.checks if c.claim]
    assert [str(c).split()[0] for c in claim_rows] == ["holds", "WRONG"]


def test_eigen_and_flow_results_print_as_the_cli_does() -> None:
    r = matrix_power_eig([[2, 0], [0, 3]], 3, exact=True)
    text = str(r)
    assert "eigenvalues: 2, 3" in text and "[  8   0 ]" in text and "[  0  27 ]" in text
    assert not RAW.search(text)
    assert str(r) == CliRunner().invoke(cli, ["eigen", "--matrix", "[[2,0],[0,3]]", "--power", "3", "--exact"]).stdout.rstrip("\n")  # fmt: skip
    hw = str(homework_exercise())
    assert "== errata in the written solution ==" in hw and "CRootOf" not in hw
    flow = gradient_flow(np.array([[0.5, 0.0], [0.0, 0.25]]), "tanh", steps=3)
    assert "spectral radius rho(W) = 0.5" in str(flow)


def test_claim_list_prints_counts_then_one_claim_per_line() -> None:
    from symbptt import claims

    results = claims.claims("dl4nlp")
    text = str(results)
    head = text.splitlines()[0]
    counts = {v: sum(c.verdict == v for c in results) for v in ("confirmed", "wrong", "undecided")}
    assert head == (
        f"{len(results)} claims: confirmed {counts['confirmed']}, wrong {counts['wrong']}, "
        f"undecided {counts['undecided']}"
    )
    assert head == CliRunner().invoke(cli, ["claims", "dl4nlp"]).stdout.splitlines()[-1]
    assert not RAW.search(text)
    wrong = next(c for c in results if c.verdict == "wrong")
    assert str(wrong).startswith(f"dl4nlp {wrong.id}: wrong: ") and "\n  why: " in str(wrong)
