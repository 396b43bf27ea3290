"""`symbptt claims`: every claim of the source texts with its verdict, as a table or JSON."""

from __future__ import annotations

import json
import textwrap
from collections import Counter

import click

from symbptt import claims as source_claims
from symbptt.answers.report import counterexample_lines
from symbptt.claims import TEXTS, ClaimResult

_WIDTH = 100


def table(results: list[ClaimResult]) -> str:
    """One row per claim (text, id, verdict, statement wrapped); reason and counterexample under wrong and undecided rows."""
    wt = max(len("text"), *(len(c.text) for c in results))
    wi = max(len("id"), *(len(c.id) for c in results))
    rows = [f"{'text':<{wt}}  {'id':<{wi}}  {'verdict':<9}  statement"]
    for c in results:
        head = f"{c.text:<{wt}}  {c.id:<{wi}}  {c.verdict:<9}  "
        rows.append(textwrap.fill(" ".join(c.statement.split()), _WIDTH, initial_indent=head,
                                  subsequent_indent=" " * len(head), break_on_hyphens=False))  # fmt: skip
        if c.verdict != "confirmed":
            pad = " " * (wt + wi + 4)
            rows.append(textwrap.fill(c.reason, _WIDTH, initial_indent=pad + "why: ",
                                      subsequent_indent=pad + "     ", break_on_hyphens=False))  # fmt: skip
            rows += counterexample_lines(c.counterexample, pad, _WIDTH)
    count = Counter(c.verdict for c in results)
    rows.append(
        f"{len(results)} claims: confirmed {count['confirmed']}, wrong {count['wrong']}, "
        f"undecided {count['undecided']}"
    )
    return "\n".join(rows) + "\n"


@click.command("claims")
@click.argument("text", required=False, metavar=f"[{'|'.join(TEXTS)}]")
@click.option("--json", "as_json", is_flag=True, help="Print the claims as JSON.")
def claims(text: str | None, as_json: bool) -> None:
    """The source texts' claims and their verdicts: confirmed, wrong (with a counterexample) or undecided."""
    results = source_claims.all_claims() if text is None else source_claims.claims(text)
    if as_json:
        click.echo(json.dumps({"claims": [c.as_dict() for c in results]}, indent=2, default=str))
    else:
        click.echo(table(results), nl=False)
