"""`symbptt eigen` and `symbptt flow` run as a user runs them: a subprocess, --json, exit codes.

Every subprocess this module needs is started once, a few at a time, by the `procs` fixture
(interpreter start-up with numpy and sympy costs ~0.7 s each); the remaining cases run in-process
through click's runner, which goes through the same group and its error handling.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import pytest
from click.testing import CliRunner

from symbptt.cli import cli

SUBPROCESS_CASES: dict[str, tuple[str, ...]] = {
    "defective": ("eigen", "--matrix", "[[0.5, 2], [0, 0.5]]", "--power", "3", "--json"),
    "exact_q": (
        "eigen",
        "--Q",
        "-0.6 -0.8; -0.8 0.6",
        "--Lambda",
        "0.9 0.4",
        "--power",
        "30",
        "--exact",
        "--json",
    ),
    "homework_json": ("eigen", "--homework", "--json"),
    "flow_json": (
        "flow",
        "--matrix",
        "[[3, 0], [0, 3]]",
        "--activation",
        "sigmoid",
        "--steps",
        "4",
        "--seed",
        "1",
        "--json",
    ),
    "bad_ragged": ("eigen", "--matrix", "[[1, 2], [3]]"),
    "bad_activation": ("flow", "--matrix", "1 0; 0 1", "--activation", "softplus"),
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """python -m symbptt ARGS, capturing text output."""
    return subprocess.run(
        [sys.executable, "-m", "symbptt", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def procs() -> dict[str, subprocess.CompletedProcess[str]]:
    """Run every SUBPROCESS_CASES entry, two at a time."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(run, *args) for name, args in SUBPROCESS_CASES.items()}
        return {name: f.result() for name, f in futures.items()}


def output_json(procs: dict, name: str) -> dict:
    proc = procs[name]
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_eigen_defective_matrix_json(procs: dict) -> None:
    # [[1/2, 2], [0, 1/2]]^3 = [[1/8, 3 * (1/4) * 2], [0, 1/8]] (binomial expansion).
    doc = output_json(procs, "defective")
    assert doc["power"] == [[0.125, 1.5], [0.0, 0.125]]
    assert doc["eigenvalues"] == [0.5, 0.5]
    assert doc["diagonalizable"] is False and doc["Q"] is None
    assert doc["jordan_J"] == [["1/2", "1"], ["0", "1/2"]]


def test_eigen_exact_from_q_and_lambda_json(procs: dict) -> None:
    doc = output_json(procs, "exact_q")
    a, b = Fraction(9, 10) ** 30, Fraction(2, 5) ** 30
    q = [[Fraction(-3, 5), Fraction(-4, 5)], [Fraction(-4, 5), Fraction(3, 5)]]
    expected = [
        [sum(q[i][k] * [a, b][k] * q[k][j] for k in range(2)) for j in range(2)] for i in range(2)
    ]  # Q^{-1} = Q for this symmetric orthogonal Q
    assert [[Fraction(v) for v in row] for row in doc["power"]] == expected
    assert doc["eigenvalues"] == ["9/10", "2/5"] and doc["diagonalizable"] is True
    assert doc["power_float"][0][1] == pytest.approx(0.48 * (0.9**30 - 0.4**30), rel=1e-12)


def invoke(*args: str) -> str:
    """Run the click group in-process; returns stdout (must exit 0)."""
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_eigen_complex_eigenvalues_json() -> None:
    doc = json.loads(invoke("eigen", "--matrix", "0.6 -0.8; 0.8 0.6", "--power", "2", "--json"))
    assert doc["power"] == [
        [pytest.approx(-0.28), pytest.approx(-0.96)],
        [pytest.approx(0.96), pytest.approx(-0.28)],
    ]  # R(2 theta)
    ims = sorted(v["im"] for v in doc["eigenvalues"])
    assert ims == [pytest.approx(-0.8), pytest.approx(0.8)]


def test_eigen_homework_json_and_text(procs: dict) -> None:
    doc = output_json(procs, "homework_json")
    assert [[round(v, 4) for v in row] for row in doc["power_float"]] == [
        [0.0153, 0.0203],
        [0.0203, 0.0271],
    ]
    assert doc["numeric"]["power"][1][1] == pytest.approx(0.64 * 0.9**30 + 0.36 * 0.4**30)
    assert len(doc["errata"]) == 3
    text = invoke("eigen", "--homework")
    assert "Q^{-1}" in text and "errata" in text


def test_flow_json(procs: dict) -> None:
    doc = output_json(procs, "flow_json")
    assert doc["spectral_radius"] == 3 and doc["largest_singular_value"] == 3
    assert doc["gamma"] == 0.25
    assert doc["pascanu"] == "vanishing-guaranteed" and doc["long_run"] == "exploding"
    assert len(doc["jacobian_norms"]) == 4
    assert all(j <= 0.75**t for t, j in enumerate(doc["jacobian_norms"], 1))


def test_flow_text_names_both_readings() -> None:
    text = invoke("flow", "--matrix", "0.5 2; 0 0.5", "--steps", "3")
    assert "exploding-possible" in text and "long run of W^k (from rho): vanishing" in text


@pytest.mark.parametrize(
    "args, expected",
    [
        (["eigen", "--matrix", "[[1, 2], [3]]"], "--matrix: ragged"),
        (["eigen", "--matrix", "1 2 3; 4 5 6"], "--matrix: expected a square matrix, got 2 x 3"),
        (["eigen", "--matrix", "1 x; 0 1"], "--matrix[0][1]"),
        (["eigen", "--matrix", "1 nan; 0 1"], "finite"),
        (["eigen", "--matrix", "1 0; 0 1", "--power", "-2"], "--power"),
        (["eigen", "--Q", "1 2; 2 4", "--Lambda", "0.9 0.4"], "--Q: Q is singular"),
        (["eigen", "--Q", "1 0; 0 1", "--Lambda", "[[1, 2], [0, 1]]"], "--Lambda"),
        (["flow", "--matrix", "1 0; 0 1", "--activation", "softplus"], "--activation"),
        (["flow", "--matrix", "1 0; 0 inf"], "finite"),
    ],
)
def test_bad_input_in_process(args: list[str], expected: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert expected in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("bad_ragged", "symbptt: error: --matrix: ragged matrix: rows have lengths [2, 1]"),
        (
            "bad_activation",
            "symbptt: error: --activation: unknown activation 'softplus'; "
            "expected one of tanh, identity, sigmoid, relu",
        ),
    ],
)
def test_bad_input_subprocess_exit_2_without_traceback(
    procs: dict, name: str, expected: str
) -> None:
    proc = procs[name]
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.startswith(expected)
