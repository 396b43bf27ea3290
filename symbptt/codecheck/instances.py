"""Random test instances in the canonical layout (time first, rows as examples).

Weights are dense Gaussian draws (non-symmetric, non-diagonal); sizes differ from one another
(D != H != N) so that a missing transpose of a non-square array shows as a wrong shape, and
the instances cover N < T, N > T, N = 1 and T = 1 (a length read from the wrong array shows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SIZES", "SIZE_NAMES", "Instance", "instances"]

Array = np.ndarray

# (N batch, T steps, D inputs, H hidden, K outputs)
SIZES: tuple[tuple[int, int, int, int, int], ...] = (
    (3, 5, 4, 6, 3),
    (2, 1, 3, 4, 2),
    (5, 3, 2, 3, 4),
    (1, 4, 3, 5, 3),
)


# the sizes (batch, steps, inputs, hidden) as each API's text names them
SIZE_NAMES = {
    "cs231n": ("N", "T", "D", "H"),
    "dlai": ("m", "T_x", "n_x", "n_a"),
    "course-notes": ("B", "T", "m", "n"),
}


@dataclass(frozen=True)
class Instance:
    """One random point: sizes and the arrays U (H, D), W (H, H), b, V (K, H), c, xs, h0, dh."""

    index: int
    N: int
    T: int
    D: int
    H: int
    K: int
    U: Array
    W: Array
    b: Array
    V: Array
    c: Array
    xs: Array
    h0: Array
    dh: Array
    lstm: dict[str, Array]  # U_k (H, D), W_k (H, H), b_k (H,) for the gates k in i, f, o, g
    c0: Array  # (N, H): the previous cell state the LSTM step functions get
    dc: Array  # (N, H): the upstream gradient on the step's next cell state

    def label(self, api: str = "cs231n") -> str:
        """'instance 2 (N=2, T=1, D=3, H=4)' in the API's own size names."""
        names = SIZE_NAMES.get(api, SIZE_NAMES["cs231n"])
        sizes = ", ".join(
            f"{k}={v}" for k, v in zip(names, (self.N, self.T, self.D, self.H), strict=True)
        )
        return f"instance {self.index + 1} ({sizes})"


def instances(seed: int = 231) -> list[Instance]:
    """The fixed instances every submission is run on (same numbers for the whole class)."""
    out = []
    for i, (N, T, D, H, K) in enumerate(SIZES):
        rs = np.random.default_rng(seed + i)
        out.append(
            Instance(
                index=i,
                N=N,
                T=T,
                D=D,
                H=H,
                K=K,
                U=0.6 * rs.standard_normal((H, D)),
                W=0.6 * rs.standard_normal((H, H)),
                b=0.3 * rs.standard_normal(H),
                V=rs.standard_normal((K, H)),
                c=0.3 * rs.standard_normal(K),
                xs=rs.standard_normal((T, N, D)),
                h0=0.8 * rs.standard_normal((N, H)),
                dh=rs.standard_normal((T, N, H)),
                lstm={
                    f"{kind}_{k}": scale * rs.standard_normal(shape)
                    for k in "ifog"
                    for kind, scale, shape in (
                        ("U", 0.6, (H, D)),
                        ("W", 0.6, (H, H)),
                        ("b", 0.3, (H,)),
                    )
                },
                c0=rs.standard_normal((N, H)),
                dc=rs.standard_normal((N, H)),
            )  # fmt: skip
        )
    return out
