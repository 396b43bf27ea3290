"""docs/examples/tour.ipynb runs on a real IPython kernel (nbclient + ipykernel), every result
displays itself as Markdown, and the site prints it as a page."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from symbptt.site.notebook import NotebookError, to_markdown

TOUR = Path(__file__).resolve().parents[1] / "docs" / "examples" / "tour.ipynb"


@pytest.fixture(scope="module")
def executed() -> nbformat.NotebookNode:
    nb = nbformat.read(TOUR, as_version=4)
    # raises CellExecutionError on the first cell that fails: the test fails with it
    NotebookClient(nb, timeout=180, kernel_name="python3").execute()
    return nb


def _outputs(nb: nbformat.NotebookNode, needle: str) -> list[dict]:
    """The outputs of the one code cell whose source contains `needle`."""
    (cell,) = [c for c in nb.cells if c.cell_type == "code" and needle in c.source]
    return cell.outputs


def _markdown(nb: nbformat.NotebookNode, needle: str) -> str:
    (out,) = [o for o in _outputs(nb, needle) if "text/markdown" in o.get("data", {})]
    return out["data"]["text/markdown"]


@pytest.mark.slow
def test_every_cell_runs_and_results_display_themselves(executed: nbformat.NotebookNode) -> None:
    assert not [o for c in executed.cells if c.cell_type == "code" for o in c.outputs
                if o.output_type == "error"]  # fmt: skip
    derivation = _markdown(executed, "symbptt.derive(")
    # the lecture's own letters: U is recurrent, so delta_{t,k} recurses through U^T
    assert "$$" in derivation and r"U^\top \delta_{t, k + 1}" in derivation
    assert "all passed" in _markdown(executed, "run_checks(")
    # homework 3 Ex 1(b) with the local dL_t/dh_t is wrong for T >= 2; with dL/dh_t it is right
    wrong = _markdown(executed, "wrong = symbptt.check_answer(")
    assert "**WRONG**" in wrong and r"\operatorname{diag}(\sigma'(s_t))" in wrong
    assert "counterexample" in wrong
    assert "**CORRECT**" in _markdown(executed, r'r"\frac{\partial L}{\partial h_t}"')
    powers = _markdown(executed, "power_from_factors(")
    assert "M^{30}" in powers and "bmatrix" in powers
    assert "spectral radius" in _markdown(executed, "flow.gradient_flow(")
    assert any("image/png" in o.get("data", {}) for o in _outputs(executed, "semilogy"))
    claims = _markdown(executed, 'claims("homework3")')
    assert "**WRONG**" in claims and "**CONFIRMED**" in claims


@pytest.mark.slow
def test_the_site_prints_the_executed_notebook(executed: nbformat.NotebookNode) -> None:
    page = to_markdown(executed, "examples/tour")
    assert list(page.images) == ["examples/tour-1.png"]
    assert page.images["examples/tour-1.png"].startswith(b"\x89PNG")
    assert "](tour-1.png)" in page.markdown
    assert "```python\nimport symbptt" in page.markdown
    # an output's own headings sit below the page's sections
    assert "\n# Backpropagation" not in page.markdown
    assert "#### Backpropagation through time: dl4nlp" in page.markdown


def test_a_cell_error_stops_the_page() -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("1 / 0")
    cell.outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division")]
    nb.cells = [cell]
    with pytest.raises(NotebookError, match="ZeroDivisionError"):
        to_markdown(nb, "x")
