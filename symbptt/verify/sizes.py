"""The sizes each kind of check accepts: the unrolled forms' limits and where they stop.

The unrolled forms expand into about n^(T+1) products per entry, so they run at small T and n
(a gated cell's at T <= 3, n <= 2); beyond, `unrolled_limit` names the reason and the checks
that scale take over, up to their own bound (`verify.large.check_bound`).
"""

from __future__ import annotations

from symbptt.cells import checks as cells_checks
from symbptt.errors import InputError
from symbptt.model import Model
from symbptt.verify.large import check_bound

__all__ = ["MAX_N", "check_gated_sizes", "check_sizes", "max_unrolled_T", "unrolled_limit"]

#: The unrolled forms expand into about n^(T+1) products per entry; this bounds that work.
MAX_N = 8
_BUDGET = 4096
_MAX_T = 12


def _whole(key: str, v: object) -> None:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise InputError(f"{key} must be a whole number >= 1; found {v!r}")


def max_unrolled_T(n: int) -> int:
    """The largest T the unrolled forms accept at n hidden units (n^(T+1) <= budget)."""
    T = 1
    while T < _MAX_T and n ** (T + 2) <= _BUDGET:
        T += 1
    return T


def check_sizes(T: object, n: object) -> None:
    """InputError unless 1 <= n <= MAX_N and 1 <= T <= max_unrolled_T(n), naming the limit."""
    for key, v in (("T", T), ("n", n)):
        _whole(key, v)
    assert isinstance(T, int) and isinstance(n, int)
    if n > MAX_N:
        raise InputError(
            f"n={n} is too large for the unrolled forms (limit n<={MAX_N}); choose a smaller n"
        )
    limit = max_unrolled_T(n)
    if T > limit:
        raise InputError(
            f"T={T} is too large for the unrolled forms (limit T<={limit} at n={n}); "
            "the step-lemma form covers any T"
        )


def check_gated_sizes(T: object, n: object) -> None:
    """InputError unless 1 <= T <= 3 and 1 <= n <= 2: a gated cell's unrolled limit."""
    for key, v, hi in (("T", T, cells_checks.MAX_T), ("n", n, cells_checks.MAX_N)):
        _whole(key, v)
        if v > hi:  # type: ignore[operator]
            raise InputError(
                f"{key}={v} is too large for a gated cell's unrolled forms (limit {key}<={hi}); "
                "the step lemma covers every T"
            )


def unrolled_limit(model: Model, T: object, n: object) -> str | None:
    """None when the unrolled forms run at T and n, else the reason they are skipped.

    InputError for sizes that are not whole numbers >= 1 or beyond the scaling checks' bound.
    """
    for key, v in (("T", T), ("n", n)):
        _whole(key, v)
    assert isinstance(T, int) and isinstance(n, int)
    if model.is_gated:
        hi_T, hi_n = cells_checks.MAX_T, cells_checks.MAX_N
        if T <= hi_T and n <= hi_n:
            return None
        why = f"skipped: unrolled forms stop at T<={hi_T}, n<={hi_n} for a gated cell"
    elif n <= MAX_N and T <= max_unrolled_T(n):
        return None
    elif n <= MAX_N:
        why = f"skipped: unrolled forms stop at T<={max_unrolled_T(n)} at n={n}"
    else:
        why = (
            f"skipped: unrolled forms stop at n<={MAX_N} "
            f"(T<={max_unrolled_T(MAX_N)} at n={MAX_N}, T<={max_unrolled_T(2)} at n=2)"
        )
    check_bound(T, n)
    return why
