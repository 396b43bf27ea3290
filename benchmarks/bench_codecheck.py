"""Benchmark of `symbptt check` on students' code: a class of CS231n rnn_layers.py submissions.

Each submission runs in its own bubblewrap sandbox and defines all eight functions (rnn_* and
lstm_*): a vanilla file of tests/code_corpus (right or with a slip) followed by an LSTM one, in
turn (a comment makes every file distinct). The issue's target: 200 submissions in under
3 minutes on 2 cores.

Run: python benchmarks/bench_codecheck.py [--files 200] [--jobs 2] [--trusted]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "code_corpus"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--trusted", action="store_true", help="no sandbox (to see its cost)")
    args = ap.parse_args()
    vanilla = sorted(p for p in CORPUS.glob("cs231n_*.py") if "lstm" not in p.name)
    lstm = sorted(CORPUS.glob("cs231n_lstm_*.py"))
    with tempfile.TemporaryDirectory() as tmp:
        cls = Path(tmp) / "class"
        cls.mkdir()
        for i in range(args.files):
            text = vanilla[i % len(vanilla)].read_text() + "\n" + lstm[i % len(lstm)].read_text()
            (cls / f"student{i:03d}.py").write_text(f"# student {i}\n" + text)
        summary = Path(tmp) / "summary.csv"
        cmd = [sys.executable, "-m", "symbptt", "check", str(cls), "--jobs", str(args.jobs),
               "--summary", str(summary)] + (["--trusted"] if args.trusted else [])  # fmt: skip
        t0 = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ})
        dt = time.perf_counter() - t0
        rows = summary.read_text().splitlines()[1:]
        verdicts = Counter(line.split(",")[4] for line in rows)
    print(f"{args.files} submissions x 8 CS231n functions, --jobs {args.jobs}"
          f"{' --trusted' if args.trusted else ' (sandboxed)'}: {dt:.1f} s "
          f"({dt / args.files * 1000:.0f} ms per submission), exit {r.returncode}")  # fmt: skip
    print("verdicts:", dict(sorted(verdicts.items())))
    print("target: under 180 s:", "met" if dt < 180 else "NOT met")


if __name__ == "__main__":
    main()
