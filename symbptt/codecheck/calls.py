"""What the judge sends and expects: the arrays and calls of one file, and one check's outcome."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from symbptt.codecheck.instances import Instance

__all__ = ["Check", "Registry"]

Array = np.ndarray


class Registry:
    """The arrays sent to the worker and the call ids, shared by all checks of one file."""

    def __init__(self) -> None:
        self.arrays: list[Array] = []
        self.next_id = 0

    def a(self, array: Array, name: str) -> dict:
        self.arrays.append(np.ascontiguousarray(array, dtype=np.float64))
        return {"a": len(self.arrays) - 1, "n": name}

    def call(self, fn: str, args: list, names: list[str], send: list, save: bool = False) -> dict:
        cid, self.next_id = self.next_id, self.next_id + 1
        return {"id": cid, "fn": fn, "args": args, "argnames": names,
                "send": [{"name": n, "path": p} for n, p in send], "save": save}  # fmt: skip


@dataclass
class Check:
    """One function on one instance in one cache mode; the last call is the judged one."""

    fn: str
    kind: str
    inst: Instance
    mode: str  # "", "own cache" or "our cache"
    calls: list[dict]
    expected: dict[str, Array]
    variant: Callable[[tuple[str, ...]], dict[str, Array]]
