"""Shared test settings. With CI=true a skipped test fails the run: CI installs every tool."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI, turn any skip into a failing exit status so a missing tool cannot hide."""
    if not IN_CI:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        if reporter:
            reporter.write_line(
                f"CI=true: {skipped} test(s) skipped; a skip counts as a failure in CI"
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def compile_latex(tex: str, folder: Path) -> tuple[int, str]:
    """Compile tex with a real pdflatex (no shell escape) in a new folder: (return code, log)."""
    folder.mkdir()
    (folder / "doc.tex").write_text(tex, encoding="utf-8")
    proc = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "doc.tex"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    log = (folder / "doc.log").read_text(errors="replace") if (folder / "doc.log").exists() else ""
    return proc.returncode, log
