"""`symbptt check`: judge students' LaTeX answer files, step by step, with a class summary."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import TextIO

import click

from symbptt.answers.folders import expand
from symbptt.answers.grade import (
    count_answers,
    exit_code,
    grade,
    parse_shard,
    read_all,
    select_shard,
)
from symbptt.answers.gradescope import write_gradescope
from symbptt.answers.limits import WALL_SECONDS
from symbptt.answers.points import read_rubric
from symbptt.answers.report import as_json, as_text, score_line, write_scores, write_summary
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
@click.argument("files", nargs=-1, required=True, type=click.Path())
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
@click.option(
    "--scores",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write a CSV, one row per student: score, maximum, counts by verdict.",
)
@click.option(
    "--gradescope",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write Gradescope's results.json (a test per answer, the total score).",
)
@click.option(
    "--rubric",
    type=click.Path(dir_okay=False),
    default=None,
    help="Points per answer (and per step) from this YAML file; it overrides the files' own.",
)
@click.option(
    "--shard",
    default=None,
    metavar="I/N",
    help="Grade only the I-th of N slices of the sorted file list (for array jobs).",
)
@click.option(
    "--force", is_flag=True, help="Let --summary, --scores, --gradescope overwrite a file."
)
@click.option("--json", "as_json_flag", is_flag=True, help="Print the JSON report instead of text.")
@click.option("--api", type=click.Choice(["cs231n", "dlai", "course-notes"]), default=None,
              help="Students' code: the API the .py files implement (default: inferred).")  # fmt: skip
@click.option("--trusted", is_flag=True, help="Students' code: run it without the sandbox.")
@click.option(
    "--timeout",
    type=click.FloatRange(0.1, 600),
    default=WALL_SECONDS,
    show_default=True,
    help="Wall-clock seconds per answer.",
)
@click.pass_context
def check(ctx: click.Context, files: tuple[str, ...], jobs: int | None, summary: str | None,
          scores: str | None, gradescope: str | None, rubric: str | None, shard: str | None,
          force: bool, as_json_flag: bool, timeout: float, api: str | None,
          trusted: bool) -> None:  # fmt: skip
    """Judge answer FILES (YAML, Markdown or .tex), every step of every answer.

    A folder is graded by what it holds: its answer files (.yaml, .yml, .md, .tex, found
    recursively, hidden folders skipped, at most 20000 entries) as answers, or its .py files as
    code; a folder with both kinds is refused.

    Students' code: .py FILES or folders of them are run in a sandbox (bubblewrap) on random
    instances and compared with the reference of their API, function by function; a function
    that is wrong, raises or is killed counts as wrong, one the file does not define is listed.

    \b
    Exit codes, the first that applies:
      2  an input error: a file could not be read (the other files are still graded)
      1  some answer is wrong
      3  some answer is undecided
      0  every answer is correct
    An input error outranks wrong answers: a class with one unreadable file exits 2.
    A progress bar is shown on stderr only when stderr is a terminal.
    """
    files = expand(files)  # a folder of answer files: its files; a folder of .py: code
    if shard is not None:
        files = tuple(select_shard(files, *parse_shard(shard)))
    from symbptt.codecheck.command import is_code, run_check  # .py files or folders: code

    if is_code(files):
        err = _stderr()
        ctx.exit(run_check(files, api=api, trusted=trusted, jobs=jobs or os.cpu_count() or 1,
                           timeout=timeout, summary=summary, force=force, as_json_flag=as_json_flag,
                           progress=err if show_progress(err) else None, gradescope=gradescope,
                           unsupported={"--scores": scores, "--rubric": rubric}))  # fmt: skip
    outputs = {"--summary": summary, "--scores": scores, "--gradescope": gradescope}
    for option, name in outputs.items():  # checked before any grading, not after a class's work
        if name is None:
            continue
        target = Path(name).resolve()
        check_target(Path(name), force=force, option=option)
        if any(Path(f).resolve() == target for f in files) or (
            rubric is not None and Path(rubric).resolve() == target
        ):
            raise InputError(f"{option} would overwrite one of the input files", where=name)
    named = [Path(n).resolve() for n in outputs.values() if n is not None]
    if len(set(named)) < len(named):
        raise InputError("--summary, --scores and --gradescope must name different files")
    points = None if rubric is None else read_rubric(rubric)
    started = time.monotonic()
    read = read_all(files)  # each file parsed once: the bar's length and the grading share it
    workers = jobs or os.cpu_count() or 1
    err = _stderr()
    if show_progress(err):
        with click.progressbar(length=count_answers(read), label="checking", file=err) as bar:
            results = grade(files, jobs=workers, seconds=timeout, on_done=bar.update, read=read)
    else:  # click would still write the bar's label once to a file or pipe: no bar at all
        results = grade(files, jobs=workers, seconds=timeout, read=read)
    if as_json_flag:
        click.echo(json.dumps(as_json(results, points), indent=2))
    else:
        click.echo(as_text(results), nl=False)
        if points is not None or any(r.points for r in results):
            for r in results:
                if not r.error:
                    click.echo(f"{r.path}: {score_line(r, points)}")
    if summary is not None:
        write_summary(results, summary, force=force, rubric=points)
    if scores is not None:
        write_scores(results, scores, force=force, rubric=points)
    if gradescope is not None:
        seconds = time.monotonic() - started
        write_gradescope(results, gradescope, force=force, rubric=points, seconds=seconds)
    ctx.exit(exit_code(results))
