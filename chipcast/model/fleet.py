"""The fleet stock-flow: shipments that keep the installed base at the need, and the installed
base of any monthly flow after retirements (a chip retires `lifetime` months after shipping)."""

from __future__ import annotations

import numpy as np


def stock_flow(need: np.ndarray, lifetime_months: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shipments and installed base, both (D, F, M), for a need (D, F, M) and lifetimes (D,).

    shipped(m) = max(0, need(m) - survivors(m)), survivors(m) = units shipped in the
    lifetime - 1 months before m; installed(m) = survivors(m) + shipped(m).
    """
    n_d, _, n_m = need.shape
    shipped = np.zeros_like(need)
    cum = np.zeros(need.shape[:2] + (n_m + 1,))  # cum[..., m] = shipped before month m
    rows = np.arange(n_d)
    for m in range(n_m):
        oldest = np.maximum(0, m - lifetime_months + 1)  # (D,) first month still in service
        survivors = cum[:, :, m] - cum[rows, :, oldest]
        gap = need[:, :, m] - survivors
        # cum differences leave ~1e-13 residues: a gap below a billionth of the need is none.
        shipped[:, :, m] = np.where(gap > 1e-9 * np.maximum(need[:, :, m], 1.0), gap, 0.0)
        cum[:, :, m + 1] = cum[:, :, m] + shipped[:, :, m]
    oldest = np.maximum(0, np.arange(n_m)[None, :] - lifetime_months[:, None] + 1)  # (D, M)
    installed = cum[:, :, 1:] - np.take_along_axis(cum, oldest[:, None, :], axis=2)
    return shipped, installed


def rolling_installed(flow: np.ndarray, lifetime_months: np.ndarray) -> np.ndarray:
    """Installed stock from a monthly flow (D, ..., M): sum over the last `lifetime` months."""
    n_m = flow.shape[-1]
    cum = np.concatenate([np.zeros(flow.shape[:-1] + (1,)), np.cumsum(flow, axis=-1)], axis=-1)
    oldest = np.maximum(0, np.arange(n_m)[None, :] - lifetime_months[:, None] + 1)  # (D, M)
    shape = (flow.shape[0],) + (1,) * (flow.ndim - 2) + (n_m,)
    return cum[..., 1:] - np.take_along_axis(cum, oldest.reshape(shape), axis=-1)


