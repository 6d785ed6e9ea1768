"""The series an analyst reads, per draw: the compute need by firm and workload, fleets by firm
and by SKU, and the headline numbers (chipcast.contracts.HEADLINES). The Monte Carlo
(chipcast.uncertainty.montecarlo) aggregates these over draws; sensitivity and goal-seek read
the headlines.

Series (the leaf grain, firm x workload x sku x metric x month, is ~100k cells: too many to
quantile at 1M draws):
1. per firm x workload, sku `all`: `a100_equivalents_required` (the compute need);
2. firm `all` x workload (and workload `all`), sku `all`: `a100_equivalents_required`;
3. per firm, workload `all`, sku `all`: the fleet metrics (chipcast.contracts.FLEET_METRICS);
4. firm `all`, workload `all`, sku `all`: the same, summed over firms;
5. firm `all`, workload `all`, per sku: the same by SKU (chips-only metrics, i.e. units and
   capex, only for SKUs with a chip);
6. headlines, firm/workload/sku `all`, metric = the headline's name, month = the last month of
   the headline's window inside the grid.
Sums over firms commute with the SKU split and with the installed-base roll-forward (both linear
in shipments), so 3-5 come from (D, F, M) and (D, M, S) arrays, never from the leaf arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from chipcast.contracts import (
    A100_FAMILIES,
    ALL,
    FLEET_METRICS,
    HEADLINES,
    OUTPUT_METRICS,
    WORKLOADS,
    Headline,
)
from chipcast.model.demand import Simulation
from chipcast.model.fleet import rolling_installed
from chipcast.model.structure import Structure

# --- series ----------------------------------------------------------------------------------


def fleet_by_sku(sim: Simulation) -> dict[str, np.ndarray]:
    """Fleet metrics by SKU summed over firms and workloads, each (D, S, M) in their contract
    units (chipcast.contracts.OUTPUT_METRICS).

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
    """Fleet metrics by firm summed over SKUs and workloads, each (D, F, M) in their contract
    units.

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


def window(st: Structure, headline: Headline) -> np.ndarray:
    """(M,) bool: the grid months inside a headline's window."""
    lo = np.datetime64(headline.first, "M") if headline.first else st.months[0]
    hi = np.datetime64(headline.last, "M") if headline.last else st.months[-1]
    return (st.months >= lo) & (st.months <= hi)


def headline_month(st: Structure, name: str) -> date:
    """The month a headline's rows carry: its window's last month inside the grid."""
    inside = np.flatnonzero(window(st, HEADLINES[name]))
    m = st.months[inside[-1]] if inside.size else st.months[-1]
    return m.astype("datetime64[D]").astype(date)


def _a100_a800_units(st: Structure, sku: dict[str, np.ndarray], w: np.ndarray) -> np.ndarray:
    family = np.array([f in A100_FAMILIES for f in st.sku_family], dtype=bool)
    return np.nan_to_num(sku["units_shipped"][:, family][:, :, w]).sum(axis=(1, 2))


# headline name (chipcast.contracts.HEADLINES) -> f(structure, fleet_by_sku, window) -> (D,)
HEADLINE_FUNCTIONS: dict[str, Callable[[Structure, dict[str, np.ndarray], np.ndarray],
                                       np.ndarray]] = {
    "a100_a800_units_shipped_2023_2025": _a100_a800_units,
    "a100e_shipped_2023_2030":
        lambda st, sku, w: sku["a100_equivalents_shipped"][:, :, w].sum(axis=(1, 2)),
    "peak_installed_a100e":
        lambda st, sku, w: sku["a100_equivalents"][:, :, w].sum(axis=1).max(axis=1),
    "peak_installed_units":
        lambda st, sku, w: np.nansum(sku["units_installed"][:, :, w], axis=1).max(axis=1),
    "total_capex_usd": lambda st, sku, w: np.nansum(sku["capex_usd"][:, :, w], axis=(1, 2)),
}


def headlines(
    structure: Structure, sim: Simulation, by_sku: dict[str, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """Every headline of chipcast.contracts.HEADLINES per draw, each (D,) in its unit
    (`by_sku` reuses fleet_by_sku). Definitions: the registry; computations: HEADLINE_FUNCTIONS
    (units and capex count SKUs with a chip; A100/A800 by chips.csv family)."""
    sku = by_sku if by_sku is not None else fleet_by_sku(sim)
    return {name: HEADLINE_FUNCTIONS[name](structure, sku, window(structure, h))
            for name, h in HEADLINES.items()}


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
        keep = chip if OUTPUT_METRICS[metric].chips_only else np.ones(len(st.skus), bool)
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


PEAK_TIE_RTOL = 1e-9  # months within this of the maximum tie; the earliest of them is the peak


def headline_table(st: Structure, sim: Simulation, draw: int = 0) -> pl.DataFrame:
    """One draw's headlines as rows of the `headlines` table (stat 'deterministic'): columns
    scenario, headline, stat, quantile (null), month, value, unit. `month` is the peak's month
    for a peak headline (the earliest month within PEAK_TIE_RTOL of the maximum, so float noise
    cannot move it) and the window's last month otherwise."""
    one = sim.take(draw)
    sku = fleet_by_sku(one)
    values = headlines(st, one, sku)
    installed = {"peak_installed_a100e": sku["a100_equivalents"].sum(axis=1)[0],
                 "peak_installed_units": np.nansum(sku["units_installed"], axis=1)[0]}
    rows = []
    for name, h in HEADLINES.items():
        month = headline_month(st, name)
        if name in installed:
            series = installed[name]
            top = series.max()
            first = int(np.flatnonzero(series >= top - PEAK_TIE_RTOL * abs(top))[0])
            month = st.months[first].astype("datetime64[D]").astype(date)
        rows.append({"scenario": st.scenario, "headline": name, "stat": "deterministic",
                     "quantile": None, "month": month, "value": float(values[name][0]),
                     "unit": h.unit})
    return pl.DataFrame(rows, schema=HEADLINE_SCHEMA)


HEADLINE_SCHEMA = {"scenario": pl.Utf8, "headline": pl.Utf8, "stat": pl.Utf8,
                   "quantile": pl.Float64, "month": pl.Date, "value": pl.Float64,
                   "unit": pl.Utf8}
