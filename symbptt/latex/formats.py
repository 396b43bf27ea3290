"""One `Derivation`, five outputs: terminal text, a standalone tex document, a tex fragment,
markdown and json.

All outputs are pure functions of the derivation (no dates, no paths, no hashing order), so the
same input gives the same bytes. The tex document uses only amsmath, amssymb and bm.
"""

from __future__ import annotations

import json
import math
import re
import textwrap
from typing import TYPE_CHECKING

from symbptt.latex.text import prose_to_text, tex_to_text

if TYPE_CHECKING:  # types only: steps imports this module to print itself
    from symbptt.latex.steps import CheckResult, Derivation, Step

FORMATS = ("text", "tex", "fragment", "markdown", "json")

_SPAN = re.compile(r"(\$[^$]+\$|`[^`]+`)")
_TEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "_": r"\_",
    "^": r"\^{}",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "~": r"\~{}",
    "$": r"\$",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}


def escape_tex(text: str) -> str:
    """Plain text made safe for LaTeX."""
    return "".join(_TEX_ESCAPES.get(c, c) for c in text)


def prose_tex(text: str) -> str:
    """Prose with `$math$` kept and `` `code` `` set in \\texttt; the rest escaped."""
    out = []
    for part in _SPAN.split(text):
        if part.startswith("$") and part.endswith("$") and len(part) > 1:
            out.append(part)
        elif part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(r"\texttt{" + escape_tex(part[1:-1]) + "}")
        else:
            out.append(escape_tex(part))
    return "".join(out)


def inline_math(text: str) -> list[str]:
    """The `$...$` spans of a piece of prose, without the dollars (for the KaTeX check)."""
    return [p[1:-1] for p in _SPAN.findall(text) if p.startswith("$")]


def _per_line(step: Step) -> int:
    if step.per_line:
        return step.per_line
    width = max((len(t) for t in step.terms), default=0)
    return 1 if width > 60 else (2 if width > 25 else 4)


def _aligned_body(step: Step) -> str:
    lines = step.lines(_per_line(step))
    body = f"{step.lhs} &{step.relation} {lines[0]}"
    for line in lines[1:]:
        body += f" \\\\\n  &\\quad + {line}"
    return body


def display_math(step: Step) -> str:
    """The step as one display-math body (with `aligned` when its sum breaks across lines)."""
    if len(step.lines(_per_line(step))) == 1:
        return step.latex
    return "\\begin{aligned}\n  " + _aligned_body(step) + "\n\\end{aligned}"


def _check_groups(checks: tuple[CheckResult, ...]) -> list[tuple[str, list[CheckResult]]]:
    """Checks grouped by (form, detail), in first-seen order: one heading per group."""
    groups: dict[str, list[CheckResult]] = {}
    for c in checks:
        groups.setdefault(f"{c.form} ({c.detail})" if c.detail else c.form, []).append(c)
    return list(groups.items())


def _verdict(c: CheckResult) -> str:
    if c.claim:
        return "holds" if c.passed else "WRONG"
    return "passed" if c.passed else "FAILED"


def _check_row(c: CheckResult) -> tuple[str, str, str]:
    """(what was checked, as prose with math or code; verdict; max error)."""
    err = "--" if c.max_error is None else f"{c.max_error:.3g}"
    return (c.text, _verdict(c), err)


#: `CheckResult.form` of the step-lemma proof's rows and of `symbptt verify`'s checks' rows.
PROOF_FORM, VERIFY_FORM = "step-lemma proof", "checks"


def check_counts(d: Derivation) -> tuple[int, int]:
    """(checks run, checks failed), counted as `symbptt verify` counts them.

    The proof's rows are the steps of one check: verify's step-lemma check when verify's checks
    ran, else a check of its own. The text's claims are findings, not checks of ours.
    """
    proof = [c for c in d.checks if c.form == PROOF_FORM and not c.claim]
    rows = [c for c in d.checks if c.form != PROOF_FORM and not c.claim]
    verified = any(c.form == VERIFY_FORM for c in rows)
    failed = sum(not c.passed for c in rows)
    lemma_failed = any(not c.passed and "step lemma" in c.name for c in rows)
    if proof and not all(c.passed for c in proof) and not lemma_failed:
        failed += 1
    return len(rows) + (bool(proof) and not verified), failed


def summary_lines(d: Derivation) -> list[str]:
    """What the Checked section says: our checks (as verify counts them), then the text's claims
    apart: a refuted claim is a finding about the text, not a failure of ours."""
    ran, failed = check_counts(d)
    proof = [c for c in d.checks if c.form == PROOF_FORM and not c.claim]
    verified = any(c.form == VERIFY_FORM for c in d.checks)
    whose = "checks of `symbptt verify`" if verified else "checks"
    if failed:
        names = "; ".join(c.text for c in d.failed)
        line = f"{failed} of {ran} {whose} FAILED: {names}."
    elif ran == 1:
        line = "The one check passed."
    else:
        line = f"All {ran} {whose} passed."
    if proof and verified:
        line += f" One of them is the step-lemma proof for every $T$ ({len(proof)} steps)."
    elif proof:
        line += (
            f" It is the step-lemma proof for every $T$ ({len(proof)} steps); `symbptt verify` "
            "adds the numeric checks, which need concrete sizes (not `--form general`)."
        )
    lines = [line]
    claims = [c for c in d.checks if c.claim]
    wrong = [c for c in claims if not c.passed]
    if claims:
        lines.append(
            f"The text's formula: {len(wrong)} of {len(claims)} checks refute it (marked WRONG); "
            "a finding about the text, not a failed check."
            if wrong
            else f"The text's formula: all {len(claims)} checks confirm it."
        )
    return lines


def _summary(d: Derivation) -> str:
    return " ".join(summary_lines(d))


def to_fragment(d: Derivation) -> str:
    """The document's body: sections, equations and reasons, to \\input into a tex file."""
    out: list[str] = []
    for sec in d.sections:
        out.append(f"\\section*{{{prose_tex(sec.title)}}}\n")
        if sec.text:
            out.append(prose_tex(sec.text) + "\n")
        for step in sec.steps:
            out.append("\\begin{align*}\n  " + _aligned_body(step) + "\n\\end{align*}")
            out.append("{\\small\\itshape " + prose_tex(step.reason) + "}\\par\n")
    if d.checks:
        out.append("\\section*{Checked}\n")
        out.append(prose_tex(_summary(d)) + "\\par\\medskip\n")
        for heading, group in _check_groups(d.checks):
            out.append(prose_tex(heading[0].upper() + heading[1:]) + ":\\par")
            out.append("\\begin{center}\n\\small\n\\begin{tabular}{p{12cm}ll}")
            out.append("check & result & max error \\\\ \\hline")
            for c in group:
                name, verdict, err = map(prose_tex, _check_row(c))  # math kept, rest escaped
                if c.note:
                    name += "\\newline {\\footnotesize " + prose_tex(c.note) + "}"
                out.append(f"{name} & {verdict} & {err} \\\\")
            out.append("\\end{tabular}\n\\end{center}\n")
    for note in d.notes:
        out.append("\\noindent " + prose_tex(note) + "\\par\n")
    return "\n".join(out)


def to_tex(d: Derivation) -> str:
    """A standalone article that pdflatex compiles (amsmath, amssymb, bm only)."""
    head = [
        "\\documentclass{article}",
        "\\usepackage{amsmath}",
        "\\usepackage{amssymb}",
        "\\usepackage{bm}",
        "\\setlength{\\textwidth}{16cm}",
        "\\setlength{\\oddsidemargin}{0cm}",
        "\\setlength{\\topmargin}{-1cm}",
        "\\setlength{\\textheight}{23cm}",
        "\\setlength{\\parindent}{0pt}",
        "\\allowdisplaybreaks",
        # one short equation per reason: tighter display skips keep the pages readable
        "\\AtBeginDocument{\\setlength{\\abovedisplayskip}{4pt plus 2pt}"
        "\\setlength{\\belowdisplayskip}{2pt plus 2pt}"
        "\\setlength{\\abovedisplayshortskip}{2pt plus 2pt}"
        "\\setlength{\\belowdisplayshortskip}{2pt plus 2pt}}",
        f"\\title{{{prose_tex(d.title)}}}",
        "\\date{}",
        "\\begin{document}",
        "\\maketitle",
        "",
    ]
    return "\n".join(head) + to_fragment(d) + "\n\\end{document}\n"


def to_markdown(d: Derivation) -> str:
    """A docs-site page: `$$` display math (KaTeX), reasons in italics, checks as a table."""
    out = [f"# {d.title}", ""]
    for sec in d.sections:
        out += [f"## {sec.title}", ""]
        if sec.text:
            out += [sec.text, ""]
        for step in sec.steps:
            out += ["$$", display_math(step), "$$", "", f"*{step.reason}*", ""]
    if d.checks:
        out += ["## Checked", "", _summary(d), ""]
        for heading, group in _check_groups(d.checks):
            out += [heading[0].upper() + heading[1:] + ":", ""]
            out += ["| check | result | max error |", "|---|---|---|"]
            for c in group:
                name, verdict, err = _check_row(c)
                cell = name + (f"<br>`{c.note}`" if c.note else "")
                out.append(f"| {cell.replace('|', '&#124;')} | {verdict} | {err} |")
            out.append("")
    for note in d.notes:
        out += [note, ""]
    return "\n".join(out)


def _wrap(prose: str, indent: str = "") -> list[str]:
    return textwrap.wrap(prose_to_text(prose), 100, initial_indent=indent, subsequent_indent=indent)


def _heading(title: str, rule: str) -> list[str]:
    title = prose_to_text(title)
    return [title, rule * len(title)]


def to_text(d: Derivation) -> str:
    """For a terminal: the maths in Unicode (`δₜ,ₖ = f′(sₖ) ⊙ Uᵀ δₜ,ₖ₊₁`), reasons indented
    under each equation, then the checks as `symbptt verify` counts them."""
    out = [*_heading(d.title, "="), ""]
    for sec in d.sections:
        out += [*_heading(sec.title, "-")]
        if sec.text:
            out += _wrap(sec.text)
        out.append("")
        for step in sec.steps:
            lhs = tex_to_text(step.lhs)
            rel = tex_to_text(step.relation) if step.relation.startswith("\\") else step.relation
            first, *rest = step.lines(_per_line(step))
            out.append(f"  {lhs} {rel} {tex_to_text(first)}")
            out += [f"      + {tex_to_text(line)}" for line in rest]
            out += _wrap(step.reason, "      ")
        out.append("")
    if d.checks:
        out += [*_heading("Checked", "-")]
        for heading, group in _check_groups(d.checks):
            out += [*_wrap(heading[0].upper() + heading[1:] + ":")]
            for c in group:
                name, verdict, err = _check_row(c)
                tail = "" if c.max_error is None else f"  (max error {err})"
                out += textwrap.wrap(
                    prose_to_text(name) + tail, 100, initial_indent=f"  {verdict:<8}",
                    subsequent_indent=" " * 10,
                )  # fmt: skip
                if c.note:
                    out += _wrap(c.note, " " * 10)
            out.append("")
    for note in d.notes:
        out += [*_wrap(note), ""]
    for line in summary_lines(d) if d.checks else ["Not checked (--no-checks)."]:
        out += _wrap(line)  # last, where a terminal leaves the eye
    return "\n".join(out).rstrip() + "\n"


def to_json(d: Derivation) -> str:
    """The steps and checks as data: {"model", "T", "n", "steps": [...], "checks": [...]}."""
    data = {
        "model": d.model,
        "T": d.T,
        "n": d.n,
        "steps": [
            {
                "section": sec.title,
                "lhs": s.lhs,
                "rhs": s.rhs,
                "relation": s.relation,
                "reason": s.reason,
                "latex": s.latex,
            }
            for sec in d.sections
            for s in sec.steps
        ],
        "checks": [
            {
                "name": c.name,
                "label": c.label,
                "form": c.form,
                "passed": c.passed,
                "max_error": c.max_error
                if c.max_error is not None and math.isfinite(c.max_error)
                else None,
                "detail": c.detail,
                "note": c.note,
                "claim": c.claim,
            }
            for c in d.checks
        ],
        "failed": [c.name for c in d.failed],
        # as `symbptt verify` counts: the proof's steps are one check; the text's claims apart
        "counts": dict(
            zip(("checks", "checks_failed"), check_counts(d), strict=True),
            claims=sum(c.claim for c in d.checks),
            claims_refuted=sum(c.claim and not c.passed for c in d.checks),
        ),
        "notes": list(d.notes),
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render(d: Derivation, fmt: str) -> str:
    """The derivation in one of FORMATS."""
    renderers = {
        "text": to_text,
        "tex": to_tex,
        "fragment": to_fragment,
        "markdown": to_markdown,
        "json": to_json,
    }
    return renderers[fmt](d)
