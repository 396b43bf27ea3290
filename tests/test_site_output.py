"""The docs build never deletes a folder it did not build (mkdocs empties its output folder)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from symbptt.cli import cli


def test_foreign_nonempty_folder_is_refused_and_kept(tmp_path: Path) -> None:
    mine = tmp_path / "notes.txt"
    mine.write_text("my notes")
    result = CliRunner().invoke(cli, ["docs", "build", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "not empty and was not built by symbptt" in result.output
    assert "Traceback" not in result.output
    assert mine.read_text() == "my notes"


def test_a_file_is_not_a_folder(tmp_path: Path) -> None:
    target = tmp_path / "site"
    target.write_text("x")
    result = CliRunner().invoke(cli, ["docs", "build", "--out", str(target)])
    assert result.exit_code == 2
    assert "is a file" in result.output
    assert target.read_text() == "x"
