"""`symbptt verify MODEL`: every check of one derivation, as a table or JSON; exit 1 on a failure."""

from __future__ import annotations

import json

import click

from symbptt.catalog import load
from symbptt.verify import Check, Report, run_checks


def _error(c: Check) -> str:
    return "-" if c.max_error is None else f"{c.max_error:.2e}"


def format_table(report: Report) -> str:
    """The report as an aligned text table (check, form, max error, time, result)."""
    head = ("check", "form", "max error", "time", "result")
    rows = [
        (c.name, c.form, _error(c), "-" if c.skipped else f"{c.seconds:.2f} s", _result(c))
        for c in report.checks
    ]
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head))]
    lines = [f"symbptt verify {report.model} (T={report.T}, n={report.n})"]
    for r in (head, *rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    failed = [c for c in report.checks if not c.passed and not c.skipped]
    notes = [c for c in report.checks if c.detail and not c.skipped]
    for c in notes:
        lines.append(f"{'FAIL' if not c.passed else 'note'}: {c.name}: {c.detail}")
    skipped = [c for c in report.checks if c.skipped]
    for reason in dict.fromkeys(c.detail for c in skipped):
        count = sum(c.detail == reason for c in skipped)
        lines.append(f"{count} check{'s' if count > 1 else ''} {reason}")
    total = len(report.checks)
    if skipped:
        lines.append(f"{total} checks: {report.counts()}")
    else:
        lines.append(
            f"{total} checks: all passed" if not failed else f"{total} checks: {len(failed)} FAILED"
        )
    return "\n".join(lines)


def _result(c: Check) -> str:
    return "skipped" if c.skipped else "ok" if c.passed else "FAIL"


@click.command("verify")
@click.argument("model")
@click.option("--T", "T", type=int, default=None, help="Time steps (default: the model's).")
@click.option("--n", "n", type=int, default=None, help="Hidden units (default: the model's).")
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed for random points.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def verify(
    ctx: click.Context, model: str, T: int | None, n: int | None, seed: int, as_json: bool
) -> None:
    """Prove and check the BPTT derivation MODEL (a built-in name or a .yaml path).

    Exact: direct = BPTT = path sums for a generic activation and per-step loss, the error
    terms' definitions, and the step lemma (every T). Numeric: the symbolic gradients against
    the numpy engine and central differences. Beyond the unrolled forms' limit the checks that
    scale run (the step lemma at a small n, the code generated from it at T and n against the
    engine and central differences) and the unrolled ones are listed as skipped; up to
    n*n*T <= 2^24, n <= 1024, T <= 4096. Exit 0 if all that ran pass, 1 if one fails, 2 on bad
    input.
    """
    m = load(model)
    report = run_checks(m, m.sizes.T if T is None else T, m.sizes.n if n is None else n, seed=seed)
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2))
    else:
        click.echo(format_table(report))
    ctx.exit(0 if report.passed else 1)
