"""The market beside the modelled firms: each segment's need from its driver (segments.csv,
numbers in segment_drivers.csv), in A100-equivalents per month, split into training and
inference.

Drivers:
- `llm_ratio`: other model developers; need = llm_ratio x the modelled firms' need, workload by
  workload (they train and serve as the firms do);
- `logistic`: capacity built on its own path (e.g. state-backed compute centres, clouds):
  need = L(t) - L(t_0), L(t) = ceiling_a100e / (1 + exp(-growth_rate (t - midpoint_year))),
  counted from t_0, the month before the grid (what such buyers held before it is among the
  cards shipped before the grid, installed_base.csv); training_share of it training;
- `installed_growth`: the workloads that owned the cards shipped before the grid
  (recommendation, vision, search, speech, autonomous driving): need = the A100-eq of that
  installed base still in service at the grid's start, growing at a continuous rate
  growth_rate x exp(-growth_decay t) in year t after t_0, i.e. x exp(growth_rate
  (1 - exp(-growth_decay t)) / growth_decay) (x exp(growth_rate t) without decay);
  training_share of it training.
"""

from __future__ import annotations

import numba
import numpy as np

from chipcast.model.inference import logistic
from chipcast.model.params import ParamSet
from chipcast.model.structure import DAYS_PER_YEAR, Structure


@numba.njit(cache=True, parallel=True)
def _over_firms(a: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
    """out (D, M) = a (D, F, M) summed over firms, in firm order from the first firm: numpy's
    a.sum(axis=1) to the bit (it adds a non-innermost axis sequentially), one draw a thread."""
    n_d, n_f, n_m = a.shape
    for d in numba.prange(n_d):
        for m in range(n_m):
            out[d, m] = a[d, 0, m] if n_f > 0 else 0.0
        for f in range(1, n_f):
            for m in range(n_m):
                out[d, m] = out[d, m] + a[d, f, m]


def firm_sum(a: np.ndarray) -> np.ndarray:
    """(D, M) the firms' need (D, F, M) summed over firms (compiled; = a.sum(axis=1))."""
    out = np.empty((a.shape[0], a.shape[2]))
    _over_firms(np.asarray(a, dtype=float), out)
    return out


def segment_need(st: Structure, ps: ParamSet, firm_training: np.ndarray,
                 firm_inference: np.ndarray, base_at_start: np.ndarray,
                 out: tuple[np.ndarray, np.ndarray] | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(training, inference) need of every segment, each (D, G, M) A100-eq. `firm_*` are the
    firms' needs (D, F, M); `base_at_start` (D,) the installed base's A100-eq in service at the
    grid's start (the installed_growth segment's starting need). Written into `out` (two
    (D, G, M) arrays or views, e.g. the segments' rows of the buyers' arrays) when given:
    every segment's rows are written, so they need no zeroing."""
    seg = st.segments
    n_d, n_m = ps.n_draws, st.months.size
    if out is None:
        train = np.empty((n_d, len(seg.names), n_m))
        infer = np.empty_like(train)
    else:
        train, infer = out
    t = st.month_decimal_year[None, :]
    # Needs are read at mid-month; the stock in service when the grid starts stands for the
    # month before it, so the first month gets one month of growth (not none, which shipped
    # nothing in it, nor the segment's whole height, which shipped everything at once).
    years = ((st.month_start - st.month_start[0]) / DAYS_PER_YEAR + 1.0 / 12.0)[None, :]
    before_start = t[:, :1] - years[:, :1]

    def value(metric: str, g: int) -> np.ndarray:
        return ps[seg.ids[metric][g]][:, None]  # type: ignore[index]

    firm_sums: tuple[np.ndarray, np.ndarray] | None = None  # summed once for every ratio
    for g, driver in enumerate(seg.drivers):
        if driver == "llm_ratio":
            ratio = value("llm_ratio", g)
            if firm_sums is None:
                firm_sums = (firm_sum(firm_training), firm_sum(firm_inference))
            np.multiply(ratio, firm_sums[0], out=train[:, g])  # = train[:, g] = ratio x sum
            np.multiply(ratio, firm_sums[1], out=infer[:, g])
            continue
        if driver == "logistic":
            # Counted from the grid's start: the capacity such buyers held before it is among
            # the cards shipped before the grid (installed_base.csv, all of China's cards), so
            # only what they build after it needs new cards. Counting the path's whole height
            # made the first month ship the segment's entire starting need at once.
            path = [value("ceiling_a100e", g), value("growth_rate", g), value("midpoint_year", g)]
            need = logistic(*path, t) - logistic(*path, before_start)
        else:  # installed_growth
            rate, decay = value("growth_rate", g), value("growth_decay", g)
            # the integral of a rate fading exponentially; the limit decay -> 0 is rate x t
            grown = np.where(decay > 1e-9,
                             rate * -np.expm1(-decay * years) / np.maximum(decay, 1e-9),
                             rate * years)
            need = base_at_start[:, None] * np.exp(grown)
        share = value("training_share", g)
        np.multiply(need, share, out=train[:, g])
        np.multiply(need, 1.0 - share, out=infer[:, g])
    return train, infer
