"""`symbptt list`: the shipped derivations with a one-line description each (or JSON)."""

from __future__ import annotations

import json

import click

from symbptt.catalog import list_entries


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_command(as_json: bool) -> None:
    """List the shipped derivations (names usable with verify, derive and check)."""
    entries = list_entries()
    if as_json:
        rows = [
            {"name": e.name, "description": e.description, "path": str(e.path)} for e in entries
        ]
        click.echo(json.dumps({"derivations": rows}, indent=2))
        return
    width = max(len(e.name) for e in entries)
    for e in entries:
        click.echo(f"{e.name.ljust(width)}  {e.description}")


# The command group looks commands up by attribute name = command name.
globals()["list"] = list_command
