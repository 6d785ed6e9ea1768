"""Monte Carlo: mean and quantiles of the forecast's series over draws of the uncertain inputs.

`forecast_quantiles` draws the inputs (chipcast.sampling), evaluates the model for a chunk of
draws at a time (`demand.simulate` is vectorised over draws: no Python loop per draw), reduces
each chunk to the series below and aggregates them without keeping more than a chunk of model
state in memory.

Series (the leaf grain, firm x workload x sku x metric x month, is ~100k cells: too many to
quantile at 1M draws; these are the ones an analyst reads, ~14k for 10 firms, 15 SKUs, 108
months). Every series gets one `mean` row and `quantile` rows at QUANTILES:

1. per firm x workload, sku `all`: `a100_equivalents_required` (the compute need);
2. firm `all` x workload, sku `all`: `a100_equivalents_required` summed over firms, and its
   total over workloads (workload `all`);
3. per firm, workload `all`, sku `all`: `a100_equivalents`, `a100_equivalents_shipped`,
   `units_installed`, `units_shipped`, `capex_usd` (the firm's fleet over all SKUs);
4. firm `all`, workload `all`, sku `all`: the same five, summed over firms;
5. firm `all`, workload `all`, per sku: the same five by SKU summed over firms (SKUs without a
   chip, i.e. a vendor's pseudo-SKU such as `other`, only carry the two A100-e metrics);
6. headlines (HEADLINES), firm/workload/sku `all`, metric = the headline's name, month = the last
   month of the headline's window inside the grid (`peak_*`: the grid's last month).

Units: as the deterministic forecast (`demand.UNITS`); `units_*` and `capex_usd` totals count
chips only (a pseudo-SKU has no units or price). Sums over firms commute with the SKU split and
with the installed-base roll-forward (both linear in shipments), so 3-5 come from (D, F, M) and
(D, M, S) arrays, never from the (D, F, M, S, W) leaf arrays.

Aggregation: when draws x series x 8 bytes fits `exact_bytes` (default 512 MiB; 4,096 draws of
the base scenario fit) all series values are kept and quantiles are exact (`np.quantile`,
linear). Beyond that, two streamed passes over the same draws (the samplers replay them from
the seed): pass 1 keeps each series' min, max and sum; pass 2 counts values in `bins`
equal-width bins between min and max (uint32 counts) and a quantile is read from the bin holding
its order statistics, interpolating by rank inside the bin. Stated error:
|estimate - exact linear quantile| <= (max - min) / bins per series (default bins 2048: 0.05 %
of the series' range); the mean is exact in both modes.
Memory is one chunk of model state plus series x bins x 4 bytes, independent of the draw count.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from datetime import date
from typing import Any, TextIO

import numpy as np
import polars as pl

from chipcast.demand import (
    UNITS,
    WORKLOADS,
    Simulation,
    Structure,
    compile_structure,
    rolling_installed,
    simulate,
)
from chipcast.params import parameters, point_params
from chipcast.sampling import DrawPlan, draw_plan

QUANTILES = (0.05, 0.10, 0.50, 0.90, 0.95)
FLEET_METRICS = ("a100_equivalents", "a100_equivalents_shipped", "units_installed",
                 "units_shipped", "capex_usd")
ALL = "all"  # label of a total over firms, workloads or SKUs
A100_FAMILIES = ("A100", "A800")

# headline -> (unit, first month, last month of its window; None = the whole grid)
HEADLINES: dict[str, tuple[str, str | None, str | None]] = {
    "a100_a800_units_shipped_2023_2025": ("units", "2023-01", "2025-12"),
    "a100e_shipped_2023_2030": ("A100-eq", "2023-01", "2030-12"),
    "peak_installed_a100e": ("A100-eq", None, None),
    "peak_installed_units": ("units", None, None),
}
HEADLINE_DOCS = {
    "a100_a800_units_shipped_2023_2025": "A100 and A800 family units shipped 2023-01..2025-12, "
    "all firms (units)",
    "a100e_shipped_2023_2030": "A100-equivalents shipped 2023-01..2030-12, all firms and SKUs",
    "peak_installed_a100e": "highest month-end installed base, A100-equivalents, all firms",
    "peak_installed_units": "highest month-end installed base in physical chips, all firms",
}
EXACT_BYTES = 512 * 2**20
CHUNK_BYTES = 192 * 2**20  # one chunk's series values; model state is a few times smaller
DEFAULT_BINS = 2048


# --- series ----------------------------------------------------------------------------------


def fleet_by_sku(sim: Simulation) -> dict[str, np.ndarray]:
    """Fleet metrics by SKU summed over firms and workloads, each (D, S, M) in demand.UNITS.

    NaN for units/capex of SKUs without a chip."""
    total = sim.shipped.sum(axis=1)  # (D, M) A100-e shipped, all firms
    shipped_a100e = np.moveaxis(total[:, :, None] * sim.sku_share, 1, 2)  # (D, S, M)
    installed_a100e = rolling_installed(shipped_a100e, sim.lifetime_months)
    per_unit = sim.a100e_per_unit[:, :, None]
    units_shipped = shipped_a100e / per_unit
    return {
        "a100_equivalents": installed_a100e,
        "units_installed": installed_a100e / per_unit,
        "units_shipped": units_shipped,
        "capex_usd": units_shipped * sim.price_usd[:, :, None],
        "a100_equivalents_shipped": shipped_a100e,
    }


def fleet_by_firm(sim: Simulation) -> dict[str, np.ndarray]:
    """Fleet metrics by firm summed over SKUs and workloads, each (D, F, M) in demand.UNITS.

    Units and capex count SKUs with a chip only."""
    per_unit = np.nan_to_num(1.0 / sim.a100e_per_unit)  # (D, S); 0 for pseudo-SKUs
    price = np.nan_to_num(sim.price_usd)
    k_a100e = sim.sku_share.sum(axis=2)[:, None, :]  # (D, 1, M) share reaching any SKU
    k_units = np.einsum("dms,ds->dm", sim.sku_share, per_unit)[:, None, :]
    k_capex = np.einsum("dms,ds->dm", sim.sku_share, per_unit * price)[:, None, :]
    units_shipped = sim.shipped * k_units
    return {
        "a100_equivalents": rolling_installed(sim.shipped * k_a100e, sim.lifetime_months),
        "a100_equivalents_shipped": sim.shipped * k_a100e,
        "units_installed": rolling_installed(units_shipped, sim.lifetime_months),
        "units_shipped": units_shipped,
        "capex_usd": sim.shipped * k_capex,
    }


def _window(st: Structure, first: str | None, last: str | None) -> np.ndarray:
    lo = np.datetime64(first, "M") if first else st.months[0]
    hi = np.datetime64(last, "M") if last else st.months[-1]
    return (st.months >= lo) & (st.months <= hi)


def headline_month(st: Structure, name: str) -> date:
    """The month a headline's rows carry: its window's last month inside the grid."""
    _, first, last = HEADLINES[name]
    inside = np.flatnonzero(_window(st, first, last))
    m = st.months[inside[-1]] if inside.size else st.months[-1]
    return m.astype("datetime64[D]").astype(date)


def headlines(
    structure: Structure, sim: Simulation, by_sku: dict[str, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """Headline outputs per draw, each (D,), units in HEADLINES (`by_sku` reuses fleet_by_sku).

    - a100_a800_units_shipped_2023_2025: units of SKUs whose chips.csv family is A100 or A800
      shipped 2023-01..2025-12, all firms;
    - a100e_shipped_2023_2030: A100-equivalents shipped 2023-01..2030-12, all firms and SKUs;
    - peak_installed_a100e / peak_installed_units: the highest month-end installed base over the
      grid, in A100-equivalents / physical chips.
    """
    st = structure
    sku = by_sku if by_sku is not None else fleet_by_sku(sim)
    family = np.array([f in A100_FAMILIES for f in st.sku_family], dtype=bool)
    if family.size != len(st.skus):  # a Structure built without families: match SKU names
        family = np.array([s.upper().startswith(A100_FAMILIES) for s in st.skus], dtype=bool)
    w1 = _window(st, *HEADLINES["a100_a800_units_shipped_2023_2025"][1:])
    w2 = _window(st, *HEADLINES["a100e_shipped_2023_2030"][1:])
    units = np.nan_to_num(sku["units_shipped"][:, family][:, :, w1])
    return {
        "a100_a800_units_shipped_2023_2025": units.sum(axis=(1, 2)),
        "a100e_shipped_2023_2030": sku["a100_equivalents_shipped"][:, :, w2].sum(axis=(1, 2)),
        "peak_installed_a100e": sku["a100_equivalents"].sum(axis=1).max(axis=1),
        "peak_installed_units": np.nansum(sku["units_installed"], axis=1).max(axis=1),
    }


@dataclass(frozen=True)
class SeriesMeta:
    """Labels of the series columns: each array (n_series,)."""

    month: np.ndarray  # datetime64[D]
    firm: np.ndarray
    workload: np.ndarray
    sku: np.ndarray
    metric: np.ndarray

    @property
    def size(self) -> int:
        return self.month.size


def series_values(
    st: Structure, sim: Simulation, with_meta: bool = True
) -> tuple[np.ndarray, SeriesMeta | None]:
    """The Monte Carlo series of one chunk: values (D, n_series) and their labels (None when
    `with_meta` is False: labels depend on the Structure only, so chunks build them once).

    Column order is fixed by the Structure, so chunks line up."""
    n_d, n_f, n_m = sim.shipped.shape
    cols: list[np.ndarray] = []
    # label blocks: (month index array, firm, workload, sku) with scalars or index arrays
    blocks: list[tuple[np.ndarray, Any, Any, Any, str]] = []

    def add(values: np.ndarray, metric: str, m: Any, firm: Any = ALL, workload: Any = ALL,
            sku: Any = ALL) -> None:
        cols.append(values.reshape(n_d, -1))
        blocks.append((m, firm, workload, sku, metric))

    def grid(*sizes: int) -> list[np.ndarray]:
        return [a.ravel() for a in np.meshgrid(*(np.arange(k) for k in sizes), indexing="ij")]

    m_all = np.arange(n_m)
    firms = np.array(st.firms, dtype=object)
    work = np.array(WORKLOADS, dtype=object)
    skus = np.array(st.skus, dtype=object)
    # 1, 2: compute need by workload
    req = np.stack([sim.training, sim.inference], axis=2)  # (D, F, W, M)
    if with_meta:
        f, w, m = grid(n_f, len(WORKLOADS), n_m)
        w2, m2 = grid(len(WORKLOADS), n_m)
    else:
        f = w = m = w2 = m2 = None
    add(req, "a100_equivalents_required", m, firms[f] if with_meta else None,
        work[w] if with_meta else None)
    add(req.sum(axis=1), "a100_equivalents_required", m2, ALL, work[w2] if with_meta else None)
    add(req.sum(axis=(1, 2)), "a100_equivalents_required", m_all)  # the total need
    # 3, 4: fleet by firm and in total
    by_firm = fleet_by_firm(sim)
    f, m = grid(n_f, n_m) if with_meta else (None, None)
    for metric in FLEET_METRICS:
        add(by_firm[metric], metric, m, firms[f] if with_meta else None)
    for metric in FLEET_METRICS:
        add(by_firm[metric].sum(axis=1), metric, m_all)
    # 5: fleet by SKU (chips only for units and capex)
    by_sku = fleet_by_sku(sim)
    chip = np.array([i is not None for i in st.sku_tflops_ids], dtype=bool)
    for metric in FLEET_METRICS:
        keep = np.ones(len(st.skus), bool) if metric.startswith("a100_") else chip
        if with_meta:
            s, m = grid(int(keep.sum()), n_m)
            sku_labels = skus[np.flatnonzero(keep)][s]
        else:
            m = sku_labels = None
        add(by_sku[metric][:, keep], metric, m, sku=sku_labels)
    # 6: headlines, one value per draw; the month index points at the headline's month
    for name, value in headlines(st, sim, by_sku).items():
        month = np.datetime64(headline_month(st, name), "M")
        add(value[:, None], name, np.array([int((month - st.months[0]).astype(int))]))

    values = np.concatenate(cols, axis=1)
    if not with_meta:
        return values, None
    months = st.months.astype("datetime64[D]")

    def expand(item: Any, n: int) -> np.ndarray:
        return np.asarray(item, dtype=object) if np.ndim(item) else np.full(n, item, object)

    pairs = list(zip(blocks, [c.shape[1] for c in cols], strict=True))
    meta = SeriesMeta(
        month=np.concatenate([months[b[0]] for b, _ in pairs]),
        firm=np.concatenate([expand(b[1], k) for b, k in pairs]),
        workload=np.concatenate([expand(b[2], k) for b, k in pairs]),
        sku=np.concatenate([expand(b[3], k) for b, k in pairs]),
        metric=np.concatenate([np.full(k, b[4], object) for b, k in pairs]),
    )
    return values, meta


def series_unit(metric: str) -> str:
    """Unit of a series' metric (a headline's from HEADLINES)."""
    return UNITS[metric] if metric in UNITS else HEADLINES[metric][0]


# --- aggregation -----------------------------------------------------------------------------


class Progress:
    """A one-line progress bar over chunks on stderr; silent unless stderr is a terminal
    (`enabled=None`), or when `enabled=False`."""

    def __init__(self, total: int, label: str, enabled: bool | None = None,
                 stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.enabled = tty if enabled is None else bool(enabled and tty)
        self.total, self.label, self.done = max(total, 1), label, 0
        self.start = time.monotonic()

    def step(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        width = 30
        fill = int(width * self.done / self.total)
        elapsed = time.monotonic() - self.start
        self.stream.write(f"\r{self.label} [{'#' * fill}{'.' * (width - fill)}] "
                          f"{self.done}/{self.total} chunks {elapsed:5.1f}s")
        if self.done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


def exact_quantiles(values: np.ndarray, qs: tuple[float, ...] = QUANTILES,
                    block: int = 2048) -> np.ndarray:
    """(len(qs), n_series) linear quantiles over axis 0, computed a column block at a time so the
    sort copy stays small."""
    out = np.empty((len(qs), values.shape[1]))
    for j in range(0, values.shape[1], block):
        out[:, j:j + block] = np.quantile(values[:, j:j + block], qs, axis=0)
    return out


class HistogramQuantiles:
    """Streamed quantiles with a stated error: feed every chunk to `observe` (pass 1), then
    every chunk again, in any order, to `count` (pass 2); `quantiles()` is within
    (max - min) / bins of the exact linear quantile, per series."""

    def __init__(self, n_series: int, bins: int = DEFAULT_BINS, block: int = 1024):
        self.bins, self.block = bins, block
        self.lo = np.full(n_series, np.inf)
        self.hi = np.full(n_series, -np.inf)
        self.total = np.zeros(n_series)
        self.n = 0
        self.counts: np.ndarray | None = None

    def observe(self, values: np.ndarray) -> None:
        np.minimum(self.lo, values.min(axis=0), out=self.lo)
        np.maximum(self.hi, values.max(axis=0), out=self.hi)
        self.total += values.sum(axis=0)
        self.n += values.shape[0]

    @property
    def width(self) -> np.ndarray:
        """Bin width of each series: the stated error bound of its quantiles."""
        return (self.hi - self.lo) / self.bins

    def count(self, values: np.ndarray) -> None:
        if self.counts is None:
            self.counts = np.zeros((self.lo.size, self.bins), dtype=np.uint32)
        span = self.hi - self.lo
        scale = np.divide(self.bins, span, out=np.zeros_like(span), where=span > 0)
        b = self.bins
        for j in range(0, self.lo.size, self.block):
            sl = slice(j, j + self.block)
            idx = ((values[:, sl] - self.lo[sl]) * scale[sl]).astype(np.int64)
            np.clip(idx, 0, b - 1, out=idx)
            k = idx.shape[1]
            idx += (np.arange(k) * b)[None, :]
            self.counts[sl] += np.bincount(idx.ravel(), minlength=k * b).reshape(k, b).astype(
                np.uint32)

    def mean(self) -> np.ndarray:
        return self.total / max(self.n, 1)

    def _order_stat(self, cum: np.ndarray, counts: np.ndarray, lo: np.ndarray,
                    width: np.ndarray, r: int) -> np.ndarray:
        """Estimate of the r-th smallest value (0-based) of each series in a block."""
        b = np.minimum((cum <= r).sum(axis=1), self.bins - 1)  # first bin with cum > r
        rows = np.arange(cum.shape[0])
        inside = counts[rows, b].astype(float)
        before = cum[rows, b] - inside
        pos = np.divide(r - before + 0.5, inside, out=np.full_like(inside, 0.5), where=inside > 0)
        est = lo + (b + np.clip(pos, 0.0, 1.0)) * width
        return est

    def quantiles(self, qs: tuple[float, ...] = QUANTILES) -> np.ndarray:
        """(len(qs), n_series) estimates, each within `width` of the exact linear quantile."""
        if self.counts is None:
            raise RuntimeError("count() every chunk before asking for quantiles")
        n = self.n
        out = np.empty((len(qs), self.lo.size))
        for j in range(0, self.lo.size, self.block):
            sl = slice(j, j + self.block)
            counts = self.counts[sl].astype(np.int64)
            cum = np.cumsum(counts, axis=1)
            lo, hi, width = self.lo[sl], self.hi[sl], self.width[sl]
            for i, q in enumerate(qs):
                h = (n - 1) * q
                k = int(np.floor(h))
                frac = h - k
                ests = []
                for r in (k, min(k + 1, n - 1)):
                    # the extremes are known exactly
                    if r == 0:
                        ests.append(lo.copy())
                    elif r == n - 1:
                        ests.append(hi.copy())
                    else:
                        ests.append(self._order_stat(cum, counts, lo, width, r))
                out[i, sl] = np.clip(ests[0] * (1 - frac) + ests[1] * frac, lo, hi)
        return out


def default_chunk(n_series: int, n_firms: int, n_months: int) -> int:
    """Draws per chunk: a power of 2 keeping one chunk's series and model state near
    CHUNK_BYTES (8 bytes a value)."""
    per_draw = 8 * max(n_series, 12 * n_firms * n_months)
    c = max(CHUNK_BYTES // per_draw, 1)
    return int(np.clip(2 ** int(np.log2(c)), 64, 8192))


def _frame(st: Structure, meta: SeriesMeta, mean: np.ndarray, qv: np.ndarray,
           qs: tuple[float, ...]) -> pl.DataFrame:
    n = meta.size
    k = len(qs) + 1
    stat = np.array(["mean"] + ["quantile"] * len(qs), dtype=object)
    quantile = np.array([np.nan, *qs])
    values = np.concatenate([mean[None, :], qv], axis=0).T.ravel()  # series-major
    units = np.array([series_unit(m) for m in meta.metric], dtype=object)

    def rep(a: np.ndarray) -> np.ndarray:
        return np.repeat(a, k)

    return pl.DataFrame(
        [
            pl.Series("scenario", [st.scenario] * (n * k), dtype=pl.Utf8),
            pl.Series("month", rep(meta.month)).cast(pl.Date),
            pl.Series("firm", rep(meta.firm), dtype=pl.Utf8),
            pl.Series("workload", rep(meta.workload), dtype=pl.Utf8),
            pl.Series("sku", rep(meta.sku), dtype=pl.Utf8),
            pl.Series("metric", rep(meta.metric), dtype=pl.Utf8),
            pl.Series("stat", np.tile(stat, n), dtype=pl.Utf8),
            pl.Series("quantile", np.tile(quantile, n), dtype=pl.Float64).fill_nan(None),
            pl.Series("value", values, dtype=pl.Float64),
            pl.Series("unit", rep(units), dtype=pl.Utf8),
        ]
    )


def forecast_quantiles(
    inputs: Any,
    draws: int = 4096,
    seed: int = 20231,
    sampler: str = "sobol",
    chunk: int | None = None,
    progress: bool | None = None,
    *,
    exact_bytes: int = EXACT_BYTES,
    bins: int = DEFAULT_BINS,
    quantiles: tuple[float, ...] = QUANTILES,
) -> pl.DataFrame:
    """Mean and quantiles of the Monte Carlo series (module docstring) for one scenario.

    Columns: scenario, month (Date), firm, workload, sku, metric, stat ('mean' | 'quantile'),
    quantile (null for the mean), value, unit. Grain: series x stat x quantile. The caller adds
    run_id. Same inputs, draws, sampler and seed give identical values.
    """
    if draws < 1:
        raise ValueError(f"draws must be >= 1, got {draws}")
    st = compile_structure(inputs)
    params = parameters(inputs)
    plan = draw_plan(inputs, params, sampler=sampler, seed=seed)
    if plan.dims == 0:
        # Every input is fixed: all draws are the point forecast, so one evaluation is exact.
        values, meta = series_values(st, simulate(st, point_params(params)))
        return _frame(st, meta, values[0], np.repeat(values, len(quantiles), axis=0), quantiles)
    return _aggregate(st, plan, draws, chunk, progress, exact_bytes, bins, quantiles)


def _aggregate(st: Structure, plan: DrawPlan, draws: int, chunk: int | None,
               progress: bool | None, exact_bytes: int, bins: int,
               qs: tuple[float, ...]) -> pl.DataFrame:
    first_vals, meta = series_values(st, simulate(st, plan.paramset(plan.draw_matrix(1))))
    n_series = first_vals.shape[1]
    chunk = chunk or default_chunk(n_series, len(st.firms), st.months.size)
    n_chunks = -(-draws // chunk)
    exact = draws * n_series * 8 <= exact_bytes
    bar = Progress(n_chunks * (1 if exact else 2), f"monte carlo {st.scenario}", progress)
    if exact:
        allv = np.empty((draws, n_series))
        start = 0
        for ps in plan.chunks(draws, chunk):
            allv[start:start + ps.n_draws] = series_values(st, simulate(st, ps), False)[0]
            start += ps.n_draws
            bar.step()
        return _frame(st, meta, allv.mean(axis=0), exact_quantiles(allv, qs), qs)
    hist = HistogramQuantiles(n_series, bins=bins)
    for ps in plan.chunks(draws, chunk):
        hist.observe(series_values(st, simulate(st, ps), False)[0])
        bar.step()
    for ps in plan.chunks(draws, chunk):  # the same draws again
        hist.count(series_values(st, simulate(st, ps), False)[0])
        bar.step()
    return _frame(st, meta, hist.mean(), hist.quantiles(qs), qs)
