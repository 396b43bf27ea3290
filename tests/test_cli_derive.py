"""`symbptt derive`: output, file safety, bad input with exit 2 and no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from symbptt.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str):
    return CliRunner().invoke(cli, ["derive", *args], catch_exceptions=False)


def test_stdout_tex_one_format_away() -> None:
    r = run("dl4nlp", "--no-checks", "--format", "tex")
    assert r.exit_code == 0
    assert r.output.startswith(r"\documentclass{article}")
    assert r"U h_{t-1}" in r.output


def test_json_format() -> None:
    r = run("tutorial", "--format", "json", "--no-checks", "--T", "2", "--n", "1")
    data = json.loads(r.output)
    assert (data["model"], data["T"], data["n"]) == ("tutorial", 2, 1)


def test_writes_file_and_never_overwrites_without_force(tmp_path: Path) -> None:
    out = tmp_path / "d.tex"
    assert run("elman", "--no-checks", "-o", str(out)).exit_code == 0
    first = out.read_bytes()
    assert first.startswith(b"\\documentclass")
    out.write_text("mine")
    r = CliRunner().invoke(cli, ["derive", "elman", "--no-checks", "-o", str(out)])
    assert r.exit_code == 2 and "--force" in r.output and "Traceback" not in r.output
    assert out.read_text() == "mine"
    assert run("elman", "--no-checks", "-o", str(out), "--force").exit_code == 0
    assert out.read_bytes() == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.tex"]  # no temp files left


def bad(*args: str) -> str:
    r = CliRunner().invoke(cli, ["derive", *args])
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    return r.output


def test_unknown_wrt_lists_parameters() -> None:
    out = bad("blog", "--wrt", "W_z", "--no-checks")
    assert "W_z" in out and "W_x, W_h, b_h, W_y, b_y" in out


def test_too_large_names_limit_and_suggests_general() -> None:
    out = bad("blog", "--T", "50", "--no-checks")
    assert "T <= 6" in out and "--form general" in out
    assert run("blog", "--T", "50", "--form", "general", "--no-checks").exit_code == 0


def test_unwritable_output_reported(tmp_path: Path) -> None:
    assert "does not exist" in bad("blog", "--no-checks", "-o", str(tmp_path / "no" / "x.tex"))
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert "-o" in bad("blog", "--no-checks", "-o", str(blocker / "x.tex"))
    assert "directory" in bad("blog", "--no-checks", "-o", str(tmp_path))


def test_unknown_model() -> None:
    assert "built-in names" in bad("nosuch", "--no-checks")


@pytest.mark.slow
def test_bytes_identical_across_processes_and_hash_seeds() -> None:
    outs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "symbptt",
                "derive",
                "dl4nlp",
                "--no-checks",
                "--format",
                "markdown",
            ],
            capture_output=True,
            env=env,
            timeout=120,
            check=True,
        )
        outs.append(proc.stdout)
    assert outs[0] == outs[1] and len(outs[0]) > 1000


def test_readme_fragment_labels_checks_in_the_texts_notation() -> None:
    # the README's first command; dl4nlp writes the loss E, U recurrent, s_t the pre-activation
    r = run("dl4nlp", "--form", "general", "--format", "fragment")
    assert r.exit_code == 0
    for bad in (r"\textgreater", "Gamma", "undefined", r"dE\_", "L\\_t"):
        assert bad not in r.output, bad
    assert r"$\partial E_{\ge t} / \partial U$" in r.output
    assert r"$\partial E_{>t} / \partial U$ at fixed $h_{t}$" in r.output
