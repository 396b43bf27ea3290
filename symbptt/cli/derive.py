"""`symbptt derive MODEL`: write a model's BPTT derivation as tex, a fragment, markdown or json."""

from __future__ import annotations

from pathlib import Path

import click

from symbptt import catalog
from symbptt.errors import InputError
from symbptt.latex.document import FORMS, build
from symbptt.latex.formats import FORMATS, render
from symbptt.outfile import check_target, write_new


@click.command("derive")
@click.argument("model_name", metavar="MODEL")
@click.option(
    "--T", "T", type=int, default=None, help="Time steps to write out (default: the model's)."
)
@click.option(
    "--n", "n", type=int, default=None, help="Hidden units to write out (default: the model's)."
)
@click.option(
    "--wrt",
    multiple=True,
    metavar="P",
    help="Parameter(s) to differentiate by, in the model's names (default: all).",
)
@click.option(
    "--form",
    type=click.Choice(FORMS),
    default="all",
    show_default=True,
    help="Which gradient forms to write out; 'general' writes only what holds for every T.",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="tex", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=True, path_type=Path),
    default=None,
    help="Output file (default: stdout). Never overwritten without --force.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing output file.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the numeric check.")
@click.option(
    "--no-checks",
    is_flag=True,
    help="Leave out the Checked section (faster; the exit status is then 0).",
)
def derive(
    model_name: str,
    T: int | None,
    n: int | None,
    wrt: tuple[str, ...],
    form: str,
    fmt: str,
    output: Path | None,
    force: bool,
    seed: int,
    no_checks: bool,
) -> None:
    """Derive BPTT for MODEL (a built-in name or a derivation file) and write it.

    The document ends with a Checked section: the step-lemma proof for every T and the checks
    of `symbptt verify` at --T, --n, --seed. If any check fails, the document is still written
    (its Checked section marks the failures), the failed checks are listed on stderr and the
    exit status is 1. A formula of the source text that the checks refute (marked WRONG) is a
    finding, not a failure. Bad input exits with status 2.
    """
    if output is not None:
        check_target(output, force=force, option="-o")
    model = catalog.load(model_name)
    for key, value in (("--T", T), ("--n", n)):
        if value is not None and value < 1:
            raise InputError(f"{key} must be a whole number >= 1; found {value}")
    derivation = build(model, T, n, wrt=list(wrt), form=form, seed=seed, checks=not no_checks)
    text = render(derivation, fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_new(output, text, force=force, option="-o")
    failed = derivation.failed
    if failed:
        where = "stdout" if output is None else str(output)
        click.echo(
            f"derive: {len(failed)} check(s) FAILED (document written to {where}):", err=True
        )
        for c in failed:
            click.echo(f"  {c.name}" + (f": {c.note}" if c.note else ""), err=True)
        raise SystemExit(1)
