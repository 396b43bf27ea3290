"""The "Claims of the six texts" page, generated from `symbptt.claims.all_claims()` at build time.

Per text a table: the claim's id, the claim in words and (for answer-file claims) its LaTeX as
derivations/claims/<text>.yaml writes it, and the verdict with the evidence. Every piece of text
is HTML-escaped; math goes into `.arithmatex` elements that docs/assets/katex-init.js renders.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from symbptt.site.errors import SiteBuildError

TITLE = "Claims of the six texts"
PATH = "claims.md"
_VERDICT_LABEL = {"confirmed": "confirmed", "wrong": "WRONG", "undecided": "undecided"}
_ENV = re.compile(r"\\begin\{(\w+\*?)\}.*?\\end\{\1\}", re.S)
_TEX_RUN = re.compile(r"\S*\\[A-Za-z]+\S*(?:\s+\S*\\[A-Za-z]+\S*)*")
_BLANK_LINES = re.compile(r"\n\s*\n")

INTRO = (
    "Every mathematical claim of the six source texts, checked while this site was built by "
    "`symbptt.claims.all_claims()` (the same run as `symbptt claims`). Claims an answer can "
    "state are written in `derivations/claims/<text>.yaml` and judged by the homework checker; "
    "the others (matrix powers, derivative and norm bounds, clipping) are computed by symbptt's "
    "modules; claims that nothing can state yet are listed as undecided, with the reason. A "
    "WRONG verdict is a finding about the text, not a failure of this site."
)


def run_claims() -> tuple[list[Any], dict[tuple[str, str], Any]]:
    """All claims and the answer-file specs by (text, id); SiteBuildError if the run errors."""
    try:
        from symbptt.answers.files import read_submission
        from symbptt.claims import TEXTS, all_claims, claim_file

        results = all_claims()
        specs = {
            (text, spec.id): spec
            for text in TEXTS
            for spec in read_submission(claim_file(text)).answers
        }
    except Exception as exc:  # any failure of the claims run must stop the build, clearly
        where = getattr(exc, "where", None)
        raise SiteBuildError(
            f"the claims page could not be built: symbptt.claims failed with "
            f"{type(exc).__name__}: {exc}",
            where=where or "symbptt/claims.py",
        ) from exc
    if not results:
        raise SiteBuildError("symbptt.claims.all_claims() returned no claims")
    return results, specs


def prose(text: str) -> str:
    """Escaped text; runs of TeX commands (a checker's echo of an answer) set as code."""
    out, last = [], 0
    for m in _TEX_RUN.finditer(text):
        out += [html.escape(text[last : m.start()]), f"<code>{html.escape(m.group(0))}</code>"]
        last = m.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def inline_math(tex: str) -> str:
    """An inline math element holding `tex`, escaped."""
    return f'<span class="arithmatex">\\({html.escape(tex.strip())}\\)</span>'


def display_math(tex: str) -> str:
    """A display math element holding `tex`, escaped (no blank lines: it sits in raw HTML)."""
    body = _BLANK_LINES.sub("\n", tex.strip())
    return f'<div class="arithmatex">\\[{html.escape(body)}\\]</div>'


def answer_math(tex: str, display: bool = False) -> str:
    """The answer's LaTeX: multi-line answers (`&`, `\\\\` outside environments) as aligned."""
    outside = _ENV.sub("", tex)
    if "&" in outside or "\\\\" in outside:
        return display_math(f"\\begin{{aligned}}{tex.strip()}\\end{{aligned}}")
    return display_math(tex) if display else inline_math(tex)


_GREEK = frozenset(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau "
    "upsilon phi chi psi omega".split()
)


def _symbol(name: str) -> str:
    """An answer-file name as TeX: a spelled-out Greek letter (`Lambda`) gets its backslash."""
    return "\\" + name if name.lower() in _GREEK else name


def _relation(name: str, value: str) -> str:
    value = value.strip()
    if value.startswith(("\\in", "=", "<", ">", "\\le", "\\ge")):
        return f"{_symbol(name)} {value}"
    return f"{_symbol(name)} = {value}"


def answer_html(spec: Any) -> str:
    """An answer-file claim as the file writes it: the answer, its givens, definitions and range."""
    math = answer_math(spec.answer, display=True)
    wide = " claim-multiline" if "{aligned}" in math else ""  # three-line sums: a smaller font
    parts = [f'<div class="claim-answer{wide}">{math}</div>']
    notes = []
    for word, defs in (("given", spec.given), ("where", spec.where)):
        if defs:
            tex = r",\quad ".join(_relation(k, v) for k, v in defs.items())
            notes.append(f"{word} {inline_math(tex)}")
    if spec.range:
        notes.append("for " + inline_math(spec.range))
    if spec.product_order == "decreasing":
        notes.append("products read with the index decreasing left to right")
    if notes:
        parts.append(f'<div class="claim-notes">{"; ".join(notes)}</div>')
    return "".join(parts)


def _number(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def _tex_number(v: Any) -> str:
    text = f"{v:.4g}" if isinstance(v, float) else str(v)
    if "e" in text:
        mant, exp = text.split("e")
        return rf"{mant} \times 10^{{{int(exp)}}}"
    return text


def _matrix(rows: list[list[Any]]) -> str:
    body = r" \\ ".join(" & ".join(_tex_number(v) for v in row) for row in rows)
    return inline_math(r"\begin{pmatrix} " + body + r" \end{pmatrix}")


def _is_matrix(v: Any) -> bool:
    return (
        isinstance(v, list)
        and bool(v)
        and all(isinstance(r, list) and r and all(isinstance(x, int | float) for x in r) for r in v)
    )


def value_html(v: Any) -> str:
    """A counterexample value: a matrix as math, a 1x1 matrix as its number, the rest as text."""
    if _is_matrix(v):
        return html.escape(_number(v[0][0])) if len(v) == 1 and len(v[0]) == 1 else _matrix(v)
    if isinstance(v, dict):
        return ", ".join(f"{html.escape(str(k))} = {value_html(x)}" for k, x in v.items())
    if isinstance(v, list):
        return "[" + ", ".join(value_html(x) for x in v) + "]"
    return html.escape(_number(v))


def counterexample_html(ce: dict[str, Any] | None) -> str:
    """The counterexample's entries as `key = value`, in one paragraph (empty for none)."""
    if not ce:
        return ""
    items = "; ".join(f"{html.escape(str(k))} = {value_html(v)}" for k, v in ce.items())
    return f'<div class="claim-ce"><strong>Counterexample:</strong> {items}</div>'


def evidence_html(c: Any, show_by: bool = True) -> str:
    """The reason and counterexample of a wrong or undecided claim; a folded 'how' otherwise."""
    parts = []
    if c.verdict != "confirmed":
        parts.append(f'<div class="claim-reason"><strong>Why:</strong> {prose(c.reason)}</div>')
        parts.append(counterexample_html(c.counterexample))
    elif c.reason:
        parts.append(
            '<details class="claim-how"><summary>how it was checked</summary>'
            f"{prose(c.reason)}</details>"
        )
    if c.checked_by and show_by:
        by = html.escape(c.checked_by)
        parts.append(f'<div class="claim-by">checked by <code>{by}</code></div>')
    return "".join(parts)


def verdict_label(verdict: str) -> str:
    """confirmed / WRONG / undecided, coloured by its class."""
    label = _VERDICT_LABEL.get(verdict, verdict)
    return f'<span class="verdict verdict-{html.escape(verdict)}">{html.escape(label)}</span>'


def claims_table(results: Sequence[Any], specs: dict[tuple[str, str], Any]) -> str:
    """One text's claims as an HTML table (a single raw-HTML block: no blank lines)."""
    rows = ['<div class="claims-table">', "<table>",
            '<colgroup><col class="c-id"><col class="c-claim"></colgroup>',
            "<thead><tr><th>id and verdict</th><th>the claim, and the evidence</th></tr></thead>",
            "<tbody>"]  # fmt: skip
    for c in results:
        spec = specs.get((c.text, c.id))
        claim = f'<div class="claim-words">{prose(c.statement)}</div>'
        if spec is not None:
            claim += answer_html(spec)
        claim += evidence_html(c, show_by=spec is None)
        rows.append(
            f'<tr class="claim-row claim-{html.escape(c.verdict)}"><td><code>{html.escape(c.id)}'
            f"</code><br>{verdict_label(c.verdict)}</td><td>{claim}</td></tr>"
        )
    rows += ["</tbody>", "</table>", "</div>"]
    return "\n".join(rows)


def _counts(results: Sequence[Any]) -> str:
    n = Counter(c.verdict for c in results)
    return f"{len(results)} claims: {n['confirmed']} confirmed, {n['wrong']} wrong, {n['undecided']} undecided"


def claims_page(results: Sequence[Any], specs: dict[tuple[str, str], Any]) -> str:
    """The whole page: an overview table, then one section per text."""
    texts = list(dict.fromkeys(c.text for c in results))
    lines = [
        f"# {TITLE}",
        "",
        INTRO,
        "",
        "| text | confirmed | WRONG | undecided |",
        "|---|---|---|---|",
    ]
    for t in texts:
        n = Counter(c.verdict for c in results if c.text == t)
        lines.append(f"| [{t}](#{t}) | {n['confirmed']} | {n['wrong']} | {n['undecided']} |")
    lines += ["", f"All texts: {_counts(results)}.", ""]
    for t in texts:
        mine = [c for c in results if c.text == t]
        lines += [
            f"## {t} {{#{t}}}",
            "",
            f"{_counts(mine)}. Derivation page: [{t}](derivations/{t}.md). The claims with a "
            f"formula are the answers in `derivations/claims/{t}.yaml`, judged by "
            f"`symbptt check derivations/claims/{t}.yaml`; the others name the module that "
            "checked them.",
            "",
            claims_table(mine, specs),
            "",
        ]
    return "\n".join(lines)


def generate_page() -> tuple[str, str]:
    """Run the claims and return the page's Markdown and a one-line summary for the index."""
    results, specs = run_claims()
    return claims_page(results, specs), _counts(results)
