"""Homework checking: students' LaTeX answers judged step by step against the model's truth.

Pipeline: `files` (read a submission) -> `parse` (own grammar, `grammar`; AST in `ast`) ->
`judge` (evaluate with `evaluate` in a `truth.World`, compare with `tolerance`, name `slips`)
-> `grade` (a class in limited worker processes, `limits`) -> `report` (text, JSON, CSV).
"""

from symbptt.answers.grade import FileResult, grade
from symbptt.answers.judge import AnswerSpec, AnswerVerdict, judge

__all__ = ["AnswerSpec", "AnswerVerdict", "FileResult", "grade", "judge"]
