"""One answer checked from Python or a notebook: `symbptt.check_answer(r"...", model=...)`.

The answer is judged exactly as an answer file's would be, in a worker process under the same
time and memory limits, and the result shows itself in a notebook with the LaTeX rendered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from symbptt import display
from symbptt.answers.grade import judge_payload
from symbptt.answers.judge import AnswerSpec
from symbptt.answers.limits import WALL_SECONDS, run_limited
from symbptt.answers.report import counterexample_lines
from symbptt.answers.tolerance import Tolerance
from symbptt.errors import InputError


@dataclass(frozen=True)
class CheckedAnswer:
    """An answer's LaTeX and its verdict (the dict of `symbptt check --json`)."""

    answer: str
    verdict: str
    reason: str
    result: Mapping[str, Any]

    def __str__(self) -> str:
        lines = [f"{self.verdict.upper()} - {self.reason}"]
        steps = self.result.get("steps") or []
        if len(steps) > 1:
            lines += [
                f"  step {s['index']}: {s['verdict']}"
                + (f" - {s['reason']}" if s["verdict"] != "correct" else "")
                for s in steps
            ]
        lines += counterexample_lines(self.result.get("counterexample"), "  ")
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        """Notebook display: the answer rendered, the verdict and reason, failing steps."""
        answer = self.answer.strip()
        if "&" in answer:
            answer = r"\begin{aligned}" + answer + r"\end{aligned}"
        out = [display.math_block(answer), f"{display.verdict_badge(self.verdict)}: "
               + display.prose(self.reason)]  # fmt: skip
        steps = self.result.get("steps") or []
        if len(steps) > 1:
            out.append(
                "\n".join(
                    f"- step {s['index']}: {s['verdict']}"
                    + (f" ({display.prose(s['reason'])})" if s["verdict"] != "correct" else "")
                    for s in steps
                )
            )
        ce = counterexample_lines(self.result.get("counterexample"), "")
        if ce:
            out.append("```text\n" + "\n".join(ce) + "\n```")
        return "\n\n".join(out)


def _texts(value: Mapping[str, str] | None, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise InputError(f"{what} must map LaTeX symbols to LaTeX text (str -> str)")
    return dict(value)


def check_answer(
    answer: str,
    *,
    model: str | None = None,
    given: Mapping[str, str] | None = None,
    where: Mapping[str, str] | None = None,
    range: str | None = None,  # noqa: A002 - the answer files' `for`, named as in AnswerSpec
    tolerance: Mapping[str, float] | None = None,
    product_order: str = "increasing",
    layout: str | None = None,
    seconds: float = WALL_SECONDS,
) -> CheckedAnswer:
    """Judge one LaTeX answer in `model`'s notation (a built-in name or a derivation file)."""
    if not isinstance(answer, str) or not answer.strip():
        raise InputError("the answer must be non-empty LaTeX text")
    if product_order not in ("increasing", "decreasing"):
        raise InputError(f"product_order must be increasing or decreasing, not {product_order!r}")
    from symbptt.answers.layout import check_layout

    if check_layout(layout) is not None:  # numerator, denominator or mixed (see `layout`)
        raise InputError(str(check_layout(layout)))
    if model is not None:
        from symbptt.catalog import load

        load(model)  # an unknown name or a bad file is an error here, not a verdict
    tol = None
    if tolerance is not None:
        t = Tolerance.from_spec(dict(tolerance))
        tol = {t.kind: t.value}
    spec = AnswerSpec(
        id="answer",
        answer=answer,
        given=_texts(given, "given"),
        where=_texts(where, "where"),
        range=range,
        tolerance=tol,
        where_line="<check_answer>",
        product_order=product_order,
        layout=layout,
    )
    (out,) = list(run_limited(judge_payload, [("answer", (model, spec))], jobs=1, seconds=seconds))
    if out.limit is not None:
        result: dict[str, Any] = {"id": "answer", "verdict": "undecided",
                                  "reason": f"limit: {out.limit}", "steps": []}  # fmt: skip
    else:
        result = out.result
    return CheckedAnswer(answer, result["verdict"], result["reason"], result)
