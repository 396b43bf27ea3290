"""Benchmark of `symbptt check`: answers per second by kind, and a class of 200 files x 5 answers.

Run: python benchmarks/bench_check.py [--files 200] [--jobs 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from symbptt.answers.grade import _model, grade
from symbptt.answers.judge import AnswerSpec, judge

GIVEN = {
    "Q": "\\begin{bmatrix}-0.6&-0.8\\\\-0.8&0.6\\end{bmatrix}",
    "Lambda": "\\operatorname{diag}(0.9, 0.4)",
    "W": "Q\\Lambda Q^{-1}",
}
KINDS = {
    "numeric": AnswerSpec("ninety", "0.9^{30} \\approx 0.0424"),
    "matrix": AnswerSpec(
        "ex2c",
        "W^{30} &= Q \\Lambda^{30} Q^{-1} \\\\ &= \\begin{bmatrix}0.0153 & 0.0203\\\\ 0.0203 & 0.0271\\end{bmatrix}",
        given=GIVEN,
    ),
    "symbolic": AnswerSpec(
        "ex1b",
        "\\frac{\\partial L}{\\partial W} = \\sum_{t=1}^{T} \\operatorname{diag}(\\sigma'(s_t))\\, \\delta_t\\, h_{t-1}^\\top",
        where={"\\delta_t": "\\frac{\\partial L}{\\partial h_t}"},
    ),
    "symbolic-wrong+slip": AnswerSpec(
        "ex1b-local",
        "\\frac{\\partial L}{\\partial W} = \\sum_{t=1}^{T} \\operatorname{diag}(\\sigma'(s_t))\\, \\delta_t\\, h_{t-1}^\\top",
        where={"\\delta_t": "\\frac{\\partial L_t}{\\partial h_t}"},
    ),
}

FILE = """model: homework3
student: {student}
answers:
  - id: ninety
    answer: '0.9^{{30}} \\approx 0.0424'
  - id: ex2c
    given: {{Q: '\\begin{{bmatrix}}-0.6&-0.8\\\\-0.8&0.6\\end{{bmatrix}}', Lambda: '\\operatorname{{diag}}(0.9, 0.4)', W: 'Q\\Lambda Q^{{-1}}'}}
    answer: 'W^{{30}} = \\begin{{bmatrix}}0.0153 & 0.0203\\\\ 0.0203 & 0.0271\\end{{bmatrix}}'
  - id: ex1a
    given: {{y: '\\sigma(W x)', x: '\\in \\mathbb{{R}}^{{n}}'}}
    answer: '\\frac{{\\partial y}}{{\\partial x}} = \\operatorname{{diag}}(\\sigma''(W x))\\, W'
  - id: ex1b
    answer: '\\frac{{\\partial L}}{{\\partial W}} = \\sum_{{t=1}}^{{T}} \\operatorname{{diag}}(\\sigma''(s_t))\\, \\delta_t\\, h_{{t-1}}^\\top'
    where: {{'\\delta_t': '\\frac{{\\partial L{sub}}}{{\\partial h_t}}'}}
  - id: jac
    answer: '\\frac{{\\partial h_t}}{{\\partial h_{{t-1}}}} = \\operatorname{{diag}}(\\sigma''(s_t))\\, W'
"""


def per_second(spec: AnswerSpec, seconds: float = 2.0) -> tuple[float, str]:
    model = _model("homework3")
    n, t0 = 0, time.perf_counter()
    verdict = ""
    while time.perf_counter() - t0 < seconds:
        verdict = judge(spec, model).verdict
        n += 1
    return n / (time.perf_counter() - t0), verdict


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    print("answers per second, one process:")
    for kind, spec in KINDS.items():
        rate, verdict = per_second(spec)
        print(f"  {kind:22s} {rate:8.1f} /s   ({verdict})")
    with tempfile.TemporaryDirectory() as d:
        paths = []
        for i in range(args.files):
            p = Path(d) / f"s{i:03}.yaml"
            p.write_text(FILE.format(student=f"s{i:03}", sub="_t" if i % 5 == 0 else ""))
            paths.append(str(p))
        t0 = time.perf_counter()
        results = grade(paths, jobs=args.jobs)
        dt = time.perf_counter() - t0
    counts: dict[str, int] = {}
    for r in results:
        for a in r.answers:
            counts[a["verdict"]] = counts.get(a["verdict"], 0) + 1
    total = sum(counts.values())
    print(f"class: {args.files} files x 5 answers = {total} answers on {args.jobs} workers: "
          f"{dt:.1f} s ({total / dt:.1f} answers/s); verdicts {counts}")  # fmt: skip


if __name__ == "__main__":
    main()
