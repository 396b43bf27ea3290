"""Check LaTeX fragments with the docs site's KaTeX, strictly, in one node process.

The docs site renders math with the vendored KaTeX (`docs/assets/katex/katex.min.js`) with
`throwOnError: true, strict: "error"`; a fragment that passes here renders there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from symbptt.resources import data_root

REPO = data_root()  # the checkout (its .cache/ too), or the wheel's copy of docs/
#: Where KaTeX is looked for: $SYMBPTT_KATEX, the docs site's vendored copy, then .cache/.
CANDIDATES = (
    REPO / "docs" / "assets" / "katex" / "katex.min.js",
    REPO / ".cache" / "katex" / "node_modules" / "katex" / "dist" / "katex.min.js",
)

_SCRIPT = r"""
const katex = require(process.argv[1]);
let data = "";
process.stdin.on("data", (c) => (data += c));
process.stdin.on("end", () => {
  const out = JSON.parse(data).map(([tex, display]) => {
    try {
      katex.renderToString(tex, {displayMode: display, throwOnError: true, strict: "error"});
      return null;
    } catch (e) {
      return String(e && e.message ? e.message : e);
    }
  });
  process.stdout.write(JSON.stringify(out));
});
"""


def find_katex() -> Path | None:
    """The KaTeX script to use, or None when there is none."""
    env = os.environ.get("SYMBPTT_KATEX")
    paths = ((Path(env),) if env else ()) + CANDIDATES
    return next((p for p in paths if p.is_file()), None)


def find_node() -> str | None:
    """The node executable, or None."""
    return shutil.which("node")


def katex_errors(
    fragments: list[str], *, display: bool = True, katex: Path | None = None
) -> list[str | None]:
    """KaTeX's error message for each fragment (None where it renders), all in one node run."""
    node = find_node()
    script = katex or find_katex()
    if node is None or script is None:
        raise RuntimeError("KaTeX check needs node and katex.min.js (see CANDIDATES)")
    payload = json.dumps([[tex, display] for tex in fragments])
    proc = subprocess.run(
        [node, "-e", _SCRIPT, str(script)],
        input=payload,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"node failed: {proc.stderr.strip()}")
    return json.loads(proc.stdout)
