"""A notebook as a site page: executed with nbclient on a real IPython kernel, then printed.

Markdown cells stay Markdown (their math goes to KaTeX like every page), code cells become
Python blocks, and each output is shown by its richest form: the `_repr_markdown_` of symbptt's
results, PNG figures as generated files beside the page, plain text as a text block. A cell that
raises stops the build, so the page always shows a notebook that runs.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from symbptt.errors import SymbpttError

#: Seconds one cell may run before the build stops.
CELL_TIMEOUT = 120


class NotebookError(SymbpttError):
    """The notebook could not be executed or one of its cells raised."""


@dataclass
class NotebookPage:
    """The page's Markdown, its figures by file name, and the executed notebook."""

    markdown: str
    images: dict[str, bytes] = field(default_factory=dict)
    notebook: Any = None


def execute(path: Path, *, cwd: Path | None = None) -> Any:
    """Run every cell of the notebook at `path` on a fresh python3 kernel; the executed notebook."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd or path.parent)}},
    )
    try:
        client.execute()
    except CellExecutionError as exc:
        first = str(exc).strip().splitlines()
        raise NotebookError(
            f"a cell raised: {first[-1] if first else exc}", where=str(path)
        ) from None
    return nb


def _demote(markdown: str) -> str:
    """Headings inside an output sit under the cell's own section: '#' becomes '####'."""
    return re.sub(r"^(#{1,3}) ", lambda m: "#" * (len(m.group(1)) + 3) + " ", markdown, flags=re.M)


def _fence(text: str, lang: str) -> str:
    ticks = "````" if "```" in text else "```"
    return f"{ticks}{lang}\n{text.rstrip()}\n{ticks}"


def to_markdown(nb: Any, figure_prefix: str) -> NotebookPage:
    """Print an executed notebook as a page; figures are named `{figure_prefix}-N.png`."""
    page = NotebookPage("", notebook=nb)
    parts: list[str] = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
            continue
        if cell.cell_type != "code":
            continue
        parts.append(_fence(cell.source, "python"))
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "error":
                raise NotebookError(f"a cell raised {out.get('ename')}: {out.get('evalue')}")
            if kind == "stream":
                parts.append(_fence(out.get("text", ""), "text"))
                continue
            data = out.get("data", {})
            if "text/markdown" in data:
                parts.append(_demote(data["text/markdown"]))
            elif "image/png" in data:
                name = f"{figure_prefix}-{len(page.images) + 1}.png"
                page.images[name] = base64.b64decode(data["image/png"])
                alt = data.get("text/plain", "figure").strip("<>") or "figure"
                parts.append(f"![{alt}]({Path(name).name})")
            elif "text/plain" in data:
                parts.append(_fence(data["text/plain"], "text"))
    page.markdown = "\n\n".join(parts) + "\n"
    return page


def notebook_page(path: Path, figure_prefix: str) -> NotebookPage:
    """Execute the notebook at `path` and print it as a page."""
    return to_markdown(execute(path), figure_prefix)
