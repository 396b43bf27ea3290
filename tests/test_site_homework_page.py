"""The "Checking homework" page shows a real run of `symbptt check` on the example answers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from symbptt.site import markers

REPO = Path(__file__).resolve().parent.parent
PAGE = REPO / "docs" / "checking-homework.md"


@pytest.mark.slow
def test_homework_page_holds_the_example_run() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert "[[symbptt:check-example]]" in page
    md = markers.expand(page, where=PAGE.name)
    assert "not registered" not in md and "Not available" not in md
    # The command itself, run as a user would, prints what the page shows.
    run = subprocess.run(
        [sys.executable, "-m", "symbptt", "check", "--jobs", "1", markers.EXAMPLE_ANSWERS],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.stdout.strip(), run.stderr
    console = f"```console\n$ symbptt check {markers.EXAMPLE_ANSWERS}\n{run.stdout.rstrip()}\n```"
    assert console in md
    assert f"it exited with code {run.returncode}." in md
    # Verdicts worked out by hand: 0.9^30 = 0.04239 and 0.4^30 = 1.153e-12 (lambda30 is right);
    # raising diag(0.0424, 1.153e-12) to the 30th power again gives about 6.6e-42, not 0.9^30.
    assert abs(0.9**30 - 0.0424) < 0.00005 and abs(0.4**30 - 1.153e-12) < 0.0005e-12
    assert "lambda30: CORRECT" in md
    assert "ex2c: WRONG" in md
    assert run.returncode == 1  # some answer is wrong, no file unreadable
