"""Every built-in derivation compiles with a real pdflatex; every fragment is valid KaTeX."""

from __future__ import annotations

import dataclasses
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import compile_latex

from symbptt import catalog
from symbptt.builders.vanilla import build
from symbptt.latex.formats import display_math, inline_math, to_tex
from symbptt.latex.katex_check import find_katex, find_node, katex_errors
from symbptt.latex.steps import CheckResult

NAMES = catalog.builtin_names()
ROOT = Path(__file__).resolve().parent.parent
# Check names as verify/steplemma word them (with _ > = and braces), to exercise escaping.
SAMPLE_CHECKS = (
    CheckResult(
        "base case T=1: dE_>=t/dW = per-step term + Gamma", "exact proof", True, None, "n = 2"
    ),
    CheckResult(
        "delta_{t,k} = dE_t/dnet_k & 100% #1 ~x",
        "numeric",
        False,
        1.5e-12,
        "T = 3, seed = 0",
        note="at x_1 = 0.5 | y^2 > $3 \\ {}",
    ),
)


def document(name: str) -> str:
    """The document with its real Checked section, plus rows that exercise escaping."""
    d = build(catalog.load(name), checks=True)
    return to_tex(dataclasses.replace(d, checks=d.checks + SAMPLE_CHECKS))


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_every_builtin_document_compiles(tmp_path: Path) -> None:
    texs = {name: document(name) for name in NAMES}
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(
            zip(
                texs,
                pool.map(lambda kv: compile_latex(kv[1], tmp_path / kv[0]), texs.items()),
                strict=True,
            )
        )
    for name, (rc, log) in results.items():
        errors = [line for line in log.splitlines() if line.startswith("!")]
        assert rc == 0, f"{name}: pdflatex failed: {errors[:3]}"
        assert (tmp_path / name / "doc.pdf").stat().st_size > 1000
        assert "Missing character" not in log, name


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_bold_vectors_compile(tmp_path: Path) -> None:
    # the blog's model with bold vectors: a derivation file of the user's own
    blog = (ROOT / "derivations" / "blog.yaml").read_text(encoding="utf-8")
    path = tmp_path / "boldblog.yaml"
    path.write_text(blog.replace("name: blog", "name: boldblog") + "vectors: bold\n")
    model = catalog.load(str(path))
    assert model.notation.bold_vectors
    tex = to_tex(build(model, T=2, n=2, checks=False))
    assert r"\bm{h}_{t-1}" in tex and r"\bm{W}" not in tex  # vectors bold, matrices not
    assert r"\bm{\delta}_{t} &:=" in tex  # the every-T statements too
    rc, log = compile_latex(tex, tmp_path / "doc")
    assert rc == 0, [line for line in log.splitlines() if line.startswith("!")][:3]
    assert "Missing character" not in log


@pytest.mark.skipif(
    find_node() is None or find_katex() is None, reason="node or the vendored KaTeX missing"
)
@pytest.mark.slow
def test_every_fragment_is_valid_katex() -> None:
    display, inline = [], []
    for name in NAMES:
        d = build(catalog.load(name), checks=False)
        display += [display_math(s) for s in d.steps]
        texts = (
            [s.reason for s in d.steps]
            + [sec.text for sec in d.sections]
            + [sec.title for sec in d.sections]
        )
        inline += [m for t in texts for m in inline_math(t)]
    errors = katex_errors(display, display=True) + katex_errors(inline, display=False)
    bad = [(tex, e) for tex, e in zip(display + inline, errors, strict=True) if e]
    assert not bad, bad[:3]
    assert len(display) > 50


@pytest.mark.skipif(
    find_node() is None or find_katex() is None, reason="node or the vendored KaTeX missing"
)
def test_katex_check_rejects_bad_tex() -> None:
    # the checker itself must be able to fail
    assert katex_errors([r"\notamacro x", r"x_{t"])[0] is not None
    assert all(e is not None for e in katex_errors([r"\notamacro x", r"x_{t"]))
