"""`symbptt check`: judge students' LaTeX answer files, step by step, with a class summary."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TextIO

import click

from symbptt.answers.grade import count_answers, exit_code, grade, read_all
from symbptt.answers.limits import WALL_SECONDS
from symbptt.answers.report import as_json, as_text, write_summary
from symbptt.errors import InputError
from symbptt.outfile import check_target


def _stderr() -> TextIO:
    """Where the progress bar goes (a function so that tests can hand in a terminal)."""
    return sys.stderr


def show_progress(stream: TextIO) -> bool:
    """A progress bar only on a terminal: in a log or a pipe it would be noise."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


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
    """Judge answer FILES (YAML, Markdown or .tex), every step of every answer.

    \b
    Exit codes, the first that applies:
      2  an input error: a file could not be read (the other files are still graded)
      1  some answer is wrong
      3  some answer is undecided
      0  every answer is correct
    An input error outranks wrong answers: a class with one unreadable file exits 2.
    A progress bar is shown on stderr only when stderr is a terminal.
    """
    if summary is not None:  # checked before any grading, not after a class's worth of work
        target = Path(summary).resolve()
        check_target(Path(summary), force=force, option="--summary")
        if any(Path(f).resolve() == target for f in files):
            raise InputError("--summary would overwrite one of the answer files", where=summary)
    read = read_all(files)  # each file parsed once: the bar's length and the grading share it
    workers = jobs or os.cpu_count() or 1
    err = _stderr()
    if show_progress(err):
        with click.progressbar(length=count_answers(read), label="checking", file=err) as bar:
            results = grade(files, jobs=workers, seconds=timeout, on_done=bar.update, read=read)
    else:  # click would still write the bar's label once to a file or pipe: no bar at all
        results = grade(files, jobs=workers, seconds=timeout, read=read)
    if as_json_flag:
        click.echo(json.dumps(as_json(results), indent=2))
    else:
        click.echo(as_text(results), nl=False)
    if summary is not None:
        write_summary(results, summary, force=force)
    ctx.exit(exit_code(results))
