"""Reading mathematical LaTeX into our own AST: a lark grammar, no eval, sympify or exec anywhere.

Modules: `limits` (bounds on the raw text), `bars` (pairing | and \\| before parsing), `grammar`
(the LALR grammar and `normalise`), `ast` (frozen nodes), `parse_forms` (the readings LaTeX
leaves open), `parse` (text -> AST). A layer below its users: the homework checker (`answers`)
and the cells stated as LaTeX (`cells.from_latex`); it imports nothing else of symbptt.
"""
