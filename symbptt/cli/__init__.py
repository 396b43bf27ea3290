"""The `symbptt` command: a click group whose subcommands live one per module in this package.

Each subcommand parses its options, calls one library function, prints, and sets the exit code.
Errors a user can fix (`SymbpttError`) are printed as one line on stderr with exit code 2,
never as a traceback.
"""

from __future__ import annotations

import importlib
import sys

import click

from symbptt.errors import SymbpttError

# (module in symbptt.cli, click command attribute); one line per subcommand.
COMMANDS: list[tuple[str, str]] = [
    ("eigen", "eigen"),
    ("eigen", "flow"),
    ("derive", "derive"),
    ("check", "check"),
    ("docs", "docs"),
]


class _Group(click.Group):
    """A group that turns SymbpttError into a clean message and exit code 2."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except SymbpttError as exc:
            click.echo(f"symbptt: error: {exc}", err=True)
            ctx.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="symbptt")
def cli() -> None:
    """Derive, print and check Backpropagation Through Time (BPTT) in recurrent networks."""


for _module, _attr in COMMANDS:
    cli.add_command(getattr(importlib.import_module(f"symbptt.cli.{_module}"), _attr))


def main(argv: list[str] | None = None) -> int:
    """Entry point for the console script; returns the exit code."""
    try:
        cli.main(args=argv, prog_name="symbptt", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
