"""Judge one submission: run its functions in the sandbox, compare, name the likely slip."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from symbptt.codecheck import apis, sandbox, worker
from symbptt.codecheck.apis import Check
from symbptt.codecheck.compare import Diff, diff
from symbptt.codecheck.instances import instances
from symbptt.codecheck.slips import SLIPS, describe
from symbptt.errors import InputError

__all__ = ["FileResult", "FunctionResult", "OutputResult", "judge_file", "read_source"]

MAX_SOURCE = 1 << 20  # bytes
_SLIP_TOL = 1e-5


@dataclass
class OutputResult:
    """One output of one function, at its worst instance."""

    name: str
    verdict: str
    max_rel_error: float | None = None
    entry: list[int] | None = None
    expected: float | None = None
    got: float | None = None
    note: str = ""


@dataclass
class FunctionResult:
    name: str
    verdict: str  # correct, wrong, error, missing, killed
    reason: str = ""
    slip: str | None = None
    outputs: list[OutputResult] = field(default_factory=list)


@dataclass
class FileResult:
    path: str
    student: str
    api: str | None
    functions: list[FunctionResult] = field(default_factory=list)
    error: str | None = None  # an input error: the file could not be judged at all


def read_source(path: Path) -> str:
    """The file's text; InputError if it cannot be read as a UTF-8 Python file of sane size."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", where=str(path)) from None
    if len(data) > MAX_SOURCE:
        raise InputError(f"larger than {MAX_SOURCE} bytes", where=str(path))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", where=str(path)) from None


# --------------------------------------------------------------------------- running


def _request(source: str, filename: str, calls: list[dict], arrays: list) -> bytes:
    head = {"source": source, "filename": filename, "calls": calls}
    return worker.json_frame(head) + b"".join(worker.array_frame(a) for a in arrays)


def _run_all(source: str, checks: list[Check], reg: apis.Registry, limits: sandbox.Limits,
             trusted: bool) -> tuple[dict[int, tuple[dict, list]], dict, dict[str, str]]:  # fmt: skip
    """Responses by call id, the load response, and kill reasons by function name.

    A kill ends only the function whose call was running: the others are run again in a
    fresh sandbox.
    """
    groups: dict[str, list[dict]] = {}
    for ch in checks:
        groups.setdefault(ch.fn, []).extend(ch.calls)
    responses: dict[int, tuple[dict, list]] = {}
    killed: dict[str, str] = {}
    load: dict = {}
    defined: set[str] = set()
    todo = list(groups)
    while todo:
        calls = [c for fn in todo for c in groups[fn]]
        out = sandbox.run(_request(source, "student.py", calls, reg.arrays), limits,
                          trusted=trusted, expect=len(calls) + 1)  # fmt: skip
        got = {h["id"]: (h, arrs) for h, arrs in out.responses}
        if -1 not in got:
            for fn in todo:
                killed[fn] = f"{out.killed or 'killed'} (while loading the file)"
            return responses, {"status": "killed"}, killed
        load = got.pop(-1)[0]
        if load.get("status") != "ok":
            return responses, load, killed
        defined |= set(load.get("defined", []))
        load["defined"] = sorted(defined)
        responses.update(got)
        if out.killed is None:
            break
        running = next((c for c in calls if c["id"] not in got), None)
        if running is None:  # stopped after its last answer (say, printing at the end): all in
            break
        reason = f"{out.killed} (in {running['fn']})"
        rest = []
        for f in todo:
            open_calls = [c for c in groups[f] if c["id"] not in responses]
            if running in groups[f] or any(c["fn"] == running["fn"] for c in open_calls):
                killed[f] = reason  # would run the same function again: not worth a second kill
            elif open_calls:
                rest.append(f)
        todo = rest
    return responses, load, killed


# --------------------------------------------------------------------------- judging


@dataclass
class _Seen:
    """What one check produced: an error, or the outputs (arrays or error texts)."""

    check: Check
    error: str | None = None
    outputs: dict[str, np.ndarray | str] = field(default_factory=dict)
    modified: list[str] = field(default_factory=list)
    helper_missing: bool = False


def _seen(ch: Check, responses: dict) -> _Seen:
    s = _Seen(ch)
    *helpers, judged = ch.calls
    for h in helpers:
        head, _ = responses.get(h["id"], ({"status": "killed"}, []))
        if head.get("status") == "missing":
            s.error = f"needs your {h['fn']} to make the cache, and the file does not define it"
            s.helper_missing = True
            return s
        if head.get("status") != "ok":
            what = head.get("message") or head.get("status")
            s.error = f"your {h['fn']} (called to make the cache) failed: {what}"
            return s
    head, arrays = responses.get(judged["id"], ({"status": "killed"}, []))
    if head.get("status") != "ok":
        s.error = head.get("message") or str(head.get("status"))
        return s
    it = iter(arrays)
    for o in head.get("outputs", []):
        s.outputs[o["name"]] = next(it) if o.get("ok") else o.get("message", "missing")
    s.modified = list(head.get("modified", []))
    return s


def _where(ch: Check, api: str) -> str:
    return ch.inst.label(api) + (f", {ch.mode}" if ch.mode else "")


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.6g}"


def _slip_search(kind: str, seen: list[_Seen], names: list[str]) -> tuple[str, ...] | None:
    """The first single slip, then pair, under which every run's outputs match."""
    usable = [
        s
        for s in seen
        if s.error is None and all(isinstance(s.outputs.get(n), np.ndarray) for n in names)
    ]
    ours = [s for s in usable if s.check.mode == "our cache"]
    usable = ours or usable
    if not usable:
        return None
    keys = [k for k, sl in SLIPS.items() if kind in sl.where]
    for combo in itertools.chain(((k,) for k in keys), itertools.combinations(keys, 2)):
        ok = True
        for s in usable:
            want = s.check.variant(combo)
            for n in names:
                d = diff(want[n], s.outputs[n])  # type: ignore[arg-type]
                if d.max_rel_error is None or d.max_rel_error > _SLIP_TOL:
                    ok = False
                    break
            if not ok:
                break
        if ok:
            return combo
    return None


def _judge_function(api: str, fn: str, kind: str, checks: list[Check], responses: dict,
                    killed: str | None) -> FunctionResult:  # fmt: skip
    names = list(checks[0].expected)
    if killed is not None:
        return FunctionResult(
            fn, "killed", killed, None, [OutputResult(n, "killed") for n in names]
        )
    seen = [_seen(ch, responses) for ch in checks]
    if any(not s.helper_missing for s in seen):  # our caches still test it without that forward
        seen = [s for s in seen if not s.helper_missing]
    errors = [s for s in seen if s.error is not None]
    outputs: list[OutputResult] = []
    wrong_at: list[tuple[Diff, str, Check]] = []
    float32: set[str] = set()
    modified: set[str] = set()
    for n in names:
        worst: tuple[Diff, Check] | None = None
        verdict = "error" if errors else "correct"
        for s in seen:
            if s.error is not None:
                continue
            got = s.outputs.get(n)
            if not isinstance(got, np.ndarray):
                verdict = "error"
                errors.append(_Seen(s.check, error=str(got)))
                continue
            if got.dtype == np.float32:
                float32.add(n)
            d = diff(s.check.expected[n], got)
            if not d.ok:
                wrong_at.append((d, n, s.check))
                verdict = "wrong" if verdict == "correct" else verdict
            if worst is None or _worse(d, worst[0]):
                worst = (d, s.check)
        if n in float32 and verdict == "correct":
            verdict = "wrong"
        if worst is None:
            outputs.append(OutputResult(n, verdict))
        else:
            d = worst[0]
            outputs.append(OutputResult(n, verdict, d.max_rel_error, list(d.entry) if d.entry else None,
                                        d.expected, d.got, d.note))  # fmt: skip
    for s in seen:
        modified |= set(s.modified)
    slip_keys: list[str] = []
    found = None
    if wrong_at:
        found = _slip_search(kind, seen, names)
    texts = [describe(found)] if found else []
    flipped = sorted(
        {n for d, n, _ in wrong_at if "the transpose's shape" in d.note}, key=names.index
    )
    if flipped and not found:
        texts.append(
            f"a missing transpose: {', '.join(flipped)} come(s) out with the transpose's shape"
        )
    if modified:
        texts.append(f"{SLIPS['in_place'].text} ({', '.join(sorted(modified))})")
        slip_keys.append("in_place")
    if float32:
        texts.append(f"{SLIPS['float32'].text} ({', '.join(n for n in names if n in float32)})")
    slip = "; ".join(texts) or None
    if errors:
        e = errors[0]
        reason = f"{e.error} [{_where(e.check, api)}]"
        if len(errors) > 1:
            reason += f"; {len(errors)} of {len(seen)} runs failed"
        return FunctionResult(fn, "error", reason, slip, outputs)
    if wrong_at or modified or float32:
        parts = []
        if wrong_at:
            d, n, ch = max(wrong_at, key=lambda w: _key(w[0]))
            bad = sorted({w[1] for w in wrong_at}, key=names.index)
            runs = len({id(w[2]) for w in wrong_at})
            where = _where(ch, api)
            if d.note:
                parts.append(
                    f"{', '.join(bad)} wrong on {runs} of {len(seen)} runs; {n}: {d.note} [{where}]"
                )
            else:
                parts.append(f"{', '.join(bad)} wrong on {runs} of {len(seen)} runs; largest relative "
                             f"error {_fmt(d.max_rel_error)} in {n}{list(d.entry or ())} "
                             f"(expected {_fmt(d.expected)}, got {_fmt(d.got)}) [{where}]")  # fmt: skip
        if modified:
            parts.append(f"changed its input(s) {', '.join(sorted(modified))}")
        if float32:
            parts.append("returned float32 arrays")
        own_only = {w[2].mode for w in wrong_at} == {"own cache"} and any(
            s.check.mode == "our cache" for s in seen
        )
        if not found and wrong_at and not own_only:
            parts.append("no known slip explains every run")
        if own_only:
            fwd = next(c["fn"] for s in seen if s.check.mode == "own cache" for c in s.check.calls)
            parts.append(f"right with our caches, wrong only with the caches of your own {fwd}: "
                         f"look at what {fwd} puts in its cache")  # fmt: skip
        return FunctionResult(fn, "wrong", "; ".join(parts), slip, outputs)
    return FunctionResult(fn, "correct", "", None, outputs)


def _key(d: Diff) -> float:
    return math.inf if d.max_rel_error is None else d.max_rel_error


def _worse(a: Diff, b: Diff) -> bool:
    return _key(a) > _key(b)


def judge_file(path: str, *, api: str | None, limits: sandbox.Limits, trusted: bool,
               student: str | None = None) -> FileResult:  # fmt: skip
    """Judge every function of the API the file defines; input problems become `error`."""
    result = FileResult(path, student or Path(path).stem, api)
    try:
        source = read_source(Path(path))
        result.api = api = api or apis.infer_api(source, path)
        reg = apis.Registry()
        checks = [ch for inst in instances() for ch in apis.checks(api, inst, reg)]
    except InputError as exc:
        result.error = str(exc)
        return result
    responses, load, killed = _run_all(source, checks, reg, limits, trusted)
    fns = apis.FUNCTIONS[api]
    if load.get("status") == "error":
        msg = f"the file does not load: {load.get('message')}"
        result.functions = [FunctionResult(fn, "error", msg) for fn, _ in fns]
        return result
    defined = set(load.get("defined", [fn for fn, _ in fns]))
    if load.get("status") == "ok" and not defined & {fn for fn, _ in fns}:
        try:
            other = apis.infer_api(source, path)
        except InputError:
            other = None
        hint = f" (its functions are {other}'s; leave out --api)" if other and other != api else ""
        result.error = f"defines none of the {api} functions{hint}"
        return result
    for fn, kind in fns:
        mine = [ch for ch in checks if ch.fn == fn]
        if load.get("status") == "ok" and fn not in defined:
            result.functions.append(FunctionResult(fn, "missing", "not defined in the file"))
            continue
        result.functions.append(_judge_function(api, fn, kind, mine, responses, killed.get(fn)))
    return result
