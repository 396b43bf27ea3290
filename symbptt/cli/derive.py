"""`symbptt derive MODEL`: a model's BPTT derivation as terminal text, tex, a fragment, markdown
or json."""

from __future__ import annotations

from pathlib import Path

import click

from symbptt import catalog
from symbptt.builders import gated as gated_document
from symbptt.builders.vanilla import FORMS, build
from symbptt.errors import InputError
from symbptt.latex.formats import FORMATS, check_counts, render
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
    help="Which gradient forms to write out; 'general' writes only what holds for every T "
    "(a gated cell prints all, general, bptt or paths).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="text: Unicode maths for a terminal (the default); tex: a standalone LaTeX document "
    "(the default for -o x.tex); fragment: its body; markdown (-o x.md); json (-o x.json).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=True, path_type=Path),
    default=None,
    help="Output file (default: stdout). Never overwritten without --force.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing output file.")
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of the numeric check.",
)
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

    On a terminal it reads as maths in Unicode; --format tex (or -o FILE.tex) gives LaTeX. The
    document ends with a Checked section: the checks of `symbptt verify` at --T, --n, --seed,
    counted as verify counts them (the step-lemma proof for every T is one). If any check fails, the document is still written
    (its Checked section marks the failures), the failed checks are listed on stderr and the
    exit status is 1. A formula of the source text that the checks refute (marked WRONG) is a
    finding, not a failure. Bad input exits with status 2.
    """
    if output is not None:
        check_target(output, force=force, option="-o")
    model = catalog.load(model_name)
    if model.notation.layout == "denominator":  # derive prints numerator-layout chains only
        raise InputError(
            "layout: denominator - derive prints Jacobians and chains in numerator layout only "
            "(dh_t/dh_k = prod diag(f') W, dL/dh a row in a chain); remove the layout key or set "
            "numerator or mixed to derive this file (an answer file may still declare "
            "layout: denominator for symbptt check)",
            where=model_name,
        )
    for key, value in (("--T", T), ("--n", n)):
        if value is not None and value < 1:
            raise InputError(f"{key} must be a whole number >= 1; found {value}")
    fmt = fmt or _FORMAT_OF_SUFFIX.get(output.suffix.lower() if output else "", "text")
    if model.is_gated:  # the cell, its head, reverse step, step partials, path sums, checks
        derivation = gated_document.build(
            model, T, n, wrt=list(wrt), form=form, seed=seed, checks=not no_checks
        )
    else:
        derivation = build(model, T, n, wrt=list(wrt), form=form, seed=seed, checks=not no_checks)
    text = render(derivation, fmt)
    if output is None:
        click.echo(text, nl=False)
        if fmt == "text":
            click.echo(_next_steps(model_name, form))
    else:
        write_new(output, text, force=force, option="-o")
    ran, failed = check_counts(derivation)
    if output is not None and not failed:
        checked = f"; {ran} check(s) passed" if ran else ""
        click.echo(f"wrote {output} ({fmt}{checked})", err=True)
    if failed:
        where = "stdout" if output is None else str(output)
        click.echo(
            f"derive: {failed} of {ran} check(s) FAILED (document written to {where}):", err=True
        )
        for c in derivation.failed:
            click.echo(f"  {c.name}" + (f": {c.note}" if c.note else ""), err=True)
        raise SystemExit(1)


#: `-o` without --format: the file's suffix chooses (a .tex file gets the standalone document).
_FORMAT_OF_SUFFIX = {".tex": "tex", ".md": "markdown", ".json": "json", ".txt": "text"}


def _next_steps(model_name: str, form: str) -> str:
    """The one line after the terminal text: where to go from here."""
    flag = "" if form == "all" else f" --form {form}"
    return (
        f"Next: symbptt derive {model_name}{flag} -o {Path(model_name).stem}.tex for LaTeX; "
        "symbptt list; symbptt --help"
    )
