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
def _stock_flow(need: np.ndarray, extra: np.ndarray, lifetime: np.ndarray, before: np.ndarray,
                rows: np.ndarray, shipped: np.ndarray, installed: np.ndarray
                ) -> None:  # pragma: no cover
    """The stock-flow of need + extra (extra of size 0: need alone), one draw per thread.
    before (D, K, P): pre-grid shipments of the buyers rows (K,) (the other buyers had none:
    their running sums stay +0.0, as adding a zero row's +0.0s leaves them)."""
    n_d, n_b, n_m = need.shape
    p = before.shape[2]
    add = extra.size > 0
    for d in numba.prange(n_d):
        # Month-major scratch (months x buyers): the buyers' running sums are independent, so
        # with the buyer loop inside the month loop they overlap in the CPU; each buyer's sum
        # is still the same sequence of additions (cum[j, b] = shipped before month j, the
        # pre-grid months first), so the numbers do not change.
        cum = np.empty((p + n_m + 1, n_b))
        needs = np.empty((n_m, n_b))
        ships = np.empty((n_m, n_b))
        run = np.zeros(n_b)
        life = lifetime[d]
        for j in range(p):
            for b in range(n_b):
                cum[j, b] = run[b]
            for k in range(rows.size):
                run[rows[k]] = run[rows[k]] + before[d, k, j]
        for b in range(n_b):
            for m in range(n_m):
                needs[m, b] = need[d, b, m] + extra[d, b, m] if add else need[d, b, m]
        for m in range(n_m):
            j = p + m
            oldest = max(0, j - life + 1)
            for b in range(n_b):
                cum[j, b] = run[b]
                gap = needs[m, b] - (run[b] - cum[oldest, b])
                ship = gap if gap > GAP_RTOL * max(needs[m, b], 1.0) else 0.0
                ships[m, b] = ship
                run[b] = run[b] + ship
        cum[p + n_m] = run
        for b in range(n_b):
            for m in range(n_m):
                shipped[d, b, m] = ships[m, b]
                installed[d, b, m] = cum[p + 1 + m, b] - cum[max(0, p + m - life + 1), b]


def stock_flow(need: np.ndarray, lifetime_months: np.ndarray,
               before: np.ndarray | None = None, extra: np.ndarray | None = None,
               owner: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Shipments and installed base, both (D, B, M), for a need (D, B, M) (+ `extra`, same
    shape, when given: training + inference without adding them first), lifetimes (D,) and
    shipments in the P months before the grid, `before` (D, B, P) (None: nothing installed;
    with `owner`, (D, P): buyer `owner`'s, the other buyers had none; owner < 0: no buyer's).

    shipped(m) = max(0, need(m) - survivors(m)), survivors(m) = shipments of the lifetime - 1
    months before m (earlier grid months and pre-grid months alike); installed(m) =
    survivors(m) + shipped(m).
    """
    n_d, n_b, _ = need.shape
    if before is None:
        before, rows = np.zeros((n_d, 0, 0)), np.zeros(0, dtype=np.int64)
    elif owner is None:
        rows = np.arange(n_b, dtype=np.int64)
    else:  # one buyer's row (none if owner < 0): no (D, B, P) array of zeros for the others
        before = before[:, None, :] if owner >= 0 else before[:, None, :][:, :0]
        rows = np.array([owner] if owner >= 0 else [], dtype=np.int64)
    shipped, installed = np.empty(need.shape), np.empty(need.shape)
    _stock_flow(np.ascontiguousarray(need, dtype=float),
                np.zeros((0, 0, 0)) if extra is None else np.ascontiguousarray(extra, dtype=float),
                np.ascontiguousarray(lifetime_months, dtype=np.int64),
                np.ascontiguousarray(before, dtype=float), rows, shipped, installed)
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


@numba.njit(cache=True, inline="always")
def _pairwise_sum(row: np.ndarray) -> float:  # pragma: no cover
    """numpy's sum of a contiguous float64 row of at most 128 values (its pairwise_sum: eight
    running sums, combined in pairs, then the tail), so the result is numpy's to the bit."""
    n = row.size
    if n < 8:
        res = 0.0  # numpy starts from -0.0 and adds in order: the same for any nonzero row
        for i in range(n):
            res += row[i]
        return res if n > 0 else 0.0
    r0, r1, r2, r3 = row[0], row[1], row[2], row[3]
    r4, r5, r6, r7 = row[4], row[5], row[6], row[7]
    full = n - n % 8
    for i in range(8, full, 8):
        r0 += row[i]
        r1 += row[i + 1]
        r2 += row[i + 2]
        r3 += row[i + 3]
        r4 += row[i + 4]
        r5 += row[i + 5]
        r6 += row[i + 6]
        r7 += row[i + 7]
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for i in range(full, n):
        res += row[i]
    return res


@numba.njit(cache=True, parallel=True)
def _before_totals(before: np.ndarray, lifetime: np.ndarray, by_month: np.ndarray,
                   at_start: np.ndarray) -> None:  # pragma: no cover
    n_d, p, n_s = before.shape
    for d in numba.prange(n_d):
        for j in range(p):
            by_month[d, j] = _pairwise_sum(before[d, j])
        oldest = min(max(p - lifetime[d] + 1, 0), p)
        alive = np.empty(n_s)
        for s in range(n_s):
            cum = 0.0
            kept = 0.0
            for j in range(p):
                if j == oldest:
                    kept = cum
                cum = cum + before[d, j, s]
            alive[s] = cum - (cum if oldest == p else kept)
        at_start[d] = _pairwise_sum(alive)


def before_totals(before: np.ndarray, lifetime_months: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """For pre-grid shipments by SKU (D, P, S) (C-contiguous): (D, P) their sum over SKUs
    and (D,) the A100-e of them still installed in the grid's first month, i.e.
    `before.sum(axis=2)` and `surviving_before(before, lifetime, 1)[:, 0].sum(axis=-1)` in
    one compiled pass (numbers bit-identical: the same sequential and pairwise sums, for up
    to 128 SKUs; more fall back to numpy)."""
    n_d, p, n_s = before.shape
    life = np.ascontiguousarray(lifetime_months, dtype=np.int64)
    if n_s > 128 or not before.flags.c_contiguous:
        return before.sum(axis=2), surviving_before(before, life, 1)[:, 0].sum(axis=-1)
    by_month, at_start = np.empty((n_d, p)), np.empty(n_d)
    _before_totals(np.asarray(before, dtype=float), life, by_month, at_start)
    return by_month, at_start
