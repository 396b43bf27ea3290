"""The site page of a gated derivation (cell: lstm, gru, ...): the cell, its reverse step, checks.

The LaTeX document, small-T expansions and gradient-flow plots exist for the vanilla cell only
so far; the page says so instead of leaving them out silently.
"""

from __future__ import annotations

from symbptt.catalog import Entry
from symbptt.cells.reverse import StepAdjoints
from symbptt.latex.cell_ir import CellPrinter
from symbptt.site import pages

NOT_YET = (
    '!!! note "Not generated yet for gated cells"\n'
    "    The written-out derivation (small-T expansions, path sums, Jacobian products) and "
    "the LaTeX document (`symbptt derive`) are generated for the vanilla RNN only so far. The "
    "equations above are printed from the cell's statement as data (`symbptt.cells`), and "
    "every check in the table was run on it."
)


def _aligned(lines: list[str]) -> str:
    return pages.math_block("\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}")


def cell_section(entry: Entry) -> pages.Section:
    """The cell's equations, one step t, as stated in symbptt.cells.builtin."""
    cell = entry.model.cell_def
    text = [
        f"One step of the cell `{cell.name}` ({cell.description}); states "
        + ", ".join(f"${CellPrinter(cell).at(s)}$" for s in cell.states)
        + f". The loss is a per-step loss $L_t$ of ${CellPrinter(cell).at(cell.readout)}$, "
        "summed over t.",
        _aligned(CellPrinter(cell).equations()),
    ]
    return pages.Section("The cell", "\n".join(text))


def reverse_section(entry: Entry, rev: StepAdjoints) -> pages.Section:
    """The reverse step as derived by symbptt.cells.reverse (proved by the step lemma)."""
    cell = entry.model.cell_def
    p = CellPrinter(cell)
    intro = (
        "One step of BPTT, derived from the cell's equations by symbptt's own reverse mode "
        "and proved equal to SymPy's derivatives of one symbolic step (the step lemma, in the "
        "checks below). Here $\\hat{\\delta}^{s}_{t}$ is the whole adjoint of the state "
        f"$s_t$ arriving from outside step t (the loss at t and step t+1), "
        "$\\delta^{q}_{t} = \\partial L / \\partial q_t$ and $\\delta^{a_q}_{t}$ is the adjoint "
        "of the argument of the function that defines q (its pre-activation); at the last step "
        f"$\\hat{{\\delta}}^{{{p.name(cell.readout)}}}_{{T}} = \\partial L_T / \\partial "
        f"{p.name(cell.readout)}_T$."
    )
    return pages.Section(
        "Derivation for every T (one step)", intro + "\n" + _aligned(p.reverse(rev))
    )


def sections(
    entry: Entry,
    rev: StepAdjoints,
    checks: pages.Section,
    figures: pages.Section,
    partials: pages.Section,
) -> list[pages.Section]:
    """Every section of a gated derivation's page."""
    return [
        cell_section(entry),
        reverse_section(entry, rev),
        partials,
        checks,
        figures,
        pages.Section("Not yet on this page", NOT_YET),
    ]
