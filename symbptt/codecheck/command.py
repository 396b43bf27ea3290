"""`symbptt check` on students' code (.py files, or folders of them): the front end.

symbptt/cli/check.py hands over here when an argument is a .py file or a folder; this module
finds the submissions, refuses to run them without a working sandbox (unless trusted), runs
them in parallel, prints the report and returns the exit code.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TextIO

import click

from symbptt.codecheck import sandbox
from symbptt.codecheck.apis import APIS
from symbptt.codecheck.gradescope import write_gradescope
from symbptt.codecheck.judge import FileResult, judge_file
from symbptt.codecheck.report import as_json, as_text, exit_code, summary_csv
from symbptt.errors import InputError
from symbptt.outfile import check_target, write_new

__all__ = ["is_code", "run_check", "submissions"]


def is_code(paths: Sequence[str]) -> bool:
    """True when the arguments name students' code (a .py file or a folder)."""
    return any(p.endswith(".py") or Path(p).is_dir() for p in paths)


def submissions(paths: Sequence[str]) -> list[tuple[str, str]]:
    """(path, student) for each .py file named or found (recursively) in a named folder."""
    found: list[tuple[str, str]] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            files = sorted(
                f for f in path.rglob("*.py")
                if f.is_file() and not any(part.startswith((".", "__")) for part in f.relative_to(path).parts)
            )  # fmt: skip
            if not files:
                raise InputError("the folder holds no .py files", where=p)
            found += [(str(f), f.relative_to(path).with_suffix("").as_posix()) for f in files]
        elif p.endswith(".py"):
            if not path.is_file():
                raise InputError("no such file", where=p)
            found.append((p, path.stem))
        else:
            raise InputError("students' code (.py files, folders) and answer files cannot be "
                             "checked in one run", where=p)  # fmt: skip
    return found


def _judge(args: tuple[str, str, str | None, sandbox.Limits, bool]) -> FileResult:
    path, student, api, limits, trusted = args
    return judge_file(path, api=api, limits=limits, trusted=trusted, student=student)


def _run(tasks: list, jobs: int, on_done: Callable[[int], None]) -> list[FileResult]:
    if jobs <= 1 or len(tasks) <= 1:
        out = []
        for t in tasks:
            try:
                out.append(_judge(t))
            except Exception as exc:  # noqa: BLE001 - one broken submission does not stop the rest
                out.append(FileResult(t[0], t[1], t[2], error=f"internal failure: {exc}"))
            on_done(1)
        return out
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks))) as pool:
        futures = [pool.submit(_judge, t) for t in tasks]
        results = []
        for t, f in zip(tasks, futures, strict=True):
            try:
                results.append(f.result())
            except Exception as exc:  # noqa: BLE001 - one broken submission does not stop the rest
                results.append(FileResult(t[0], t[1], t[2], error=f"internal failure: {exc}"))
            on_done(1)
        return results


def run_check(paths: Sequence[str], *, api: str | None, trusted: bool, jobs: int, timeout: float,
              summary: str | None, force: bool, as_json_flag: bool, progress: TextIO | None,
              gradescope: str | None = None,
              unsupported: Mapping[str, object] | None = None) -> int:  # fmt: skip
    """Check every submission; print the report; write --summary; return the exit code."""
    for option, value in (unsupported or {}).items():
        if value:
            raise InputError(f"{option} is for answer files, not for students' code")
    if api is not None and api not in APIS:
        raise InputError(f"--api must be one of {', '.join(APIS)}; found {api!r}")
    subs = submissions(paths)
    outs = {
        o: n for o, n in (("--summary", summary), ("--gradescope", gradescope)) if n is not None
    }
    for option, name in outs.items():  # checked before any submission runs
        check_target(Path(name), force=force, option=option)
        if any(Path(p).resolve() == Path(name).resolve() for p, _ in subs):
            raise InputError(f"{option} would overwrite a submission", where=name)
    if len({Path(n).resolve() for n in outs.values()}) < len(outs):
        raise InputError("--summary and --gradescope must name different files")
    started = time.monotonic()
    if not trusted and (why := sandbox.available()) is not None:
        raise InputError(f"the sandbox cannot start, so no submission is run: {why}. "
                         "Pass --trusted only for code you trust: it then runs unconfined")  # fmt: skip
    limits = sandbox.Limits(wall=timeout)
    tasks = [(p, s, api, limits, trusted) for p, s in subs]
    if progress is not None:
        with click.progressbar(length=len(tasks), label="checking", file=progress) as bar:
            results = _run(tasks, jobs, bar.update)
    else:
        results = _run(tasks, jobs, lambda n: None)
    if as_json_flag:
        click.echo(json.dumps(as_json(results), indent=2))
    else:
        click.echo(as_text(results), nl=False)
    if summary is not None:
        write_new(Path(summary), summary_csv(results), force=force, option="--summary")
    if gradescope is not None:
        write_gradescope(results, gradescope, force=force, seconds=time.monotonic() - started)
    return exit_code(results)
