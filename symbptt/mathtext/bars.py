"""Pairing | and \\| in student LaTeX: which bar opens and which closes an |x| or a \\|x\\|.

LaTeX writes both ends of an absolute value or a norm with the same bar, which an LALR grammar
cannot pair. Before parsing, each bar becomes \\lvert/\\rvert (absolute value) or \\lVert/\\rVert
(norm): a bar closes when a bar of its kind is open and it follows an operand (a letter, digit,
closing bracket, prime or closing bar, not an operator such as \\cdot or \\le); otherwise it
opens. `||x||` is read as a norm, and so are the pasted characters U+2016 (double bar) and
U+2223 (divides, as an absolute value bar). Unpaired bars are left for the parser to report.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r"\\\\|\\(lVert|rVert|lvert|rvert|Vert|vert)(?![a-zA-Z])|\\\||\|\||\||\u2016|\u2223|\\[A-Za-z]+|."
)
#: Commands after which a bar opens (operators and relations); other commands end an operand.
_OPERATORS = {"cdot", "times", "odot", "circ", "otimes", "le", "ge", "lt", "gt", "approx",
              "equiv", "sum", "prod", "max", "min", "frac", "sqrt", "partial", "quad",
              "qquad", "begin", "end", "left", "right", "in"}  # fmt: skip
_OPEN = {"norm": "\\lVert ", "abs": "\\lvert "}
_CLOSE = {"norm": "\\rVert ", "abs": "\\rvert "}


def pair_bars(text: str) -> str:
    """Text with every | and \\| (also \\vert, \\Vert, ||) written as an explicit open or close."""
    if not any(c in text for c in ("|", "vert", "Vert", "\u2016", "\u2223")):
        return text
    out: list[str] = []
    stack: list[str] = []
    operand = False  # does the text so far end with an operand?
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        named = m.group(1)
        if named in ("lVert", "lvert"):
            kind = "norm" if named == "lVert" else "abs"
            stack.append(kind)
            out.append(_OPEN[kind])
            operand = False
            continue
        if named in ("rVert", "rvert"):
            kind = "norm" if named == "rVert" else "abs"
            if stack and stack[-1] == kind:
                stack.pop()
            out.append(_CLOSE[kind])
            operand = True
            continue
        if tok == "||" and stack and stack[-1] == "abs" and operand:  # |a||b|: two bars
            out.append(_CLOSE["abs"])
            stack.pop()
            tok, operand = "|", True
        if named in ("Vert", "vert") or tok in ("\\|", "||", "|", "\u2016", "\u2223"):
            kind = "abs" if named == "vert" or tok in ("|", "\u2223") else "norm"
            if stack and stack[-1] == kind and operand:
                stack.pop()
                out.append(_CLOSE[kind])
                operand = True
            else:
                stack.append(kind)
                out.append(_OPEN[kind])
                operand = False
            continue
        out.append(tok)
        if tok.isspace():
            continue
        if tok.startswith("\\") and len(tok) > 1 and tok[1:].isalpha():
            operand = tok[1:] not in _OPERATORS
        else:
            operand = tok.isalnum() or tok in ")]}'"
    return "".join(out)
