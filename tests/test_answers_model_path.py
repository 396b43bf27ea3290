"""An answer file's `model:` may be the path `symbptt list` prints for a shipped example
(derivations/examples/x.yaml), from any folder; a file beside the answers still comes first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ANSWER = "  - id: dz\n    answer: '\\frac{\\partial E_t}{\\partial z_t} = \\hat{y}_t - y_t'\n"


def _check(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "symbptt", "check", "a.yaml"],
        cwd=folder,
        capture_output=True,
        text=True,
    )


def test_the_listed_example_path_works_in_an_answer_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "model: derivations/examples/lstm-softmax.yaml\nanswers:\n" + ANSWER, encoding="utf-8"
    )
    out = _check(tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "dz: CORRECT" in out.stdout


def test_a_missing_path_is_still_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "model: derivations/examples/no-such.yaml\nanswers:\n" + ANSWER, encoding="utf-8"
    )
    out = _check(tmp_path)
    assert out.returncode == 2
    assert "a.yaml:1" in out.stdout + out.stderr and "no-such.yaml" in out.stdout + out.stderr
    assert "Traceback" not in out.stderr
