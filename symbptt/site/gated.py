"""The site page of a gated derivation (cell: lstm, gru, ...): prints the derivation value.

The page prints the one `Derivation` that `symbptt derive` prints (`derive.gated.build`,
built once by the site generator): the cell and its sizes, the reverse step for every T, the
step partials and the total Jacobian; then the checks table and the gradient-flow figures. It
never calls the algebra. Small-T expansions, path sums and Jacobian products exist for the
vanilla cell only so far; the page says so instead of leaving them out.
"""

from __future__ import annotations

from collections.abc import Sequence

from symbptt.catalog import Entry
from symbptt.latex.formats import display_math
from symbptt.latex.steps import Derivation, Section, Step
from symbptt.site import pages

NOT_YET = (
    '!!! note "Not generated yet for gated cells"\n'
    "    The entry-by-entry expansion of the unrolled graph for small T is written out for the "
    "vanilla RNN only so far; the path sums and Jacobian products above are derived from the "
    "cell's statement as data (`symbptt.cells`), every check in the table was run on it, and "
    "`symbptt derive NAME --format tex` prints the same derivation as a LaTeX document."
)

#: the derivation's section titles -> this site's headings (the table of contents)
TITLES = {
    "The cell": "The cell",
    "For every T: one step of BPTT": "Derivation for every T (one step)",
    "Step partials": "Step partials and the total Jacobian",
}


def _aligned(steps: Sequence[Step]) -> str:
    """Steps as one aligned display body (a compact list of equations, reasons left out)."""
    lines = [f"{s.lhs} &{s.relation} {s.rhs}" for s in steps]
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


def _one_by_one(steps: Sequence[Step]) -> list[str]:
    """Each step as its own display with its reason below; consecutive steps with the same
    reason (every parameter's per-step term) share one aligned display and one reason."""
    out: list[str] = []
    i = 0
    while i < len(steps):
        j = i + 1
        while j < len(steps) and steps[j].reason == steps[i].reason:
            j += 1
        math = display_math(steps[i]) if j == i + 1 else _aligned(steps[i:j])
        out += [pages.math_block(math), f"*{steps[i].reason}*", ""]
        i = j
    return out


def page_section(sec: Section) -> pages.Section:
    """One section of the derivation: the cell's equations in one display, the rest stepwise."""
    body = [sec.text, ""] if sec.text else []
    compact = sec.title == "The cell"
    body += [pages.math_block(_aligned(sec.steps))] if compact else _one_by_one(sec.steps)
    title = TITLES.get(sec.title, sec.title.replace("$", ""))  # no math in the TOC
    return pages.Section(title, "\n".join(body))


def sections(
    entry: Entry, d: Derivation, checks: pages.Section, figures: pages.Section
) -> list[pages.Section]:
    """Every section of a gated derivation's page, from the derivation value d."""
    return [
        *(page_section(sec) for sec in d.sections),
        checks,
        figures,
        pages.Section("Not yet on this page", NOT_YET),
    ]
