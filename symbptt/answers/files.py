"""Answer files: YAML submissions, or Markdown / .tex whose display-math blocks are the answers.

YAML goes through `symbptt.sourcefile` (no aliases, bounded size, no NUL bytes, valid UTF-8), and
every problem names the file, the line and the answer id. Markdown takes the model and student
from a YAML front matter; ids come from the headings ("## Ex 2(c)" -> ex2c), and per-answer
`given`/`where`/`for`/`tolerance` may sit in the front matter under `answers: {ex2c: {...}}`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from symbptt.answers.judge import AnswerSpec
from symbptt.answers.points import Points, read_points
from symbptt.errors import InputError
from symbptt.sourcefile import YamlDoc, parse_yaml, read_text

MAX_ANSWERS = 200
_TOP = {"model", "student", "answers"}
_ANSWER_KEYS = {
    "id", "answer", "given", "where", "for", "tolerance", "question", "product_order", "points",
}  # fmt: skip
_ORDERS = ("increasing", "decreasing")
_MATH = re.compile(
    r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|\\begin\{(align\*?|equation\*?|gather\*?)\}(.+?)\\end\{\3\}", re.S
)


@dataclass
class Submission:
    """One student's file: who, in which model's notation, and the answers."""

    path: str
    student: str | None
    model: str | None
    answers: list[AnswerSpec] = field(default_factory=list)
    #: points per answer id, where the file gives them (a --rubric overrides them)
    points: dict[str, Points] = field(default_factory=dict)


def read_submission(path: str | Path) -> Submission:
    """Read a .yaml/.yml, .md or .tex submission; InputError names file, line and answer."""
    p = Path(path)
    text = read_text(p)
    if p.suffix.lower() in (".md", ".markdown", ".tex"):
        return _from_document(text, str(p), tex=p.suffix.lower() == ".tex")
    return _from_yaml(parse_yaml(text, str(p)), p)


def _from_yaml(doc: YamlDoc, path: Path) -> Submission:
    data = doc.data
    if not isinstance(data, dict):
        raise InputError("expected a mapping with model, student and answers", where=doc.where())
    for key in data:
        if key not in _TOP:
            raise InputError(
                f"unknown key {key!r}; expected one of {', '.join(sorted(_TOP))}",
                where=doc.where(key),
            )
    answers = data.get("answers")
    if not isinstance(answers, list) or not answers:
        raise InputError("'answers' must be a non-empty list", where=doc.where("answers"))
    if len(answers) > MAX_ANSWERS:
        raise InputError(
            f"{len(answers)} answers (limit {MAX_ANSWERS})", where=doc.where("answers")
        )
    sub = Submission(str(path), _opt_str(doc, data, "student"), _model_ref(doc, data, path))
    seen: set[str] = set()
    for i, item in enumerate(answers):
        spec = _spec(doc, ("answers", i), item)
        if spec.id in seen:
            raise InputError(
                f"answer {spec.id!r}: the id is used twice", where=doc.where("answers", i)
            )
        seen.add(spec.id)
        sub.answers.append(spec)
        if isinstance(item, dict) and "points" in item:
            where = doc.where("answers", i, "points")
            sub.points[spec.id] = read_points(item["points"], f"answer {spec.id!r}", where)
    return sub


def _spec(doc: YamlDoc, kp: tuple[Any, ...], item: Any) -> AnswerSpec:
    where = doc.where(*kp)
    if not isinstance(item, dict):
        raise InputError("each answer must be a mapping with id and answer", where=where)
    ident = item.get("id")
    if not isinstance(ident, str | int) or isinstance(ident, bool) or str(ident).strip() == "":
        raise InputError("an answer needs an 'id' (a short name such as ex2c)", where=where)
    label = f"answer {str(ident)!r}"
    for key in item:
        if key not in _ANSWER_KEYS:
            raise InputError(
                f"{label}: unknown key {key!r}; expected one of {', '.join(sorted(_ANSWER_KEYS))}",
                where=doc.where(*kp, key),
            )
    return AnswerSpec(
        id=str(ident),
        answer=_latex(doc, kp + ("answer",), item.get("answer"), label, required=True),
        given=_latex_map(doc, kp + ("given",), item.get("given"), label),
        where=_latex_map(doc, kp + ("where",), item.get("where"), label),
        range=_latex(doc, kp + ("for",), item.get("for"), label),
        tolerance=_tolerance(doc, kp + ("tolerance",), item.get("tolerance"), label),
        question=_latex(doc, kp + ("question",), item.get("question"), label),
        where_line=where,
        product_order=_order(
            item.get("product_order"),
            label,
            doc.where(*kp, "product_order") if "product_order" in item else where,
        ),
    )


def _order(value: Any, label: str, where: str) -> str:
    """`product_order`: how a \\prod of matrices runs left to right (default increasing)."""
    if value is None:
        return "increasing"
    if value not in _ORDERS:
        raise InputError(
            f"{label}: product_order must be increasing or decreasing, found {value!r}", where=where
        )
    return str(value)


def _latex(
    doc: YamlDoc, kp: tuple[Any, ...], value: Any, label: str, *, required: bool = False
) -> Any:
    key = kp[-1]
    if value is None:
        if required:
            raise InputError(f"{label}: missing '{key}'", where=doc.where(*kp[:-1]))
        return None
    if isinstance(value, bool) or isinstance(value, float):
        raise InputError(
            f"{label}: '{key}' must be LaTeX text in quotes (a bare YAML number loses its written digits)",
            where=doc.where(*kp),
        )
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        raise InputError(
            f"{label}: '{key}' must be LaTeX text, found {type(value).__name__}",
            where=doc.where(*kp),
        )
    return value


def _latex_map(doc: YamlDoc, kp: tuple[Any, ...], value: Any, label: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(
            f"{label}: '{kp[-1]}' must be a mapping symbol -> LaTeX", where=doc.where(*kp)
        )
    return {str(k): _latex(doc, kp + (k,), v, label, required=True) for k, v in value.items()}


def _tolerance(
    doc: YamlDoc, kp: tuple[Any, ...], value: Any, label: str
) -> dict[str, float] | None:
    if value is None:
        return None
    from symbptt.answers.tolerance import Tolerance

    try:
        tol = Tolerance.from_spec(value)
    except InputError as exc:
        raise InputError(f"{label}: {exc.message}", where=doc.where(*kp)) from None
    return {tol.kind: tol.value}


def _opt_str(doc: YamlDoc, data: dict, key: str) -> str | None:
    v = data.get(key)
    if v is None:
        return None
    if not isinstance(v, str | int) or isinstance(v, bool):
        raise InputError(f"'{key}' must be text", where=doc.where(key))
    return str(v)


def _model_ref(doc: YamlDoc, data: dict, path: Path) -> str | None:
    ref = _opt_str(doc, data, "model")
    if ref is None:
        return None
    from symbptt.catalog import builtin_names, load

    if ref in builtin_names():
        return ref
    candidate = (path.parent / ref).resolve()
    try:
        load(str(candidate))
    except InputError as exc:
        raise InputError(f"model {ref!r}: {exc.message}", where=doc.where("model")) from None
    return str(candidate)


# --------------------------------------------------------------------------- Markdown / TeX


def _from_document(text: str, path: str, *, tex: bool) -> Submission:
    front: dict[str, Any] = {}
    body_start = 0
    if not tex:
        m = re.match(r"---\n(.*?)\n---\n", text, re.S)
        if m:
            doc = parse_yaml(m.group(1), path)
            if not isinstance(doc.data, dict):
                raise InputError("front matter must be a mapping", where=f"{path}:1")
            front = doc.data
            body_start = m.end()
    else:
        for key, value in re.findall(r"^%\s*(model|student)\s*:\s*(\S+)\s*$", text, re.M):
            front[key] = value
    options = front.get("answers") or {}
    if not isinstance(options, dict):
        raise InputError("front matter 'answers' must map answer ids to options", where=f"{path}:1")
    options = {_slug(str(k)): v for k, v in options.items()}  # 'ex-delta' matches '## Ex delta'
    heading = re.compile(
        r"^\s*#{1,6}\s+(.+?)\s*$" if not tex else r"\\(?:sub)*section\*?\{(.+?)\}", re.M
    )
    marks = [(h.start(), _slug(h.group(1))) for h in heading.finditer(text, body_start)]
    sub = Submission(path, None if front.get("student") is None else str(front["student"]), None)
    if front.get("model") is not None:
        sub.model = str(front["model"])
    counts: dict[str, int] = {}
    for m in _MATH.finditer(text, body_start):
        body = next(g for g in (m.group(1), m.group(2), m.group(4)) if g is not None)
        base = next((s for pos, s in reversed(marks) if pos < m.start()), "answer")
        counts[base] = counts.get(base, 0) + 1
        ident = base if counts[base] == 1 else f"{base}-{counts[base]}"
        line = text.count("\n", 0, m.start()) + 1
        opts = options.get(ident) or {}
        if not isinstance(opts, dict):
            raise InputError(f"answer {ident!r}: options must be a mapping", where=f"{path}:1")
        if "points" in opts:
            sub.points[ident] = read_points(opts["points"], f"answer {ident!r}", f"{path}:1")
        sub.answers.append(
            AnswerSpec(
                ident,
                body.strip(),
                given={str(k): str(v) for k, v in (opts.get("given") or {}).items()},
                where={str(k): str(v) for k, v in (opts.get("where") or {}).items()},
                range=opts.get("for"),
                tolerance=opts.get("tolerance"),
                question=opts.get("question"),
                where_line=f"{path}:{line}",
                product_order=_order(opts.get("product_order"), f"answer {ident!r}", f"{path}:1"),
            )  # fmt: skip
        )
    if not sub.answers:
        raise InputError("no display math ($$...$$, \\[...\\] or align) found", where=path)
    if len(sub.answers) > MAX_ANSWERS:
        raise InputError(f"{len(sub.answers)} answers (limit {MAX_ANSWERS})", where=path)
    return sub


def _slug(heading: str) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "", heading).lower()
    return s or "answer"
