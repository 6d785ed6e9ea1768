"""The fleet stock-flow: shipments that keep each buyer's installed base at its need, and the
installed base of any monthly flow after retirements (a chip retires `lifetime` months after
shipping). Cards shipped before the grid (installed_base.csv) enter as earlier months of the
owning buyer's flow, so they count as installed and retire by the same lifetime.

The month loops are compiled (numba, cached on disk so a machine compiles them once), one draw
at a time: each draw's numbers are the same sequential sums whichever thread computes them, so
results do not depend on the thread count.
"""

from __future__ import annotations

import numba
import numpy as np

# cum differences leave ~1e-13 residues: a gap below a billionth of the need is none
GAP_RTOL = 1e-9


@numba.njit(cache=True, parallel=True)
def _stock_flow(need: np.ndarray, lifetime: np.ndarray, before: np.ndarray,
                shipped: np.ndarray, installed: np.ndarray) -> None:  # pragma: no cover
    n_d, n_b, n_m = need.shape
    p = before.shape[2]
    for d in numba.prange(n_d):
        # cum[b, j] = buyer b's shipments before month j (pre-grid months first). The month
        # loop runs outside the buyer loop so the buyers' independent running sums overlap in
        # the CPU (each buyer's sum is the same sequence of additions as one buyer at a time)
        cum = np.empty((n_b, p + n_m + 1))
        life = lifetime[d]
        for b in range(n_b):
            cum[b, 0] = 0.0
            for j in range(p):
                cum[b, j + 1] = cum[b, j] + before[d, b, j]
        for m in range(n_m):
            j = p + m
            oldest = max(0, j - life + 1)
            for b in range(n_b):
                gap = need[d, b, m] - (cum[b, j] - cum[b, oldest])
                ship = gap if gap > GAP_RTOL * max(need[d, b, m], 1.0) else 0.0
                shipped[d, b, m] = ship
                cum[b, j + 1] = cum[b, j] + ship
        for b in range(n_b):
            for m in range(n_m):
                installed[d, b, m] = cum[b, p + 1 + m] - cum[b, max(0, p + m - life + 1)]


def stock_flow(need: np.ndarray, lifetime_months: np.ndarray,
               before: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Shipments and installed base, both (D, B, M), for a need (D, B, M), lifetimes (D,) and
    shipments in the P months before the grid, `before` (D, B, P) (None: nothing installed).

    shipped(m) = max(0, need(m) - survivors(m)), survivors(m) = shipments of the lifetime - 1
    months before m (earlier grid months and pre-grid months alike); installed(m) =
    survivors(m) + shipped(m).
    """
    n_d, n_b, _ = need.shape
    before = np.zeros((n_d, n_b, 0)) if before is None else before
    shipped, installed = np.empty_like(need), np.empty_like(need)
    _stock_flow(np.ascontiguousarray(need, dtype=float),
                np.ascontiguousarray(lifetime_months, dtype=np.int64),
                np.ascontiguousarray(before, dtype=float), shipped, installed)
    return shipped, installed


@numba.njit(cache=True, parallel=True)
def _rolling(flow: np.ndarray, lifetime: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
    n_d, n_k, n_m = flow.shape
    for d in numba.prange(n_d):
        cum = np.empty(n_m + 1)
        life = lifetime[d]
        for k in range(n_k):
            cum[0] = 0.0
            for m in range(n_m):
                cum[m + 1] = cum[m] + flow[d, k, m]
            for m in range(n_m):
                out[d, k, m] = cum[m + 1] - cum[max(0, m - life + 1)]


def rolling_installed(flow: np.ndarray, lifetime_months: np.ndarray,
                      out: np.ndarray | None = None) -> np.ndarray:
    """Installed stock from a monthly flow (D, ..., M): sum over the last `lifetime` months
    (written into `out`, same shape, when given)."""
    n_d, n_m = flow.shape[0], flow.shape[-1]
    flat = flow.reshape(n_d, -1, n_m)
    result = np.empty(flat.shape) if out is None else out.reshape(n_d, -1, n_m)
    _rolling(flat, np.ascontiguousarray(lifetime_months, dtype=np.int64), result)
    if out is not None and not np.shares_memory(result, out):
        out[...] = result.reshape(out.shape)  # a view reshape would have needed a copy
        return out
    return result.reshape(flow.shape) if out is None else out


@numba.njit(cache=True, parallel=True)
def _surviving(before: np.ndarray, lifetime: np.ndarray, out: np.ndarray
               ) -> None:  # pragma: no cover
    n_d, p, n_k = before.shape
    n_m = out.shape[1]
    for d in numba.prange(n_d):
        cum = np.empty(p + 1)
        for k in range(n_k):
            cum[0] = 0.0
            for j in range(p):
                cum[j + 1] = cum[j] + before[d, j, k]
            for m in range(n_m):
                oldest = min(max(p + m - lifetime[d] + 1, 0), p)
                out[d, m, k] = cum[p] - cum[oldest]


def surviving_before(before: np.ndarray, lifetime_months: np.ndarray, n_m: int) -> np.ndarray:
    """Of shipments in the P months before the grid, (D, P, ...), those still installed in
    each grid month: (D, M, ...)."""
    n_d, p = before.shape[:2]
    n_k = int(np.prod(before.shape[2:]))
    flat = np.ascontiguousarray(before, dtype=float).reshape(n_d, p, n_k)
    out = np.empty((n_d, n_m, flat.shape[2]))
    _surviving(flat, np.ascontiguousarray(lifetime_months, dtype=np.int64), out)
    return out.reshape((n_d, n_m) + before.shape[2:])
