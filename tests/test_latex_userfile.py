"""A newcomer's own derivation file: the whole document is in their notation, cites no text.

The file below names the state a, the recurrent matrix R, the input matrix P, the output matrix
Q, the pre-activations u and v, the output o, the loss J and the error term epsilon. Every
expectation is written from those letters, not from the program's output.
"""

from __future__ import annotations

import re
import shutil
from functools import cache
from pathlib import Path

import pytest
from conftest import compile_latex

from symbptt import catalog
from symbptt.builders.vanilla import build
from symbptt.latex.formats import to_markdown, to_tex

USER_FILE = r"""name: mycourse
description: A course's RNN in its own letters.
source: my course notes
cell: rnn
parameters:
  input: P
  recurrent: R
  output: Q
symbols:
  input: x
  state: a
  preactivation: u
  output_preactivation: v
  output: o
  target: y
  loss: J
  step_loss: J
  delta: {name: varepsilon, latex: '\varepsilon'}
  activation: {name: sigma, latex: '\sigma'}
activation: sigmoid
output: identity
loss: squared_error
loss_at: last
delta: net
sizes: {T: 3, n: 2, m: 2, k: 2}
"""

#: The user's letters, and the few a document adds with a fixed meaning: time and entry indices
#: (t, T, k, i, j), sizes (m, n), the bounds beta, one new letter for the output error and one
#: for the upstream vectors of the linear stand-in loss. Nothing else may appear in any formula.
USER_LATIN = set("xauvoyJPRQ")
ADDED_LATIN = set("tTkijmn") | {"g"}
USER_GREEK = {"sigma", "varepsilon"}
ADDED_GREEK = {"beta", "xi"}
#: Names of the shipped texts' notations that this user does not have (their single letters
#: W, U, V, E, L, h, s are excluded by the letter test).
FOREIGN = ("E_t", "L_t", "E_{", "L_{", r"\mathrm{net}", "net_", r"\delta", "h_{", "s_{", "W_{")


@cache
def _doc(folder: str) -> str:
    path = Path(folder) / "mycourse.yaml"
    path.write_text(USER_FILE, encoding="utf-8")
    return to_tex(build(catalog.load(str(path)), checks=True))


@pytest.fixture(scope="module")
def tex(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _doc(str(tmp_path_factory.mktemp("user")))


def _math(tex: str) -> list[str]:
    body = tex.split(r"\begin{document}", 1)[1]
    display = re.findall(r"\\begin\{align\*\}(.*?)\\end\{align\*\}", body, re.S)
    inline = re.findall(r"\$([^$]+)\$", body)
    return display + inline


def _letters(math: str) -> tuple[set[str], set[str]]:
    """(latin letters, greek command names) used in a formula, operator names removed."""
    math = re.sub(r"\\(text|operatorname|mathbb|begin|end)\{[^}]*\}", " ", math)
    greek = set(re.findall(r"\\([A-Za-z]+)", math))
    latin = set(re.findall(r"[A-Za-z]", re.sub(r"\\[A-Za-z]+", " ", math)))
    return latin, greek


GREEK = {"alpha", "beta", "gamma", "Gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
         "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "phi", "chi", "psi",
         "omega", "ell"}  # fmt: skip


def test_every_formula_uses_only_the_users_letters(tex: str) -> None:
    latin, greek = set(), set()
    for m in _math(tex):
        a, b = _letters(m)
        latin |= a
        greek |= b & GREEK
    assert latin <= USER_LATIN | ADDED_LATIN, latin - USER_LATIN - ADDED_LATIN
    assert greek <= USER_GREEK | ADDED_GREEK, greek - USER_GREEK - ADDED_GREEK
    formulas = " ".join(_math(tex))
    for name in FOREIGN:
        assert name not in formulas, name
    assert not {"E", "L", "W", "U", "V", "h", "s", "f"} & latin


def test_no_citation_of_the_shipped_texts_and_no_jargon(tex: str) -> None:
    low = tex.lower()
    for word in ("tutorial", "homework", "lecture", "blog", "the text's eq"):
        assert word not in low, word
    for bad in (r"\textgreater", "Gamma", "undefined", r"E\_t", r"L\_t", "time(s)", "b = 0"):
        assert bad not in tex, bad
    assert r"\operatorname{identity}" not in tex and r"o_{t} &= v_{t}" in tex


def _definitions(tex: str) -> dict[str, set[str]]:
    """symbol -> what it is defined as, from every `X_{t} = d A / d B` in the document."""
    arg = r"((?:[^{}]|\{[^{}]*\})*)"  # one level of braces: u_{t}
    frac = rf"\\frac\{{\\partial {arg}\}}\{{\\partial {arg}\}}"
    slash = r"\\partial (\S+) / \\partial (\S+?)\$"
    out: dict[str, set[str]] = {}
    for pattern in (rf"(\\?[A-Za-z]+)_\{{[tT]\}} &:?= {frac}", rf"\$(\\?[A-Za-z]+)_\{{[tT]\}} = {slash}"):
        for sym, a, b in re.findall(pattern, tex):
            out.setdefault(sym, set()).add(f"d{a}/d{b}".replace(" ", ""))
    return out


def test_one_letter_one_meaning_and_the_output_error_is_not_the_delta(tex: str) -> None:
    defs = _definitions(tex)
    # the user's epsilon is dJ/du_t; the output error dJ_t/dv_t needs a letter of its own
    assert defs[r"\varepsilon"] == {"dJ/du_{t}"}
    # (at T: with the loss at the last step only, the output layer's step term is step T's)
    output_error = [s for s, d in defs.items() if d == {"dJ_{T}/dv_{T}"}]
    assert len(output_error) == 1 and output_error[0] != r"\varepsilon"
    assert all(len(d) == 1 for d in defs.values()), defs


def test_the_output_gradient_is_the_last_steps_term_only(tex: str) -> None:
    # loss_at last: J = J_T, so dJ/dQ = (o_T - y_T) a_T^T, one term, at step T = 3
    section = tex.split(r"\section*{The gradient of $Q$", 1)[1].split(r"\section*", 1)[0]
    total = section.split(r"\frac{\partial J}{\partial Q} &=", 1)[1].split(r"\end{align*}")[0]
    assert total.count(r"\begin{pmatrix}") == 1 and "_{3,1} a_{3,1}" in total
    caption = section.rsplit(r"\end{align*}", 1)[1]
    assert r"\dots" not in caption and "last step" in caption and "J_{3}" in caption


def test_cells_paths_and_bounds_in_the_users_notation(tex: str) -> None:
    # the model has no hidden bias: a_t = sigma(P x_t + R a_{t-1})
    assert re.search(r"a_\{t\} &= \\sigma \\left\( P x_\{t\} \+ R a_\{t-1\} \\right\)", tex)
    assert "carries $\\sigma'$ once (step 3)" in tex
    assert "carries $\\sigma'$ twice (steps 2, 3)" in tex
    assert "carries $\\sigma'$ 3 times (steps 1, 2, 3)" in tex
    assert r"\beta_{\sigma}" in tex and r"\beta_f" not in tex and r"\beta_{f}" not in tex


def test_check_labels_are_math_in_the_users_notation(tex: str) -> None:
    checked = tex.split(r"\section*{Checked}", 1)[1]
    assert r"$\partial J_{\ge t} / \partial P$" in checked
    assert r"$\partial J_{>t} / \partial R$ at fixed $a_{t}$" in checked
    assert "an arbitrary per-step loss $J_{t}$ and the loss of later steps $J_{>t}$" in checked
    assert r"$J_{>t}$ the loss taken after step $t$" in checked
    assert r"central differences of $J$" in checked and r"each $J_{t}$" in checked
    assert r"$\varepsilon_{t} = \partial J / \partial u_{t}$" in checked


def test_markdown_has_the_same_labels(tmp_path: Path) -> None:
    path = tmp_path / "mycourse.yaml"
    path.write_text(USER_FILE, encoding="utf-8")
    md = to_markdown(build(catalog.load(str(path)), form="general", checks=True))
    assert r"$\partial J_{\ge t} / \partial Q$" in md and "Gamma" not in md and ">=t" not in md


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_the_users_document_compiles(tex: str, tmp_path: Path) -> None:
    returncode, log = compile_latex(tex, tmp_path / "notes")
    assert returncode == 0, [line for line in log.splitlines() if line.startswith("!")][:3]
    assert "Missing character" not in log
    assert (tmp_path / "notes" / "doc.pdf").stat().st_size > 1000
