"""The `symbptt` command: a click group whose subcommands live one per module in this package.

Each subcommand parses its options, calls one library function, prints, and sets the exit code.
Errors a user can fix (`SymbpttError`) are printed as one line on stderr with exit code 2,
never as a traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import NoReturn

import click

from symbptt.errors import SymbpttError

# (module in symbptt.cli, click command attribute = the command's name); one line per subcommand.
# Modules are imported only when their command runs, so `symbptt eigen` does not load SymPy
# printing, the docs builder or the answer parser.
COMMANDS: list[tuple[str, str]] = [
    ("eigen", "eigen"),
    ("eigen", "flow"),
    ("derive", "derive"),
    ("check", "check"),
    ("docs", "docs"),
    ("verify", "verify"),
    ("catalog", "list"),
    ("claims", "claims"),
]


class _Group(click.Group):
    """A lazy group that turns SymbpttError into a clean message and exit code 2."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(attr for _, attr in COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        for module, attr in COMMANDS:
            if attr == cmd_name:
                return getattr(importlib.import_module(f"symbptt.cli.{module}"), attr)
        return None

    def make_context(self, info_name, args, parent=None, **extra):  # type: ignore[override]
        """The group's own usage errors (unknown option, bad --flag) in the one error style."""
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.ClickException as exc:
            _fail(exc)

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except SymbpttError as exc:
            click.echo(f"symbptt: error: {exc}", err=True)
            ctx.exit(2)
        except click.ClickException as exc:  # a subcommand's usage error or click.Path check
            _fail(exc)


def _fail(exc: click.ClickException) -> NoReturn:
    """Print click's own error as `symbptt: error: ...` (plus the help hint) and exit with its code."""
    if isinstance(exc, click.exceptions.NoArgsIsHelpError) and exc.ctx is not None:
        # `symbptt` or `symbptt docs` alone: the help text, then the error line
        click.echo(exc.ctx.get_help() + "\n", err=True)
        click.echo("symbptt: error: missing a command (see the list above)", err=True)
        raise click.exceptions.Exit(exc.exit_code)
    click.echo(f"symbptt: error: {exc.format_message()}", err=True)
    ctx = getattr(exc, "ctx", None)
    if ctx is not None and ctx.command.get_help_option(ctx) is not None:
        click.echo(f"Try '{ctx.command_path} --help' for help.", err=True)
    raise click.exceptions.Exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="symbptt")
def cli() -> None:
    """Derive, print and check Backpropagation Through Time (BPTT) in recurrent networks."""


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
