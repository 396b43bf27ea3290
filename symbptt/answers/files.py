"""Answer files: YAML submissions, or Markdown / .tex whose display-math blocks are the answers.

YAML goes through `symbptt.sourcefile` (no aliases, bounded size, no NUL bytes, valid UTF-8), and
every problem names the file, the line and the answer id. Markdown takes the model and student
from a YAML front matter (.tex: the same YAML in comment lines between `% ---` lines); ids come
from the headings ("## Ex 2(c)" -> ex2c). `given`/`where`/`for`/`tolerance`/`product_order` may
sit in the front matter once for every answer, or under `answers: {ex2c: {...}}` for one; an id
there that matches no answer is an error naming it. A YAML file may give the same options at its
top level, as defaults for every answer (an answer's own keys override them; `given`/`where`
merge). Commented-out .tex math is not an answer.
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
_TOP = {"model", "student", "answers", "layout"}
_ANSWER_KEYS = {
    "id", "answer", "given", "where", "for", "tolerance", "question", "product_order", "points",
    "layout", "derivative",
}  # fmt: skip
_ORDERS = ("increasing", "decreasing")
#: Options that a document's front matter may give once for every answer (per answer too).
_SHARED_OPTIONS = _ANSWER_KEYS - {"id", "answer", "question", "points"}
_TEX_FRONT = re.compile(
    r"^[ \t]*%[ \t]*---[ \t]*\n((?:[ \t]*%.*\n)*?)[ \t]*%[ \t]*---[ \t]*$", re.M
)
_TEX_LEGACY = re.compile(r"^%\s*(model|student|layout)\s*:\s*(\S+)\s*$", re.M)
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
    allowed = _TOP | _SHARED_OPTIONS  # defaults for every answer, as in a front matter
    for key in data:
        if key not in allowed:
            raise InputError(
                f"unknown key {key!r}; expected one of {', '.join(sorted(allowed))}",
                where=doc.where(key),
            )
    shared = {k: data[k] for k in _SHARED_OPTIONS if k in data and k != "layout"}
    if "tolerance" in shared:  # checked once, where it is written
        _tolerance(doc, ("tolerance",), shared["tolerance"], "the file")
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
        if isinstance(item, dict) and shared:  # the answer's own keys override the file's
            merged = {**shared, **item}
            for key in ("given", "where"):
                if isinstance(shared.get(key), dict) and isinstance(item.get(key), dict):
                    merged[key] = {**shared[key], **item[key]}
            item = merged
        spec = _spec(doc, ("answers", i), item)
        if spec.id in seen:
            raise InputError(
                f"answer {spec.id!r}: the id is used twice", where=doc.where("answers", i)
            )
        seen.add(spec.id)
        if spec.layout is None:  # the file's `layout:` for answers that do not state their own
            spec.layout = _layout(data.get("layout"), "the file", doc.where("layout"))
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
        layout=_layout(
            item.get("layout"), label, doc.where(*kp, "layout") if "layout" in item else where
        ),
        derivative=_meaning(
            item.get("derivative"),
            label,
            doc.where(*kp, "derivative") if "derivative" in item else where,
        ),
    )


def _meaning(value: Any, label: str, where: str) -> str:
    """`derivative`: partial or total d between a gated cell's states (see `gated_world`)."""
    from symbptt.answers.gated_world import MEANINGS

    if value is None:
        return "default"
    if value not in MEANINGS[1:]:
        raise InputError(f"{label}: derivative must be partial or total, found {value!r}",
                         where=where)  # fmt: skip
    return str(value)


def _layout(value: Any, label: str, where: str) -> str | None:
    """`layout`: numerator, denominator or mixed (see `symbptt.answers.layout`); None if absent."""
    from symbptt.answers.layout import check_layout

    problem = check_layout(value)
    if problem is not None:
        raise InputError(f"{label}: {problem}", where=where)
    return None if value is None else str(value)


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
    from symbptt.catalog import builtin_names, load, looks_like_path, shipped_file

    if ref in builtin_names(gated=True):  # gated models are judged too (answers.gated_world)
        return ref
    candidate = (path.parent / ref).resolve()
    if not candidate.exists() and looks_like_path(ref):  # as `symbptt list` prints the examples
        candidate = (shipped_file(ref) or candidate).resolve()
    name_only = not looks_like_path(ref) and not candidate.exists()  # 'homework99': a name
    try:
        load(ref if name_only else str(candidate))
    except InputError as exc:
        msg = exc.message if name_only else f"model {ref!r}: {exc.message}"
        raise InputError(msg, where=doc.where("model")) from None
    return str(candidate)


# --------------------------------------------------------------------------- Markdown / TeX


def _from_document(text: str, path: str, *, tex: bool) -> Submission:
    fdoc, body_start = _front_matter(text, path, tex=tex)
    front = fdoc.data
    allowed = _TOP | _SHARED_OPTIONS
    for key in front:
        if key not in allowed:
            raise InputError(
                f"front matter: unknown key {key!r}; expected one of {', '.join(sorted(allowed))}",
                where=fdoc.where(key),
            )
    options = front.get("answers") or {}
    if not isinstance(options, dict):
        raise InputError(
            "front matter 'answers' must map answer ids to options", where=fdoc.where("answers")
        )
    keyed = {_slug(str(k)): k for k in options}  # 'ex-delta' matches '## Ex delta'
    shared = {k: front[k] for k in _SHARED_OPTIONS if k in front}
    scan = _without_comments(text) if tex else text
    heading = re.compile(
        r"^\s*#{1,6}\s+(.+?)\s*$" if not tex else r"\\(?:sub)*section\*?\{(.+?)\}", re.M
    )
    marks = [(h.start(), _slug(h.group(1))) for h in heading.finditer(scan, body_start)]
    sub = Submission(path, _opt_str(fdoc, front, "student"), _model_ref(fdoc, front, Path(path)))
    counts: dict[str, int] = {}
    for m in _MATH.finditer(scan, body_start):
        body = next(g for g in (m.group(1), m.group(2), m.group(4)) if g is not None)
        base = next((s for pos, s in reversed(marks) if pos < m.start()), "answer")
        counts[base] = counts.get(base, 0) + 1
        ident = base if counts[base] == 1 else f"{base}-{counts[base]}"
        key = keyed.get(ident)
        kp: tuple[Any, ...] = ("answers", key) if key is not None else ()
        opts = options.get(key) if key is not None else None
        if opts is None:
            opts = {}
        if not isinstance(opts, dict):
            raise InputError(f"answer {ident!r}: options must be a mapping", where=fdoc.where(*kp))
        for bad in ("id", "answer"):
            if bad in opts:
                raise InputError(
                    f"answer {ident!r}: {bad!r} comes from the document, not the front matter",
                    where=fdoc.where(*kp, bad),
                )
        item = {**shared, **opts, "id": ident, "answer": body.strip()}
        for merged in ("given", "where"):  # the file's definitions, then the answer's own
            if isinstance(shared.get(merged), dict) and isinstance(opts.get(merged), dict):
                item[merged] = {**shared[merged], **opts[merged]}
        spec = _spec(fdoc, kp, item)
        spec.where_line = f"{path}:{text.count(chr(10), 0, m.start()) + 1}"
        if "points" in opts:
            sub.points[ident] = read_points(opts["points"], f"answer {ident!r}", fdoc.where(*kp))
        sub.answers.append(spec)
    if not sub.answers:
        raise InputError("no display math ($$...$$, \\[...\\] or align) found", where=path)
    if len(sub.answers) > MAX_ANSWERS:
        raise InputError(f"{len(sub.answers)} answers (limit {MAX_ANSWERS})", where=path)
    ids = {a.id for a in sub.answers}
    for slug, key in keyed.items():
        if slug not in ids:
            raise InputError(
                f"front matter answers: {str(key)!r} matches no answer; the answers here are "
                f"{', '.join(a.id for a in sub.answers)}",
                where=fdoc.where("answers", key),
            )
    return sub


def _front_matter(text: str, path: str, *, tex: bool) -> tuple[YamlDoc, int]:
    """The document's front matter as a YamlDoc (lines are the file's) and where the body starts.

    Markdown: a YAML block between `---` lines at the top. .tex: the same YAML in a block of
    comment lines between `% ---` lines, each line's `%` removed; `% model: X` and
    `% student: X` lines outside such a block still name the model and the student."""
    if not tex:
        m = re.match(r"---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|$)", text, re.S)
        if not m:
            return YamlDoc(path, {}), 0
        return _front_doc("\n" + m.group(1), path), m.end()
    m = _TEX_FRONT.search(text)
    if m:
        yaml_text = "\n".join(re.sub(r"^\s*%[ \t]?", "", ln) for ln in m.group(1).splitlines())
        doc = _front_doc("\n" * (text.count("\n", 0, m.start()) + 1) + yaml_text, path)
    else:
        doc = YamlDoc(path, {})
    for lm in _TEX_LEGACY.finditer(text):
        if m and m.start() <= lm.start() < m.end():
            continue  # inside the front matter block: already read as YAML
        key, value = lm.groups()
        line = text.count("\n", 0, lm.start()) + 1
        if key in doc.data:
            raise InputError(f"{key!r} is given twice (comment line and front matter)",
                             where=f"{path}:{line}")  # fmt: skip
        doc.data[key] = value
        doc.lines[(key,)] = line
    return doc, 0


def _front_doc(yaml_text: str, path: str) -> YamlDoc:
    doc = parse_yaml(yaml_text, path)
    if doc.data is None:
        doc.data = {}
    if not isinstance(doc.data, dict):
        raise InputError("front matter must be a mapping", where=doc.where())
    return doc


def _without_comments(text: str) -> str:
    """TeX with every comment blanked (same length and lines): commented math is not an answer."""
    return re.sub(r"(?<!\\)%[^\n]*", lambda m: " " * len(m.group(0)), text)


def _slug(heading: str) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "", heading).lower()
    return s or "answer"
