"""The README's two commands stay the ones CI and newcomers actually run."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from symbptt.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def _two_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^    (\S.*)$", section, flags=re.M)


def test_readme_has_exactly_two_commands() -> None:
    commands = _two_commands()
    assert len(commands) == 2, commands
    assert "pip install" in commands[0] and "symbptt " in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert _two_commands()[1] in ci


def test_readme_python_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "README.md").read_text()
    (block,) = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    namespace: dict[str, object] = {}
    exec(compile(block, "README.md", "exec"), namespace)  # our own README, not user input
    assert "gradient check" in capsys.readouterr().out
    grads = namespace["grads"]
    assert grads.dW_terms.sum(axis=0) == pytest.approx(grads["W"])  # type: ignore[attr-defined]


def test_readme_first_command_runs_and_ends_where_a_newcomer_can_read() -> None:
    parts = [p.strip() for p in _two_commands()[0].split("&&")]
    runs = [shlex.split(p)[1:] for p in parts if p.startswith("symbptt ")]
    assert runs and runs[-1][0] == "derive", parts
    for args in runs:
        r = CliRunner().invoke(cli, args)
        assert r.exit_code == 0, (args, r.output)
    if "--format" not in runs[-1] and "-o" not in runs[-1]:  # derive's terminal default
        last = r.stdout.rstrip().splitlines()
        assert not re.search(r"\\[A-Za-z]", r.stdout), "raw LaTeX on the newcomer's terminal"
        assert last[-1].startswith("Next: "), last[-3:]


def test_readme_cell_file_verifies(tmp_path: Path) -> None:
    """The README's own-cell example is a whole derivation file that verifies as it stands."""
    text = (ROOT / "README.md").read_text()
    (block,) = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    path = tmp_path / "mgu.yaml"
    path.write_text(block, encoding="utf-8")
    r = CliRunner().invoke(cli, ["verify", str(path)])
    assert r.exit_code == 0, r.output
    assert "all passed" in r.output
