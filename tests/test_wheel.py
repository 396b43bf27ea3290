"""A built wheel works without the repository: installed into a fresh venv, run from elsewhere.

`python -m build` makes the sdist and, from it, the wheel; the wheel goes into a new venv (with the
docs extra) in tmp_path, and every command runs from another folder with a clean environment, so
nothing can come from the checkout. One module-scoped build serves every test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow
TIMINGS: dict[str, float] = {}


def _run(args: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["NO_COLOR"] = "1"
    t0 = time.perf_counter()
    proc = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    TIMINGS[" ".join([Path(args[0]).name, *args[1:3]])[:30]] = time.perf_counter() - t0
    return proc


class Installed:
    """The built artifacts and the venv they went into."""

    def __init__(self, base: Path) -> None:
        dist = base / "dist"
        proc = _run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)], cwd=base)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        (self.wheel,) = dist.glob("*.whl")
        (self.sdist,) = dist.glob("*.tar.gz")
        venv = base / "venv"
        proc = _run([sys.executable, "-m", "venv", str(venv)], cwd=base)
        assert proc.returncode == 0, proc.stderr
        self.python = venv / "bin" / "python"
        self.symbptt = venv / "bin" / "symbptt"
        proc = _run(
            [str(self.python), "-m", "pip", "install", "-q", f"{self.wheel}[docs]"], cwd=base
        )
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        self.cwd = base / "elsewhere"
        self.cwd.mkdir()

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`symbptt ARGS` from the venv, in a folder outside the repository."""
        return _run([str(self.symbptt), *args], cwd=self.cwd)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    inst = Installed(tmp_path_factory.mktemp("wheel"))
    yield inst
    print("\nwheel test timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in TIMINGS.items()))


def _repo_data_files() -> list[str]:
    """What must ship: every file under derivations/ and docs/, and mkdocs.yml (from the repo)."""
    files = [
        p.relative_to(ROOT).as_posix()
        for top in ("derivations", "docs")
        for p in (ROOT / top).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts
    ]
    return sorted(files + ["mkdocs.yml"])


def test_wheel_and_sdist_carry_derivations_docs_and_config(installed: Installed) -> None:
    wheel_names = set(zipfile.ZipFile(installed.wheel).namelist())
    with tarfile.open(installed.sdist) as tar:
        top = tar.getnames()[0].split("/")[0]
        sdist_names = {n.removeprefix(top + "/") for n in tar.getnames()}
    for rel in _repo_data_files():
        assert f"symbptt/_data/{rel}" in wheel_names, rel
        assert rel in sdist_names, rel
    assert "symbptt/site/hooks.py" in wheel_names


def test_installed_package_is_the_venvs_and_has_one_version(installed: Installed) -> None:
    code = (
        "import importlib.metadata as m, symbptt;"
        "print(symbptt.__file__); print(symbptt.__version__, m.version('symbptt'))"
    )
    proc = _run([str(installed.python), "-c", code], cwd=installed.cwd)
    assert proc.returncode == 0, proc.stderr
    where, versions = proc.stdout.splitlines()
    assert Path(where).is_relative_to(installed.python.parent.parent)
    ours, metadata = versions.split()
    assert ours == metadata
    assert installed.wheel.name.startswith(f"symbptt-{ours}-")
    assert installed.run("--version").stdout.split()[-1] == ours


def test_list_names_every_shipped_derivation(installed: Installed) -> None:
    proc = installed.run("list")
    assert proc.returncode == 0, proc.stderr
    listed = {line.split()[0] for line in proc.stdout.splitlines() if line.strip()}
    assert {p.stem for p in (ROOT / "derivations").glob("*.yaml")} <= listed


def test_verify_and_derive_to_a_tex_file(installed: Installed) -> None:
    proc = installed.run("verify", "dl4nlp")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "all passed" in proc.stdout
    proc = installed.run("derive", "dl4nlp", "-o", "out.tex")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tex = (installed.cwd / "out.tex").read_text()
    assert tex.startswith("\\documentclass") and tex.rstrip().endswith("\\end{document}")


def test_check_a_shipped_example_answer_file(installed: Installed) -> None:
    code = (
        "from symbptt.resources import data_root;"
        "print(data_root() / 'docs' / 'examples' / 'homework3-answers.yaml')"
    )
    example = Path(_run([str(installed.python), "-c", code], cwd=installed.cwd).stdout.strip())
    assert example.is_file() and example.is_relative_to(installed.python.parent.parent)
    proc = installed.run("check", "--jobs", "1", str(example))
    # the example deliberately holds wrong answers: exit 1 (wrong), never 2 (input) or a crash
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "answers:" in proc.stdout and "correct" in proc.stdout


def test_claims_of_the_shipped_texts(installed: Installed) -> None:
    proc = installed.run("claims")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "claims:" in proc.stdout
    for text in ("dl4nlp", "homework3", "blog", "tutorial", "course-notes"):
        assert text in proc.stdout


def test_eigen_homework(installed: Installed) -> None:
    proc = installed.run("eigen", "--homework")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout.strip()


def test_docs_build_from_the_wheel(installed: Installed) -> None:
    proc = installed.run("docs", "build", "--out", "site")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    site = installed.cwd / "site"
    assert (site / "index.html").is_file()
    assert (site / "assets" / "katex" / "katex.min.js").is_file()
    assert len(list(site.rglob("*.html"))) >= 8
