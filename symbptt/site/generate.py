"""Everything generated for the site, in memory: pages, figures and the navigation.

`generate()` loads every derivation in derivations/, runs its checks and renders its page from
the same objects; any failing check raises `SiteBuildError` naming the derivation and the check,
so a site is never published over a wrong derivation.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any

from symbptt import catalog
from symbptt.catalog import Entry
from symbptt.checkrow import CheckRow
from symbptt.site import pages, plots
from symbptt.site.errors import SiteBuildError  # noqa: F401  (re-exported: site.generate.SiteBuildError)

#: Hand-written pages in docs/, in navigation order, after the generated ones.
STATIC_NAV: tuple[tuple[str, str], ...] = (
    ("Matrix powers (homework 3, Ex 2)", "matrix-powers.md"),
    ("Vanishing and exploding gradients", "gradient-flow.md"),
    ("Write your own derivation", "write-your-own.md"),
    ("Your own cell and notation", "your-own-cell.md"),
    ("Checking homework", "checking-homework.md"),
)


#: The notebook shown as "A tour in a notebook" (under docs/), executed at every build.
TOUR = Path("examples") / "tour.ipynb"


@dataclass
class GeneratedSite:
    """Generated Markdown pages and PNG figures by site path, the nav, and timings."""

    pages: dict[str, str] = field(default_factory=dict)
    images: dict[str, bytes] = field(default_factory=dict)
    nav: list[Any] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def optional_module(name: str) -> ModuleType | None:
    """Import `name`, or None when that module itself is not in this checkout yet."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name) and exc.name.startswith("symbptt"):
            return None
        raise


def _check_rows(model: Any, T: int, n: int) -> tuple[list[CheckRow] | None, str]:
    """Run verify.run_checks; raise SiteBuildError on any failure; None if verify is absent."""
    verify = optional_module("symbptt.verify")
    if verify is None:
        return None, "symbptt.verify is not in this build, so no check was run for this page."
    report = verify.run_checks(model, T, n, seed=0)
    rows = [
        # the label writes the check in the model's own names, with math (no table pipes)
        replace(c, name=(c.label or c.name).replace("|", r"\vert "))
        for c in report.checks
    ]
    failed = [r for r in rows if not r.passed]
    if failed:
        detail = "; ".join(f"{r.name} ({r.form}, max error {r.max_error})" for r in failed)
        raise SiteBuildError(
            f"derivation {model.name!r}: {len(failed)} check(s) failed at T={T}, n={n}: {detail}",
            where=f"derivations/{model.name}.yaml",
        )
    if not rows:
        raise SiteBuildError(f"derivation {model.name!r}: verify.run_checks returned no checks")
    return rows, ""


def _cells_section(model: Any) -> pages.Section:
    """The engine's cell functions rendered by latexify-py in the model's notation."""
    cells = optional_module("symbptt.latex.cells")
    if cells is None:
        return pages.Section(
            "The engine's cell functions",
            '!!! warning "Not available"\n    symbptt.latex.cells is not in this build.',
        )
    parts = [
        "The numeric engine's step, rendered from Python source by latexify-py with the "
        "arguments renamed to this text's letters. The rendered functions are the engine's own "
        "step functions (`symbptt.engine`, re-exported by `symbptt.latex.cells`) with this "
        "model's activation passed in, and `tests/test_latex_cells.py` checks them equal to "
        "`engine.forward` and `engine.backward` step by step for every activation.",
    ]
    for cell in cells.engine_cells(model):
        parts += [pages.math_block(cell.latex), f"*`symbptt.engine.{cell.function}`*", ""]
    nt = model.notation
    same = model.delta == "net"
    total = cells.total_error_name(model)
    parts.append(
        f"In the backward step ${total}_{{{nt.time}}}$ is the engine's total error term "
        f"$\\partial {nt.loss.latex} / \\partial {nt.preactivation.latex}_{{{nt.time}}}$"
        + (
            ", the same convention as this text."
            if same
            else f", not this text's error term (convention `{model.delta}`, defined above)."
        )
    )
    return pages.Section("The engine's cell functions", "\n".join(parts))


_GROUPS: tuple[tuple[str, str], ...] = (
    ("For every T", "Derivation for every T"),
    ("The gradient of", "Written out for small T"),
    ("Path sums", "Path sums"),
    ("Jacobian products", "Jacobian products"),
)


def _document_sections(model: Any, T: int, n: int) -> tuple[list[pages.Section], Any]:
    """The derivation from symbptt.builders.vanilla, grouped under this site's headings.

    Returns the groups and the document's model section (a `latex.steps.Section`, None if the
    module is absent), which the notation section prints as `derive` does. The document's own
    section titles carry math, so they become h3 headings, outside the TOC.
    """
    document = optional_module("symbptt.builders.vanilla")
    if document is None:
        note = '!!! warning "Not available"\n    symbptt.builders.vanilla is not in this build.'
        return [pages.Section("Derivation", note)], None
    d = document.build(model, T, n, checks=False)
    grouped: dict[str, list[str]] = {}
    model_section, *rest = d.sections
    for sec in rest:
        if sec.title.startswith("The engine's code"):
            continue  # shown with the engine's cells below
        body = pages.steps_markdown(sec.text, sec.steps)
        group = next((g for prefix, g in _GROUPS if sec.title.startswith(prefix)), "More")
        grouped.setdefault(group, []).append(f"### {sec.title}\n\n" + body)
    order = [g for _, g in _GROUPS] + ["More"]
    out = [pages.Section(g, "\n".join(grouped[g])) for g in order if g in grouped]
    if d.notes:
        out.append(pages.Section("Notes", "\n".join(f"- {note}" for note in d.notes)))
    return out, model_section


def _figures_section(model: Any, site: GeneratedSite) -> pages.Section:
    parts = []
    for fig in (plots.jacobian_figure(model), plots.step_terms_figure(model)):
        site.images[f"plots/{fig.name}"] = fig.png
        parts.append(pages.figure_markdown(f"../plots/{fig.name}", fig.alt, fig.caption))
    return pages.Section("Gradient flow in this model", "\n".join(parts))


def derivation_sections(entry: Entry, site: GeneratedSite) -> tuple[list[pages.Section], str]:
    """All sections of one derivation page, and its status text for the index."""
    model = entry.model
    T, n = model.sizes.T, model.sizes.n  # the derivation's default sizes, as `symbptt verify`
    if model.is_gated:
        return _gated_sections(entry, site)
    t0 = time.perf_counter()
    doc_sections, model_section = _document_sections(model, T, n)
    site.timings[f"document:{model.name}"] = time.perf_counter() - t0
    sections = [pages.notation_section(entry, model_section)]
    sections += doc_sections
    t0 = time.perf_counter()
    rows, why = _check_rows(model, T, n)
    site.timings[f"checks:{model.name}"] = time.perf_counter() - t0
    sections.append(pages.checks_section(rows, T, n, why))
    sections.append(_cells_section(model))
    t0 = time.perf_counter()
    sections.append(_figures_section(model, site))
    site.timings[f"plots:{model.name}"] = time.perf_counter() - t0
    status = "not checked (verify missing)" if rows is None else f"{len(rows)} checks passed"
    return sections, status


def _gated_sections(entry: Entry, site: GeneratedSite) -> tuple[list[pages.Section], str]:
    """A gated cell's page (symbptt.site.gated): its equations, reverse step and checks."""
    from symbptt.builders import gated as gated_document
    from symbptt.cells import carousel
    from symbptt.site import gated, gated_plots

    model = entry.model
    T, n = model.sizes.T, model.sizes.n
    t0 = time.perf_counter()
    rows, why = _check_rows(model, T, n)
    site.timings[f"checks:{model.name}"] = time.perf_counter() - t0
    checks = pages.checks_section(rows, T, n, why)
    status = "not checked (verify missing)" if rows is None else f"{len(rows)} checks passed"
    t0 = time.perf_counter()
    parts = []
    try:  # a cell stated in a file may carry no state through a diag(gate) (MGU: diag(1 - z))
        carried = carousel.carried_state(model.cell_def)
        biases: tuple[float, ...] = (0.0, 4.0)
    except ValueError as exc:
        biases = ()
        parts.append(f"No figure: {exc}; the figures plot the direct path prod diag(gate).")
    for bias in biases:
        fig = gated_plots.flow_figure(model, carried, gate_bias=bias)
        site.images[f"plots/{fig.name}"] = fig.png
        parts.append(pages.figure_markdown(f"../plots/{fig.name}", fig.alt, fig.caption))
    site.timings[f"plots:{model.name}"] = time.perf_counter() - t0
    figures = pages.Section("Gradient flow in this cell", "\n".join(parts))
    derivation = gated_document.build(model, checks=False)  # the value derive prints
    return gated.sections(entry, derivation, checks, figures), status


INTRO = (
    "Each derivation below is a vanilla RNN or a gated cell in one teaching text's notation "
    "(`derivations/*.yaml`). Its page shows the model, the derivation for any T, explicit "
    "small-T expansions, the checks that were run while this site was built, the numeric "
    "engine's cell functions and gradient-flow plots. The gated cells (lstm, homework3-lstm, "
    "gru, gru-reset-before) show their equations, their reverse step for every T, their "
    "checks and gradient-flow plots. A check that fails stops the build, so "
    "the status column is what the checks reported for this build."
)


def generate() -> GeneratedSite:
    """Build every generated page and figure; SiteBuildError if any check fails."""
    from symbptt.resources import data_root
    from symbptt.site import claims_page
    from symbptt.site.notebook import NotebookError, notebook_page

    site = GeneratedSite()
    t0 = time.perf_counter()
    site.pages[claims_page.PATH], claims_summary = claims_page.generate_page()
    site.timings["claims"] = time.perf_counter() - t0
    statuses = []
    nav_derivations = []
    for entry in [*catalog.list_entries(), *catalog.example_entries()]:
        sections, status = derivation_sections(entry, site)
        site.pages[f"derivations/{entry.name}.md"] = pages.derivation_page(entry, sections)
        statuses.append((entry, status))
        nav_derivations.append({entry.name: f"derivations/{entry.name}.md"})
    claims_line = (
        f"[{claims_page.TITLE}]({claims_page.PATH}): every mathematical claim of the six source "
        f"texts with its verdict, checked while this site was built ({claims_summary})."
    )
    site.pages["index.md"] = pages.index_page(statuses, INTRO, claims_line)
    t0 = time.perf_counter()
    try:
        tour = notebook_page(data_root() / "docs" / TOUR, "examples/tour")
    except NotebookError as exc:
        raise SiteBuildError(f"the tour notebook: {exc}") from None
    site.pages["examples/tour.md"] = tour.markdown
    site.images.update(tour.images)
    site.timings["notebook"] = time.perf_counter() - t0
    site.nav = [
        {"Home": "index.md"},
        {"Derivations": nav_derivations},
        {"A tour in a notebook": "examples/tour.md"},
        {claims_page.TITLE: claims_page.PATH},
        *({title: path} for title, path in STATIC_NAV),
    ]
    from symbptt.eigen import homework_exercise

    fig = plots.eigenvalue_powers_figure(homework_exercise().numeric.eigenvalues)
    site.images[f"plots/{fig.name}"] = fig.png
    return site
