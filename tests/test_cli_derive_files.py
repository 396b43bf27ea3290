"""Files written by `symbptt derive -o` get the permissions a plain open() would give."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from click.testing import CliRunner

from symbptt.cli import cli


def test_output_file_mode_follows_the_umask(tmp_path: Path) -> None:
    out = tmp_path / "notes.tex"
    old = os.umask(0o022)
    try:
        result = CliRunner().invoke(
            cli, ["derive", "elman", "--form", "general", "--no-checks", "-o", str(out)]
        )
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
