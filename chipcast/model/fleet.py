"""The fleet stock-flow: shipments that keep each buyer's installed base at its need, and the
installed base of any monthly flow after retirements (a chip retires `lifetime` months after
shipping). Cards shipped before the grid (installed_base.csv) enter as earlier months of the
owning buyer's flow, so they count as installed and retire by the same lifetime.
"""

from __future__ import annotations

import numpy as np

# cum differences leave ~1e-13 residues: a gap below a billionth of the need is none
GAP_RTOL = 1e-9


def stock_flow(need: np.ndarray, lifetime_months: np.ndarray,
               before: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Shipments and installed base, both (D, B, M), for a need (D, B, M), lifetimes (D,) and
    shipments in the P months before the grid, `before` (D, B, P) (None: nothing installed).

    shipped(m) = max(0, need(m) - survivors(m)), survivors(m) = shipments of the lifetime - 1
    months before m (earlier grid months and pre-grid months alike); installed(m) =
    survivors(m) + shipped(m).
    """
    n_d, n_b, n_m = need.shape
    before = np.zeros((n_d, n_b, 0)) if before is None else before
    p = before.shape[2]
    cum = np.zeros((n_d, n_b, p + n_m + 1))  # cum[..., j] = shipped before month j
    cum[:, :, 1:p + 1] = np.cumsum(before, axis=2)
    shipped = np.zeros_like(need)
    rows = np.arange(n_d)
    for m in range(n_m):
        j = p + m
        oldest = np.maximum(0, j - lifetime_months + 1)  # (D,) first month still in service
        survivors = cum[:, :, j] - cum[rows, :, oldest]
        gap = need[:, :, m] - survivors
        shipped[:, :, m] = np.where(gap > GAP_RTOL * np.maximum(need[:, :, m], 1.0), gap, 0.0)
        cum[:, :, j + 1] = cum[:, :, j] + shipped[:, :, m]
    j = p + np.arange(n_m)
    oldest = np.maximum(0, j[None, :] - lifetime_months[:, None] + 1)  # (D, M)
    installed = cum[:, :, p + 1:] - np.take_along_axis(cum, oldest[:, None, :], axis=2)
    return shipped, installed


def rolling_installed(flow: np.ndarray, lifetime_months: np.ndarray) -> np.ndarray:
    """Installed stock from a monthly flow (D, ..., M): sum over the last `lifetime` months."""
    n_m = flow.shape[-1]
    cum = np.concatenate([np.zeros(flow.shape[:-1] + (1,)), np.cumsum(flow, axis=-1)], axis=-1)
    oldest = np.maximum(0, np.arange(n_m)[None, :] - lifetime_months[:, None] + 1)  # (D, M)
    shape = (flow.shape[0],) + (1,) * (flow.ndim - 2) + (n_m,)
    return cum[..., 1:] - np.take_along_axis(cum, oldest.reshape(shape), axis=-1)


def surviving_before(before: np.ndarray, lifetime_months: np.ndarray, n_m: int) -> np.ndarray:
    """Of shipments in the P months before the grid, (D, P, ...), those still installed in
    each grid month: (D, M, ...)."""
    p = before.shape[1]
    cum = np.concatenate([np.zeros((before.shape[0], 1) + before.shape[2:]),
                          np.cumsum(before, axis=1)], axis=1)  # (D, P + 1, ...)
    oldest = np.clip(p + np.arange(n_m)[None, :] - lifetime_months[:, None] + 1, 0, p)  # (D, M)
    idx = oldest.reshape(oldest.shape + (1,) * (before.ndim - 2))
    idx = np.broadcast_to(idx, oldest.shape + before.shape[2:])
    return cum[:, p][:, None] - np.take_along_axis(cum, idx, axis=1)
