"""YAML errors in files people write: located, and the usual quoting slip explained."""

from __future__ import annotations

import pytest

from symbptt.errors import InputError
from symbptt.sourcefile import parse_yaml


def test_a_prime_inside_single_quotes_gets_a_hint() -> None:
    text = "answers:\n  - id: a\n    answer: '\\operatorname{diag}(\\sigma'(s_t)) W'\n"
    with pytest.raises(InputError, match=r"f.yaml:3: not valid YAML: .*a prime must be doubled"):
        parse_yaml(text, "f.yaml")


def test_other_yaml_errors_get_no_quote_hint() -> None:
    with pytest.raises(InputError) as info:
        parse_yaml("a: [1, 2\nb: 3\n", "f.yaml")
    assert "prime" not in str(info.value)


def test_doubled_prime_is_fine() -> None:
    doc = parse_yaml("answer: '\\sigma''(s_t)'\n", "f.yaml")
    assert doc.data == {"answer": "\\sigma'(s_t)"}


def test_aliases_are_refused_with_their_line() -> None:
    with pytest.raises(InputError, match=r"f.yaml:2: YAML aliases"):
        parse_yaml("a: &x [1, 2]\nb: *x\n", "f.yaml")
