"""Homework checking: students' LaTeX answers judged step by step against the model's truth.

Pipeline: `files` (read a submission) -> `symbptt.mathtext.parse` (our own LaTeX grammar, no
eval; the AST in `mathtext.ast`, a layer below this one) -> `judge` (fields read by
`spec_reading`, letters sorted by `free_letters`, each step checked by `step_check`: evaluate
with `evaluate` (with `values`, `reductions`) in a `truth.World`, compare with `tolerance`, name
`slips`) -> `grade` (a class in limited worker processes, `limits`) -> `report` (text, JSON, CSV).

The truth (`truth.World`, `gated_world.GatedWorld`) runs the model's cell statement and its head
from the cells' tables (`model_numbers`); its derivatives are in `derivatives` and `exact`.
"""

from symbptt.answers.grade import FileResult, grade
from symbptt.answers.judge import AnswerSpec, AnswerVerdict, judge

__all__ = ["AnswerSpec", "AnswerVerdict", "FileResult", "grade", "judge"]
