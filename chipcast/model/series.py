"""The series an analyst reads, per draw: the forecast's published grain. The deterministic
forecast is these series at the point draw (`to_long`), the Monte Carlo summarises the same
series over draws (chipcast.uncertainty.montecarlo), and the headlines (chipcast.contracts.
HEADLINES) are single numbers of them.

Series (columns firm, workload, sku, vendor; `all` marks a total; metrics and units from
chipcast.contracts.OUTPUT_METRICS):
1. need, `a100_equivalents_required`: per buyer x workload; all buyers x workload; the total;
2. fleets (FLEET_METRICS) per buyer, workload and sku `all`: installed and shipped compute
   (A100-eq), cards (at the month's market card mix: every buyer buys the market's mix) and
   capex; and their total over buyers;
3. fleets per SKU (buyers `all`), vendor = the chip's vendor; and per vendor (sku `all`);
4. idle compute per buyer and in total (`a100_equivalents_idle`, workload `all`);
5. tokens a day per firm and in total over firms (`tokens_per_day`, workload `inference`).
Per buyer and per SKU are two partitions of the same market totals (the output checks verify
both sum to the total). Sums over buyers commute with the SKU split and with the installed-base
roll-forward (both linear in shipments), so fleets come from (D, B, M) and (D, S, M) arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from chipcast.contracts import (
    A100_FAMILIES,
    ALL,
    FLEET_METRICS,
    HEADLINES,
    WORKLOADS,
    Headline,
    unit_of,
)
from chipcast.model.demand import Simulation
from chipcast.model.fleet import rolling_installed, surviving_before
from chipcast.model.structure import Structure

PEAK_TIE_RTOL = 1e-9  # months within this of the maximum tie; the earliest of them is the peak


def _installed_before(st: Structure, sim: Simulation) -> np.ndarray:
    """(D, M, S) A100-e of the pre-grid cards still installed in each grid month."""
    return surviving_before(sim.before, sim.lifetime_months, st.months.size)


def fleet_by_sku(st: Structure, sim: Simulation) -> dict[str, np.ndarray]:
    """Fleet metrics by SKU summed over buyers, each (D, S, M) in its contract unit; installed
    metrics include the cards shipped before the grid."""
    total = sim.shipped.sum(axis=1)  # (D, M) A100-e shipped, all buyers
    shipped = np.moveaxis(total[:, :, None] * sim.sku_share, 1, 2)  # (D, S, M)
    installed = rolling_installed(shipped, sim.lifetime_months)
    installed = installed + np.moveaxis(_installed_before(st, sim), 1, 2)
    per_unit = sim.a100e_per_unit[:, :, None]
    units_shipped = shipped / per_unit
    return {
        "a100_equivalents": installed,
        "a100_equivalents_shipped": shipped,
        "units_installed": installed / per_unit,
        "units_shipped": units_shipped,
        "capex_usd": units_shipped * sim.price_usd[:, :, None],
    }


def fleet_by_buyer(st: Structure, sim: Simulation) -> dict[str, np.ndarray]:
    """Fleet metrics by buyer summed over SKUs, each (D, B, M): cards and capex at the month's
    market card mix; the installed_growth segment's installed metrics include the cards shipped
    before the grid."""
    k_units = np.einsum("dms,ds->dm", sim.sku_share, 1.0 / sim.a100e_per_unit)[:, None, :]
    k_capex = np.einsum("dms,ds->dm", sim.sku_share,
                        sim.price_usd / sim.a100e_per_unit)[:, None, :]
    units_shipped = sim.shipped * k_units
    units_installed = rolling_installed(units_shipped, sim.lifetime_months)
    owner = st.installed_base.owner
    if owner >= 0 and sim.before.shape[1]:
        before_units = _installed_before(st, sim) / sim.a100e_per_unit[:, None, :]
        units_installed[:, owner] += before_units.sum(axis=2)
    return {
        "a100_equivalents": sim.installed,
        "a100_equivalents_shipped": sim.shipped,
        "units_installed": units_installed,
        "units_shipped": units_shipped,
        "capex_usd": sim.shipped * k_capex,
    }


def fleet_by_vendor(st: Structure, by_sku: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Fleet metrics by vendor, each (D, V, M), from the by-SKU metrics."""
    onehot = np.zeros((len(st.supply.vendors), len(st.skus)))
    onehot[st.supply.sku_vendor, np.arange(len(st.skus))] = 1.0
    return {m: np.einsum("vs,dsm->dvm", onehot, a) for m, a in by_sku.items()}


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
    family = np.array([f in A100_FAMILIES for f in st.supply.sku_family], dtype=bool)
    return sku["units_shipped"][:, family][:, :, w].sum(axis=(1, 2))


# headline name (chipcast.contracts.HEADLINES) -> f(structure, fleet_by_sku, window) -> (D,)
HEADLINE_FUNCTIONS: dict[str, Callable[[Structure, dict[str, np.ndarray], np.ndarray],
                                       np.ndarray]] = {
    "a100_a800_units_shipped_2023_2025": _a100_a800_units,
    "a100e_shipped_2023_2030":
        lambda st, sku, w: sku["a100_equivalents_shipped"][:, :, w].sum(axis=(1, 2)),
    "peak_installed_a100e":
        lambda st, sku, w: sku["a100_equivalents"][:, :, w].sum(axis=1).max(axis=1),
    "peak_installed_units":
        lambda st, sku, w: sku["units_installed"][:, :, w].sum(axis=1).max(axis=1),
    "total_capex_usd": lambda st, sku, w: sku["capex_usd"][:, :, w].sum(axis=(1, 2)),
}


def headlines(
    structure: Structure, sim: Simulation, by_sku: dict[str, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """Every headline of chipcast.contracts.HEADLINES per draw, each (D,) in its unit
    (`by_sku` reuses fleet_by_sku). Definitions: the registry; computations: HEADLINE_FUNCTIONS
    (A100/A800 by chips.csv family)."""
    sku = by_sku if by_sku is not None else fleet_by_sku(structure, sim)
    return {name: HEADLINE_FUNCTIONS[name](structure, sku, window(structure, h))
            for name, h in HEADLINES.items()}


@dataclass(frozen=True)
class SeriesMeta:
    """Labels of the series columns: each array (n_series,)."""

    month: np.ndarray  # datetime64[D]
    firm: np.ndarray
    workload: np.ndarray
    sku: np.ndarray
    vendor: np.ndarray
    metric: np.ndarray

    @property
    def size(self) -> int:
        return self.month.size


class _Builder:
    """Collects series blocks: values (D, k) and their labels (built once per Structure)."""

    def __init__(self, st: Structure, n_draws: int, with_meta: bool):
        self.st, self.n_d, self.with_meta = st, n_draws, with_meta
        self.cols: list[np.ndarray] = []
        self.labels: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                str]] = []
        self.n_m = st.months.size

    def add(self, values: np.ndarray, metric: str, **dims: list[str] | str) -> None:
        """values (D, *lens, M) for `dims` given as label lists (one per extra axis, in order)
        or a single label; missing dims are `all`."""
        self.cols.append(values.reshape(self.n_d, -1))
        if not self.with_meta:
            return
        axes = [(k, v) for k, v in dims.items() if isinstance(v, list)]
        sizes = [len(v) for _, v in axes] + [self.n_m]
        idx = [a.ravel() for a in np.meshgrid(*(np.arange(k) for k in sizes), indexing="ij")]
        n = idx[-1].size
        out = {}
        for name in ("firm", "workload", "sku", "vendor"):
            value = dims.get(name, ALL)
            if isinstance(value, list):
                pos = [k for k, _ in axes].index(name)
                out[name] = np.asarray(value, dtype=object)[idx[pos]]
            else:
                out[name] = np.full(n, value, dtype=object)
        self.labels.append((idx[-1], out["firm"], out["workload"], out["sku"], out["vendor"],
                            metric))

    def result(self) -> tuple[np.ndarray, SeriesMeta | None]:
        values = np.concatenate(self.cols, axis=1)
        if not self.with_meta:
            return values, None
        months = self.st.months.astype("datetime64[D]")
        meta = SeriesMeta(
            month=np.concatenate([months[lab[0]] for lab in self.labels]),
            firm=np.concatenate([lab[1] for lab in self.labels]),
            workload=np.concatenate([lab[2] for lab in self.labels]),
            sku=np.concatenate([lab[3] for lab in self.labels]),
            vendor=np.concatenate([lab[4] for lab in self.labels]),
            metric=np.concatenate([np.full(lab[0].size, lab[5], object)
                                   for lab in self.labels]),
        )
        return values, meta


def series_values(
    st: Structure, sim: Simulation, with_meta: bool = True
) -> tuple[np.ndarray, SeriesMeta | None]:
    """The series of one chunk of draws: values (D, n_series) and their labels (None when
    `with_meta` is False: labels depend on the Structure only, so chunks build them once).
    Column order is fixed by the Structure, so chunks line up."""
    b = _Builder(st, sim.shipped.shape[0], with_meta)
    buyers, work = list(st.buyers), list(WORKLOADS)
    # 1: need by workload
    req = np.stack([sim.training, sim.inference], axis=1)  # (D, W, B, M)
    b.add(req.swapaxes(1, 2), "a100_equivalents_required", firm=buyers, workload=work)
    b.add(req.sum(axis=2), "a100_equivalents_required", workload=work)
    b.add(req.sum(axis=(1, 2)), "a100_equivalents_required")
    # 2: fleets per buyer and in total
    by_buyer = fleet_by_buyer(st, sim)
    for metric in FLEET_METRICS:
        b.add(by_buyer[metric], metric, firm=buyers)
        b.add(by_buyer[metric].sum(axis=1), metric)
    # 3: fleets per SKU and per vendor
    by_sku = fleet_by_sku(st, sim)
    by_vendor = fleet_by_vendor(st, by_sku)
    vendors = list(st.supply.vendors)
    sku_vendor = [vendors[v] for v in st.supply.sku_vendor]
    for metric in FLEET_METRICS:
        _add_per_sku(b, by_sku[metric], metric, list(st.skus), sku_vendor)
        b.add(by_vendor[metric], metric, vendor=vendors)
    # 4: idle compute
    idle = sim.idle
    b.add(idle, "a100_equivalents_idle", firm=buyers)
    b.add(idle.sum(axis=1), "a100_equivalents_idle")
    # 5: tokens a day per firm
    b.add(sim.tokens, "tokens_per_day", firm=list(st.firms), workload="inference")
    b.add(sim.tokens.sum(axis=1), "tokens_per_day", workload="inference")
    return b.result()


def _add_per_sku(b: _Builder, values: np.ndarray, metric: str, skus: list[str],
                 vendors: list[str]) -> None:
    """Per-SKU series: the vendor label follows the SKU (one label per SKU, not a grid)."""
    b.cols.append(values.reshape(b.n_d, -1))
    if not b.with_meta:
        return
    s, m = (a.ravel() for a in np.meshgrid(np.arange(len(skus)), np.arange(b.n_m),
                                           indexing="ij"))
    n = m.size
    b.labels.append((m, np.full(n, ALL, object), np.full(n, ALL, object),
                     np.asarray(skus, dtype=object)[s], np.asarray(vendors, dtype=object)[s],
                     metric))


SERIES_SCHEMA = {"month": pl.Date, "scenario": pl.Utf8, "firm": pl.Utf8, "workload": pl.Utf8,
                 "sku": pl.Utf8, "vendor": pl.Utf8, "metric": pl.Utf8, "value": pl.Float64,
                 "unit": pl.Utf8}


def to_long(st: Structure, sim: Simulation, draw: int = 0) -> pl.DataFrame:
    """One draw's series as the long forecast table (grain month x scenario x firm x workload x
    sku x vendor x metric; columns of SERIES_SCHEMA). A NaN the model makes stays in the table,
    for the output checks to catch."""
    values, meta = series_values(st, sim.take(draw))
    assert meta is not None
    units = {m: unit_of(m) for m in set(meta.metric)}
    return pl.DataFrame({
        "month": meta.month, "scenario": [st.scenario] * meta.size, "firm": meta.firm,
        "workload": meta.workload, "sku": meta.sku, "vendor": meta.vendor,
        "metric": meta.metric, "value": values[0],
        "unit": [units[m] for m in meta.metric],
    }, schema=SERIES_SCHEMA)


HEADLINE_SCHEMA = {"scenario": pl.Utf8, "headline": pl.Utf8, "stat": pl.Utf8,
                   "quantile": pl.Float64, "month": pl.Date, "value": pl.Float64,
                   "unit": pl.Utf8, "calibration": pl.Utf8}


def headline_table(st: Structure, sim: Simulation, draw: int = 0) -> pl.DataFrame:
    """One draw's headlines as rows of the `headlines` table (stat 'deterministic'): columns
    scenario, headline, stat, quantile (null), month, value, unit, calibration ('prior').
    `month` is the peak's month
    for a peak headline (the earliest month within PEAK_TIE_RTOL of the maximum, so float noise
    cannot move it) and the window's last month otherwise."""
    one = sim.take(draw)
    sku = fleet_by_sku(st, one)
    values = headlines(st, one, sku)
    installed = {"peak_installed_a100e": sku["a100_equivalents"].sum(axis=1)[0],
                 "peak_installed_units": sku["units_installed"].sum(axis=1)[0]}
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
                     "unit": h.unit, "calibration": "prior"})
    return pl.DataFrame(rows, schema=HEADLINE_SCHEMA)
