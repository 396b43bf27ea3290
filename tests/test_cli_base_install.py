"""A base install (no `docs` extra) runs every command but the site, which says what to install."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BLOCK = "import sys\nfor m in ('matplotlib', 'mkdocs', 'material', 'pymdownx', 'playwright'):\n    sys.modules[m] = None\n"


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    code = BLOCK + f"from symbptt.cli import main\nsys.exit(main({args!r}))\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_help_and_every_commands_help_work_without_the_docs_extra() -> None:
    r = _run(["--help"])
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    for name in ("check", "claims", "derive", "docs", "eigen", "flow", "list", "verify"):
        assert name in r.stdout
        sub = _run([name, "--help"])
        assert sub.returncode == 0 and "Traceback" not in sub.stderr, (name, sub.stderr)


def test_docs_build_names_the_missing_extra(tmp_path: Path) -> None:
    r = _run(["docs", "build", "--out", str(tmp_path / "site")])
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "needs the docs extra" in r.stderr and "pip install -e '.[docs]'" in r.stderr
