"""The data a derivation document is made of: equations with reasons, sections, check results.

Every format (tex, fragment, markdown, json) is rendered from these, so they agree by
construction. Math is LaTeX; reasons and section text are prose with `$inline math$` and
`` `code` `` spans.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Step:
    """One equation `lhs relation rhs` with a one-line reason a student can follow.

    `terms`, when given, are the summands of `rhs`, so long sums can break across lines
    (`per_line` of them per line). `kind` says what is stated (tests/test_printed_truth.py checks
    every kind numerically); `source` is the `symbolic.general.Statement` printed, if any.
    """

    lhs: str
    rhs: str
    reason: str
    relation: str = "="
    terms: tuple[str, ...] = ()
    per_line: int = 0  # summands per line when broken; 0 lets the formatter choose
    kind: str = ""
    source: Any = field(default=None, compare=False, repr=False)

    @property
    def latex(self) -> str:
        """The equation on one line."""
        return f"{self.lhs} {self.relation} {self.rhs}"

    def lines(self, per_line: int = 1) -> list[str]:
        """The right-hand side in lines of `per_line` summands (one line when no terms)."""
        if not self.terms:
            return [self.rhs]
        groups = [self.terms[i : i + per_line] for i in range(0, len(self.terms), per_line)]
        return [" + ".join(g) for g in groups]

    def __str__(self) -> str:
        """The equation in Unicode maths (δₜ,ₖ = f′(sₖ) ⊙ Uᵀ δₜ,ₖ₊₁)."""
        from symbptt.latex.text import tex_to_text

        return tex_to_text(self.latex)


@dataclass(frozen=True)
class Section:
    """A titled group of steps with an optional paragraph of prose before them."""

    title: str
    steps: tuple[Step, ...] = ()
    text: str = ""


@dataclass(frozen=True)
class CheckResult:
    """One row of the "Checked" section; `form` and `detail` (T, n, seed) head its group.

    `note` is the check's own detail (a counterexample). A `claim` row reports a source text's
    claim: `passed` says whether the claim holds, and a refuted claim is a finding, not a failure.
    """

    name: str
    form: str
    passed: bool
    max_error: float | None
    detail: str = ""
    note: str = ""
    claim: bool = False
    #: `name` for documents: prose with `$...$` math in the model's notation ("" uses `name`).
    label: str = ""

    @property
    def text(self) -> str:
        """What a document prints for this check: the label, else the name as code."""
        return self.label or f"`{self.name}`"

    def __str__(self) -> str:
        """`passed  what was checked`; a text's claim reads holds or WRONG."""
        from symbptt.latex.text import prose_to_text

        verdict = (
            ("holds" if self.passed else "WRONG")
            if self.claim
            else ("passed" if self.passed else "FAILED")
        )
        return f"{verdict}  {prose_to_text(self.text)}"


@dataclass(frozen=True)
class Derivation:
    """A whole derivation: the model, the sizes it was expanded at, sections and checks."""

    model: str
    title: str
    T: int | None
    n: int | None
    sections: tuple[Section, ...]
    checks: tuple[CheckResult, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def steps(self) -> list[Step]:
        """Every step of every section, in order."""
        return [s for sec in self.sections for s in sec.steps]

    @property
    def failed(self) -> list[CheckResult]:
        """The checks that failed (a refuted claim of the text is not a failed check)."""
        return [c for c in self.checks if not c.passed and not c.claim]

    def __str__(self) -> str:
        """The whole derivation as terminal text (what `symbptt derive` prints)."""
        from symbptt.latex.formats import to_text

        return to_text(self)

    def _repr_markdown_(self) -> str:
        """Notebook display: the Markdown page (math for MathJax, checks as a table)."""
        from symbptt.latex.formats import to_markdown

        return to_markdown(self)
