"""Training need: each release's cluster, procured over a lead time before its run, and the
firms' later generations on a per-firm compute path.

- Listed releases (model_releases.csv): FLOPs = `training_flops` x compute_multiplier x
  experiment_multiplier of the release's class; the cluster (A100-equivalents busy for the
  run) = FLOPs / (reference TFLOPS x MFU x training days). It is a stock: bought and installed
  linearly over `procurement_lead_months` before the run starts, then needed in full in every
  month the run touches (lead 0: only the run's months, the seed article's view).
- Later generations (release_path.csv, per firm or `*`): after the firm's last listed release,
  a new generation every `release_interval_months`; generation k's training FLOPs are the last
  listed release's x compute_growth^(years since it), with the last release's training days and
  MFU. Intervals and growth are draws, so release dates and sizes differ by firm and by draw
  (no lock-step generations).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from chipcast.model.compute import SECONDS_PER_DAY, chips_busy
from chipcast.model.params import ParamSet
from chipcast.model.structure import DAYS_PER_MONTH, Structure


@dataclass(frozen=True)
class Generations:
    """The later generations of each firm for a set of draws (None where a firm has no path)."""

    interval_days: np.ndarray  # (D, F) days between generations (NaN: no path)
    compute_growth: np.ndarray  # (D, F) x/year
    params_growth: np.ndarray  # (D, F) x/year
    last_day: np.ndarray  # (F,) day of the last listed release (NaN: none)
    count: int  # K: the most generations any draw fits in the grid

    def out_by(self, day: np.ndarray) -> np.ndarray:
        """(D, F, len(day)) generations released before `day` (0 before the first, <= K)."""
        elapsed = day[None, None, :] - self.last_day[None, :, None]
        n = np.floor(elapsed / self.interval_days[:, :, None])
        return np.clip(np.nan_to_num(n, nan=0.0), 0, self.count)


def generations(st: Structure, ps: ParamSet) -> Generations:
    """The draws' generation schedule (release_path.csv)."""
    rel = st.releases
    n_f = len(st.firms)

    def path(metric: str) -> np.ndarray:
        ids = rel.path_ids.get(metric, [None] * n_f)
        cols = [ps[i] if i is not None else np.full(ps.n_draws, np.nan) for i in ids]
        return np.stack(cols, axis=1) if cols else np.zeros((ps.n_draws, 0))

    interval = path("release_interval_months") * DAYS_PER_MONTH
    last_day = np.array([rel.day[r] if r >= 0 else np.nan for r in rel.last])
    span = st.month_end[-1] - np.nanmin(last_day) if np.isfinite(last_day).any() else 0.0
    shortest = np.nanmin(interval) if np.isfinite(interval).any() else np.inf
    count = int(np.ceil(span / shortest)) if np.isfinite(shortest) and span > 0 else 0
    return Generations(interval, path("compute_growth"), path("active_params_growth"),
                       last_day, count)


def _cluster(st: Structure, busy: np.ndarray, start: np.ndarray, release: np.ndarray,
             lead_days: np.ndarray) -> np.ndarray:
    """(D, M) A100-e a cluster of `busy` (D,) needs each month: ramping up linearly over the
    lead before `start`, in full until `release` (all (D,) days)."""
    end = st.month_end[None, :]
    ramp_start = (start - lead_days)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.clip((np.minimum(end, start[:, None]) - ramp_start) / lead_days[:, None],
                       0.0, 1.0)
    frac = np.where(lead_days[:, None] > 0, np.nan_to_num(frac), end > start[:, None])
    return busy[:, None] * frac * (st.month_start[None, :] < release[:, None])


@numba.njit(cache=True)
def _add_cluster(row: np.ndarray, month_start: np.ndarray, month_end: np.ndarray, busy: float,
                 start: float, release: float, lead: float) -> None:  # pragma: no cover
    """Adds to row (M,) the A100-e a cluster of `busy` needs each month: ramping up linearly
    over the lead (days) before `start`, in full until `release` (days)."""
    ramp_start = start - lead
    lo, hi = 0, row.size
    if np.isfinite(busy) and np.isfinite(start) and np.isfinite(release) and np.isfinite(lead):
        # the months outside [ramp start, release) would add busy x 0 = +0.0 (no change):
        # skipped (sorted month bounds; a non-finite busy or day keeps every month's NaN)
        lo = np.searchsorted(month_end, ramp_start if lead > 0 else start, side="right")
        hi = np.searchsorted(month_start, release, side="left")
    for m in range(lo, hi):
        end = month_end[m]
        if lead > 0:
            frac = (min(end, start) - ramp_start) / lead
            frac = min(max(frac, 0.0), 1.0)  # a NaN start makes a NaN here: 0, as nan_to_num
            if np.isnan(frac):
                frac = 0.0
        else:
            frac = 1.0 if end > start else 0.0
        row[m] += busy * frac * (1.0 if month_start[m] < release else 0.0)


@numba.njit(cache=True, inline="always")
def _retain_row(train: np.ndarray, keep: float, out: np.ndarray) -> None:  # pragma: no cover
    """`with_retention` of one firm's months (out may be train itself): a running maximum
    instead of np.maximum.accumulate (the same comparisons; NaN propagates as in numpy)."""
    earlier = 0.0  # the largest cluster before the month (none before the first)
    for m in range(train.size):
        x = train[m]
        kept = keep * earlier
        out[m] = np.nan if np.isnan(x) or np.isnan(kept) else max(x, kept)
        if m == 0 or np.isnan(x):
            earlier = x
        elif not np.isnan(earlier):
            earlier = max(earlier, x)


@numba.njit(cache=True, parallel=True)
def _training(need: np.ndarray, month_start: np.ndarray, month_end: np.ndarray,
              busy: np.ndarray, days: np.ndarray, rel_firm: np.ndarray, rel_day: np.ndarray,
              lead: np.ndarray, last: np.ndarray, last_day: np.ndarray, interval: np.ndarray,
              growth: np.ndarray, count: int, retention: np.ndarray) -> None:  # pragma: no cover
    """Each draw's clusters summed into need[d] (zeroed first), then, when `retention` (D,)
    is given (size > 0), the retained share of the largest earlier cluster kept in place."""
    n_d = need.shape[0]
    for d in numba.prange(n_d):
        need[d] = 0.0
        for i in range(rel_day.size):
            release = rel_day[i]
            _add_cluster(need[d, rel_firm[i]], month_start, month_end, busy[d, i],
                         release - days[d, i], release, lead[d])
        for f in range(last.size):
            r = last[f]
            if r < 0:
                continue
            finite = (np.isfinite(busy[d, r]) and np.isfinite(growth[d, f])
                      and interval[d, f] > 0 and np.isfinite(lead[d]))
            for k in range(1, count + 1):
                release = last_day[f] + k * interval[d, f]
                start = release - days[d, r]
                if finite and month_end[-1] <= (start - lead[d] if lead[d] > 0 else start):
                    # this and every later generation starts after the grid: each would add
                    # busy x 0 to every month (NaN only if growth^years overflowed to inf)
                    break
                years = k * interval[d, f] / (12 * DAYS_PER_MONTH)
                busy_k = busy[d, r] * growth[d, f] ** years
                _add_cluster(need[d, f], month_start, month_end, busy_k, release - days[d, r],
                             release, lead[d])
        if retention.size > 0:
            for f in range(need.shape[1]):
                _retain_row(need[d, f], retention[d], need[d, f])


def training_need(st: Structure, ps: ParamSet, gens: Generations, *,
                  out: np.ndarray | None = None, retained: bool = False) -> np.ndarray:
    """A100-equivalents needed for training, (D, F, M), before retention (after it with
    `retained`: `with_retention` in the same compiled pass): each listed release's cluster
    and each later generation's (module docstring), summed per firm in release order (a
    compiled loop over draws, releases, generations and months). Written into `out` (a
    (D, F, M) view, e.g. the firms' rows of the buyers' training array) when given."""
    rel = st.releases
    r = {m: ps.stack(ids) for m, ids in rel.ids.items()}  # each (D, R)
    flops = st.formulas["training_flops"].evaluate(
        {"active_params": r["active_params"], "total_params": r["total_params"],
         "training_tokens": r["training_tokens"]})
    flops = flops * r["compute_multiplier"] * r["experiment_multiplier"]
    ref = ps[st.reference_id]
    busy = chips_busy(flops, ref[:, None], r["mfu"], r["training_days"] * SECONDS_PER_DAY)
    lead = ps[st.lead_id] * DAYS_PER_MONTH
    need = np.empty((ps.n_draws, len(st.firms), st.months.size)) if out is None else out
    # a firm grows generations only where its path is given in every draw
    last = np.array([lr if lr >= 0 and np.isfinite(gens.interval_days[:, f]).all() else -1
                     for f, lr in enumerate(rel.last)], dtype=np.int64)

    def f64(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.broadcast_to(a, a.shape), dtype=float)

    _training(need, f64(st.month_start), f64(st.month_end),
              f64(np.broadcast_to(busy, (ps.n_draws, rel.day.size))),
              f64(np.broadcast_to(r["training_days"], (ps.n_draws, rel.day.size))),
              rel.firm.astype(np.int64), f64(rel.day), f64(np.broadcast_to(lead, ps.n_draws)),
              last, f64(gens.last_day),
              f64(np.broadcast_to(gens.interval_days, (ps.n_draws, len(st.firms)))),
              f64(np.broadcast_to(gens.compute_growth, (ps.n_draws, len(st.firms)))),
              gens.count, f64(np.broadcast_to(ps[st.retention_id], ps.n_draws)) if retained
              else np.zeros(0))
    return need


def with_retention(st: Structure, ps: ParamSet, train: np.ndarray) -> np.ndarray:
    """Training need with the retained share of the largest earlier cluster kept (D, F, M)."""
    earlier_max = np.concatenate(
        [np.zeros(train.shape[:2] + (1,)), np.maximum.accumulate(train, axis=2)[:, :, :-1]],
        axis=2)
    return np.maximum(train, ps[st.retention_id][:, None, None] * earlier_max)
