"""`symbptt check`: judge students' LaTeX answer files, step by step, with a class summary."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from symbptt.answers.grade import count_answers, exit_code, grade, read_all
from symbptt.answers.limits import WALL_SECONDS
from symbptt.answers.report import as_json, as_text, write_summary
from symbptt.errors import InputError


@click.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--jobs",
    type=click.IntRange(1, 512),
    default=None,
    help="Worker processes (default: all cores).",
)
@click.option(
    "--summary",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write a CSV, one row per student and answer.",
)
@click.option("--force", is_flag=True, help="Let --summary overwrite an existing file.")
@click.option("--json", "as_json_flag", is_flag=True, help="Print the JSON report instead of text.")
@click.option(
    "--timeout",
    type=click.FloatRange(0.1, 600),
    default=WALL_SECONDS,
    show_default=True,
    help="Wall-clock seconds per answer.",
)
@click.pass_context
def check(ctx: click.Context, files: tuple[str, ...], jobs: int | None, summary: str | None,
          force: bool, as_json_flag: bool, timeout: float) -> None:  # fmt: skip
    """Judge answer FILES (YAML, Markdown or .tex). Exit 0 all correct, 1 wrong, 3 undecided, 2 input error."""
    if summary is not None:
        target = Path(summary).resolve()
        if target.exists() and not force:
            raise InputError("refusing to overwrite an existing file (use --force)", where=summary)
        if any(Path(f).resolve() == target for f in files):
            raise InputError("--summary would overwrite one of the answer files", where=summary)
    read = read_all(files)  # each file parsed once: the bar's length and the grading share it
    total = count_answers(read)
    # On a terminal the bar animates; elsewhere click writes its label once (to stderr).
    with click.progressbar(length=total, label="checking", file=sys.stderr) as bar:
        results = grade(
            files, jobs=jobs or os.cpu_count() or 1, seconds=timeout, on_done=bar.update, read=read
        )
    if as_json_flag:
        click.echo(json.dumps(as_json(results), indent=2))
    else:
        click.echo(as_text(results), nl=False)
    if summary is not None:
        write_summary(results, summary, force=force)
    ctx.exit(exit_code(results))
