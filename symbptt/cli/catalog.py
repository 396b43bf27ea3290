"""`symbptt list`: the shipped derivations with a one-line description each (or JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from symbptt.catalog import EXAMPLES_DIR, example_entries, list_entries


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_command(as_json: bool) -> None:
    """List the shipped derivations (names usable with verify, derive and check)."""
    entries = list_entries()
    if as_json:
        rows = [
            {"name": e.name, "description": e.description, "path": str(e.path)} for e in entries
        ]
        examples = [
            {"path": _example_ref(e.path), "description": e.description} for e in example_entries()
        ]
        click.echo(json.dumps({"derivations": rows, "examples": examples}, indent=2))
        return
    width = max(len(e.name) for e in entries)
    for e in entries:
        click.echo(f"{e.name.ljust(width)}  {e.description}")
    examples = example_entries()
    if examples:
        click.echo("\nCells stated as LaTeX in a file (give the path, from any folder):")
        for e in examples:
            click.echo(f"  {_example_ref(e.path)}  {e.description}")


def _example_ref(path: object) -> str:
    """derivations/examples/x.yaml: the path `verify` and `derive` accept from any folder."""
    return f"derivations/{EXAMPLES_DIR.name}/{Path(str(path)).name}"


# The command group looks commands up by attribute name = command name.
globals()["list"] = list_command
