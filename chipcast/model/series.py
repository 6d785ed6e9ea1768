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

import numba
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
from chipcast.model.structure import Structure

PEAK_TIE_RTOL = 1e-9  # months within this of the maximum tie; the earliest of them is the peak


@numba.njit(cache=True, parallel=True)
def _fleet_sku(total: np.ndarray, share_k: np.ndarray, month_k: np.ndarray, life: np.ndarray,
               before: np.ndarray, per_unit: np.ndarray, price: np.ndarray,
               sku_vendor: np.ndarray, by_sku: tuple, by_vendor: tuple,  # type: ignore[type-arg]
               before_units: np.ndarray, installed_sums: np.ndarray) -> None:  # pragma: no cover
    """Every fleet metric by SKU (FLEET_METRICS order, each (D, S, M)) and their sums by vendor
    (each (D, V, M)), one draw at a time, in float64 whatever the outputs' dtype. `before`
    (D, P, S) is what shipped before the grid; before_units (D, M) receives the cards of it
    still installed (summed over SKUs). installed_sums (2, D, M) float64 receives the installed
    A100-e and cards summed over SKUs as written (after rounding to the outputs' dtype),
    sequentially in SKU order: numpy's `.sum(axis=1, dtype=float)` of the written arrays, which
    the peak headlines read here while the values are in cache instead of from the buffer."""
    inst, ship, u_inst, u_ship, capex = by_sku
    v_inst, v_ship, v_u_inst, v_u_ship, v_capex = by_vendor
    n_d, n_m = total.shape
    n_s, n_v, p = share_k.shape[2], v_inst.shape[1], before.shape[1]
    for d in numba.prange(n_d):
        # the running sums of every SKU side by side, (month, SKU): each SKU's sums stay
        # sequential over months, in the same order, but the SKUs' independent chains advance
        # together (SKU by SKU, one chain's add latency bound them: a third of this pass)
        flow = np.empty((n_m, n_s))
        cum = np.empty((n_m + 1, n_s))
        cum_before = np.empty((p + 1, n_s))
        cum[0] = 0.0
        for m in range(n_m):
            t, share, f = total[d, m], share_k[d, month_k[m]], flow[m]
            for s in range(n_s):
                f[s] = t * share[s]
            c0, c1 = cum[m], cum[m + 1]
            for s in range(n_s):
                c1[s] = c0[s] + f[s]
        cum_before[0] = 0.0
        for j in range(p):
            b0, b1, shipped_j = cum_before[j], cum_before[j + 1], before[d, j]
            for s in range(n_s):
                b1[s] = b0[s] + shipped_j[s]
        acc = np.zeros((5, n_v, n_m))
        for m in range(n_m):
            before_units[d, m] = 0.0
            installed_sums[0, d, m] = 0.0
            installed_sums[1, d, m] = 0.0
        life_d = life[d]
        for s in range(n_s):
            v, per, usd = sku_vendor[s], per_unit[d, s], price[d, s]
            for m in range(n_m):
                surviving = cum_before[p, s] - cum_before[min(max(p + m - life_d + 1, 0), p), s]
                before_units[d, m] += surviving / per
                shipped = flow[m, s]
                installed = cum[m + 1, s] - cum[max(0, m - life_d + 1), s] + surviving
                units_installed = installed / per
                units_shipped = shipped / per
                cost = units_shipped * usd
                inst[d, s, m], ship[d, s, m] = installed, shipped
                u_inst[d, s, m], u_ship[d, s, m], capex[d, s, m] = (units_installed,
                                                                    units_shipped, cost)
                acc[0, v, m] += installed
                acc[1, v, m] += shipped
                acc[2, v, m] += units_installed
                acc[3, v, m] += units_shipped
                acc[4, v, m] += cost
        # the installed metrics summed over SKUs as written, while the rows are in cache
        sum_inst, sum_units = installed_sums[0, d], installed_sums[1, d]
        for s in range(n_s):
            row_inst, row_units = inst[d, s], u_inst[d, s]
            for m in range(n_m):
                sum_inst[m] += row_inst[m]
            for m in range(n_m):
                sum_units[m] += row_units[m]
        for v in range(n_v):
            for m in range(n_m):
                v_inst[d, v, m], v_ship[d, v, m] = acc[0, v, m], acc[1, v, m]
                v_u_inst[d, v, m], v_u_ship[d, v, m] = acc[2, v, m], acc[3, v, m]
                v_capex[d, v, m] = acc[4, v, m]


class SkuFleets(dict[str, np.ndarray]):
    """fleet_by_sku's arrays (metric -> (D, S, M)), and `installed_sums` (metric -> (D, M),
    float64) for the metrics of INSTALLED_SUMS: summed over SKUs from the same pass, as numpy's
    `.sum(axis=1, dtype=float)` of the arrays would (the peak headlines' first step)."""

    installed_sums: dict[str, np.ndarray]


INSTALLED_SUMS = ("a100_equivalents", "units_installed")  # _fleet_sku's installed_sums order


def fleet_by_sku(st: Structure, sim: Simulation, out: dict[str, np.ndarray] | None = None,
                 by_vendor: dict[str, np.ndarray] | None = None,
                 before_units: np.ndarray | None = None) -> SkuFleets:
    """Fleet metrics by SKU summed over buyers, each (D, S, M) in its contract unit; installed
    metrics include the cards shipped before the grid. Written into `out`'s arrays when given
    (e.g. views of a series buffer; computed in float64 whatever their dtype); `by_vendor`
    (each (D, V, M)), when given, receives the sums by vendor (fleet_by_vendor) and
    `before_units` (D, M) the pre-grid cards still installed, from the same pass. The result
    also carries the installed metrics summed over SKUs (SkuFleets.installed_sums)."""
    n_d, n_s, n_m = sim.shipped.shape[0], sim.share_k.shape[2], st.months.size
    n_v = len(st.supply.vendors)
    o = out if out is not None else {m: np.empty((n_d, n_s, n_m)) for m in FLEET_METRICS}
    v = by_vendor if by_vendor is not None else {m: np.empty((n_d, n_v, n_m))
                                                 for m in FLEET_METRICS}
    sums = np.empty((len(INSTALLED_SUMS), n_d, n_m))
    _fleet_sku(sim.shipped.sum(axis=1), sim.share_k, sim.month_k,
               sim.lifetime_months.astype(np.int64), np.ascontiguousarray(sim.before, float),
               sim.a100e_per_unit, np.ascontiguousarray(sim.price_usd, dtype=float),
               st.supply.sku_vendor.astype(np.int64), tuple(o[m] for m in FLEET_METRICS),
               tuple(v[m] for m in FLEET_METRICS),
               np.empty((n_d, n_m)) if before_units is None else before_units, sums)
    result = SkuFleets(o)
    result.installed_sums = dict(zip(INSTALLED_SUMS, sums, strict=True))
    return result


@numba.njit(cache=True, parallel=True)
def _buyer_series(training: np.ndarray, inference: np.ndarray, installed: np.ndarray,
                  shipped: np.ndarray, tokens: np.ndarray, k_units: np.ndarray,
                  k_capex: np.ndarray, month_k: np.ndarray, life: np.ndarray, owner: int,
                  before_units: np.ndarray, req: np.ndarray, by_work: np.ndarray,
                  need_total: np.ndarray, by_buyer: tuple, totals: tuple,  # type: ignore[type-arg]
                  idle: np.ndarray, idle_total: np.ndarray, tok: np.ndarray,
                  tok_total: np.ndarray) -> None:  # pragma: no cover
    """Every buyer-grain series block of write_series (need, fleets by buyer and their totals,
    idle compute, tokens) for one draw per iteration, written in the blocks' dtype. Each value
    is what the numpy passes this replaces wrote, to the bit: the same float64 operations in
    the same order (sums over buyers and firms sequential in their order, as numpy's axis-1
    sum of a C-ordered array; totals of written blocks sum the values as written, i.e. after
    rounding to the buffer's dtype, as numpy summed the buffer's views)."""
    inst, ship, u_inst, u_ship, capex = by_buyer
    t_inst, t_ship, t_u_inst, t_u_ship, t_capex = totals
    n_d, n_b, n_m = training.shape
    n_f = tokens.shape[1]
    for d in numba.prange(n_d):
        cum = np.empty(n_m + 1)
        acc = np.zeros((8, n_m))  # train, infer, the 5 fleet totals, idle
        for b in range(n_b):
            cum[0] = 0.0
            for m in range(n_m):
                tr, inf = training[d, b, m], inference[d, b, m]
                req[d, b, 0, m], req[d, b, 1, m] = tr, inf
                acc[0, m] += tr
                acc[1, m] += inf
                x = installed[d, b, m] - (tr + inf)
                idle[d, b, m] = 0.0 if x < 0.0 else x  # NaN stays NaN (np.maximum)
                acc[7, m] += idle[d, b, m]
                s = shipped[d, b, m]
                inst[d, b, m], ship[d, b, m] = installed[d, b, m], s
                acc[2, m] += inst[d, b, m]
                acc[3, m] += ship[d, b, m]
                units = s * k_units[d, month_k[m]]
                u_ship[d, b, m] = units
                acc[5, m] += u_ship[d, b, m]
                capex[d, b, m] = s * k_capex[d, month_k[m]]
                acc[6, m] += capex[d, b, m]
                cum[m + 1] = cum[m] + units
            for m in range(n_m):
                units_installed = cum[m + 1] - cum[max(0, m - life[d] + 1)]
                if b == owner:
                    units_installed += before_units[d, m]
                u_inst[d, b, m] = units_installed
                acc[4, m] += u_inst[d, b, m]
        for m in range(n_m):
            by_work[d, 0, m], by_work[d, 1, m] = acc[0, m], acc[1, m]
            need_total[d, m] = acc[0, m] + acc[1, m]
            t_inst[d, m], t_ship[d, m] = acc[2, m], acc[3, m]
            t_u_inst[d, m], t_u_ship[d, m], t_capex[d, m] = acc[4, m], acc[5, m], acc[6, m]
            idle_total[d, m] = acc[7, m]
        for m in range(n_m):
            acc[0, m] = 0.0
        for f in range(n_f):
            for m in range(n_m):
                tok[d, f, m] = tokens[d, f, m]
                acc[0, m] += tokens[d, f, m]
        for m in range(n_m):
            tok_total[d, m] = acc[0, m]


def fleet_by_vendor(st: Structure, by_sku: dict[str, np.ndarray],
                    out: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Fleet metrics by vendor, each (D, V, M), from the by-SKU metrics (summed in SKU order;
    written into `out`'s arrays when given)."""
    n_v = len(st.supply.vendors)
    members = [np.flatnonzero(st.supply.sku_vendor == v) for v in range(n_v)]
    o = out if out is not None else {}
    for metric, a in by_sku.items():
        if metric not in o:
            o[metric] = np.empty((a.shape[0], n_v, a.shape[2]))
        for v, idx in enumerate(members):
            if idx.size:
                np.sum(a[:, idx], axis=1, out=o[metric][:, v], dtype=float)
            else:
                o[metric][:, v] = 0.0
    return o


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


def _span(w: np.ndarray) -> slice:
    """A window's months (M,) bool, contiguous by construction, as a slice (views, no copy)."""
    inside = np.flatnonzero(w)
    return slice(int(inside[0]), int(inside[-1]) + 1) if inside.size else slice(0, 0)


@numba.njit(cache=True, parallel=True)
def _window_max(sums: np.ndarray, lo: int, hi: int, out: np.ndarray) -> None:  # pragma: no cover
    """out (D,): the largest of sums[d, lo:hi] ((D, M), already summed over SKUs), as numpy's
    `.max(axis=1)`: NaN if any month is NaN, the first of equals."""
    for d in numba.prange(sums.shape[0]):
        top = -np.inf
        for m in range(lo, hi):
            if np.isnan(sums[d, m]) or np.isnan(top):
                top = np.nan
            elif sums[d, m] > top:
                top = sums[d, m]
        out[d] = top


def _total(a: np.ndarray, w: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """(D,) sum of a (D, S, M) over the SKUs `rows` ((S,) bool; all when None) and the
    window's months, in float64. numpy's own: a compiled replay of its pairwise order was
    measured slower (4 against 2.5 ms for 1,024 draws on one thread)."""
    return (a if rows is None else a[:, rows])[:, :, _span(w)].sum(axis=(1, 2), dtype=float)


def _peak(sku: dict[str, np.ndarray], metric: str, w: np.ndarray) -> np.ndarray:
    """(D,) the window's largest month of sku[metric] (D, S, M) summed over SKUs, in float64:
    the sums fleet_by_sku made in its pass (SkuFleets.installed_sums), or for a plain dict of
    arrays numpy's `.sum(axis=1, dtype=float)`, the same sums (sequential in SKU order)."""
    a, span = sku[metric], _span(w)
    if span.stop <= span.start:  # numpy raises on an empty window, as before
        return a[:, :, span].sum(axis=1, dtype=float).max(axis=1)
    sums = getattr(sku, "installed_sums", {}).get(metric)
    if sums is None:
        sums = a.sum(axis=1, dtype=float)
    out = np.empty(a.shape[0])
    _window_max(sums, span.start, span.stop, out)
    return out


def _a100_a800_units(st: Structure, sku: dict[str, np.ndarray], w: np.ndarray) -> np.ndarray:
    family = np.array([f in A100_FAMILIES for f in st.supply.sku_family], dtype=bool)
    return _total(sku["units_shipped"], w, family)


# headline name (chipcast.contracts.HEADLINES) -> f(structure, fleet_by_sku, window) -> (D,);
# sums in float64 whatever the fleets' dtype: totals numpy's `[:, :, window].sum(axis=(1, 2),
# dtype=float)`; peaks compiled, equal to the bit to numpy's `.sum(axis=1, dtype=float)
# .max(axis=1)` of the same array (the sums from fleet_by_sku's pass when given SkuFleets)
HEADLINE_FUNCTIONS: dict[str, Callable[[Structure, dict[str, np.ndarray], np.ndarray],
                                       np.ndarray]] = {
    "a100_a800_units_shipped_2023_2025": _a100_a800_units,
    "a100e_shipped_2023_2030": lambda st, sku, w: _total(sku["a100_equivalents_shipped"], w),
    "peak_installed_a100e": lambda st, sku, w: _peak(sku, "a100_equivalents", w),
    "peak_installed_units": lambda st, sku, w: _peak(sku, "units_installed", w),
    "total_capex_usd": lambda st, sku, w: _total(sku["capex_usd"], w),
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
    """Lays series blocks side by side in one (D, n) buffer and records their labels (built
    once per Structure): `slot` reserves a block's columns and returns a view of them shaped
    (D, *lens, M), which the caller fills in place (no per-block copies, no concatenation)."""

    def __init__(self, st: Structure, out: np.ndarray, with_meta: bool):
        self.st, self.out, self.with_meta = st, out, with_meta
        self.n_d, self.n_m = out.shape[0], st.months.size
        self.pos = 0
        self.labels: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                str]] = []

    def _take(self, lens: list[int]) -> np.ndarray:
        k = int(np.prod(lens)) * self.n_m
        # copy=False: a block must be a view of the buffer (numpy raises rather than copy)
        view = np.reshape(self.out[:, self.pos:self.pos + k], (self.n_d, *lens, self.n_m),
                          copy=False)
        self.pos += k
        return view

    def slot(self, metric: str, **dims: list[str] | str) -> np.ndarray:
        """The view for a block with `dims` given as label lists (one per extra axis, in
        order) or a single label; missing dims are `all`."""
        axes = [(k, v) for k, v in dims.items() if isinstance(v, list)]
        sizes = [len(v) for _, v in axes]
        view = self._take(sizes)
        if not self.with_meta:
            return view
        idx = [a.ravel() for a in np.meshgrid(*(np.arange(k) for k in sizes + [self.n_m]),
                                              indexing="ij")]
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
        return view

    def slot_per_sku(self, metric: str, skus: list[str], vendors: list[str]) -> np.ndarray:
        """Per-SKU block (D, S, M): the vendor label follows the SKU (one label per SKU, not a
        grid)."""
        view = self._take([len(skus)])
        if self.with_meta:
            s, m = (a.ravel() for a in np.meshgrid(np.arange(len(skus)), np.arange(self.n_m),
                                                   indexing="ij"))
            n = m.size
            self.labels.append((m, np.full(n, ALL, object), np.full(n, ALL, object),
                                np.asarray(skus, dtype=object)[s],
                                np.asarray(vendors, dtype=object)[s], metric))
        return view

    def meta(self) -> SeriesMeta | None:
        if not self.with_meta:
            return None
        months = self.st.months.astype("datetime64[D]")
        return SeriesMeta(
            month=np.concatenate([months[lab[0]] for lab in self.labels]),
            firm=np.concatenate([lab[1] for lab in self.labels]),
            workload=np.concatenate([lab[2] for lab in self.labels]),
            sku=np.concatenate([lab[3] for lab in self.labels]),
            vendor=np.concatenate([lab[4] for lab in self.labels]),
            metric=np.concatenate([np.full(lab[0].size, lab[5], object)
                                   for lab in self.labels]),
        )


def n_series(st: Structure) -> int:
    """Columns of series_values for a Structure (the blocks series_values lays out)."""
    n_b, n_f, n_m = len(st.buyers), len(st.firms), st.months.size
    n_s, n_v, n_w = len(st.skus), len(st.supply.vendors), len(WORKLOADS)
    need = n_b * n_w + n_w + 1
    fleets = len(FLEET_METRICS) * (n_b + 1 + n_s + n_v)
    return n_m * (need + fleets + (n_b + 1) + (n_f + 1))


def series_values(
    st: Structure, sim: Simulation, with_meta: bool = True, out: np.ndarray | None = None
) -> tuple[np.ndarray, SeriesMeta | None]:
    """The series of one chunk of draws: values (D, n_series) and their labels (None when
    `with_meta` is False: labels depend on the Structure only, so chunks build them once).
    Column order is fixed by the Structure, so chunks line up. `out` (D, >= n_series), e.g. a
    reused float32 buffer, receives the values in its first n_series columns (computed in its
    dtype); otherwise a float64 array is allocated."""
    values, meta, _ = write_series(st, sim, with_meta, out)
    return values, meta


def write_series(
    st: Structure, sim: Simulation, with_meta: bool = True, out: np.ndarray | None = None
) -> tuple[np.ndarray, SeriesMeta | None, SkuFleets]:
    """series_values, and the fleet_by_sku arrays (views of the values, with their sums over
    SKUs) for the headlines."""
    n_d, n = sim.shipped.shape[0], n_series(st)
    out = np.empty((n_d, n)) if out is None else out
    if out.shape[0] != n_d or out.shape[1] < n:
        raise ValueError(f"out has shape {out.shape}, series_values needs ({n_d}, >= {n})")
    b = _Builder(st, out, with_meta)
    buyers, work = list(st.buyers), list(WORKLOADS)
    # 1: need by workload
    req = b.slot("a100_equivalents_required", firm=buyers, workload=work)  # (D, B, W, M)
    by_work = b.slot("a100_equivalents_required", workload=work)
    need_total = b.slot("a100_equivalents_required")
    # 2: fleets per buyer and in total; 3: per SKU and per vendor (the SKU pass first: it
    # gives the pre-grid cards still installed, which the installed base's owner holds)
    by_buyer: dict[str, np.ndarray] = {}
    totals: dict[str, np.ndarray] = {}
    for metric in FLEET_METRICS:
        by_buyer[metric] = b.slot(metric, firm=buyers)
        totals[metric] = b.slot(metric)
    vendors = list(st.supply.vendors)
    sku_vendor = [vendors[v] for v in st.supply.sku_vendor]
    by_sku: dict[str, np.ndarray] = {}
    by_vendor: dict[str, np.ndarray] = {}
    for metric in FLEET_METRICS:
        by_sku[metric] = b.slot_per_sku(metric, list(st.skus), sku_vendor)
        by_vendor[metric] = b.slot(metric, vendor=vendors)
    # 4: idle compute; 5: tokens a day per firm
    idle = b.slot("a100_equivalents_idle", firm=buyers)
    idle_total = b.slot("a100_equivalents_idle")
    tok = b.slot("tokens_per_day", firm=list(st.firms), workload="inference")
    tok_total = b.slot("tokens_per_day", workload="inference")
    before_units = np.empty((n_d, st.months.size))
    fleets = fleet_by_sku(st, sim, by_sku, by_vendor, before_units)
    if st.installed_base.owner < 0:
        before_units[:] = 0.0
    # cards and capex per A100-e shipped, once per month kind (supply.Split)
    k_units = np.einsum("dks,ds->dk", sim.share_k, 1.0 / sim.a100e_per_unit)
    k_capex = np.einsum("dks,ds->dk", sim.share_k, sim.price_usd / sim.a100e_per_unit)
    # everything at the buyers' grain in one compiled pass (values as the numpy passes wrote)
    _buyer_series(*(np.ascontiguousarray(a, dtype=float) for a in (
                      sim.training, sim.inference, sim.installed, sim.shipped, sim.tokens)),
                  k_units, k_capex, np.asarray(sim.month_k, dtype=np.int64),
                  sim.lifetime_months.astype(np.int64), int(st.installed_base.owner),
                  before_units, req, by_work, need_total,
                  tuple(by_buyer[m] for m in FLEET_METRICS),
                  tuple(totals[m] for m in FLEET_METRICS), idle, idle_total, tok, tok_total)
    assert b.pos == n, "n_series disagrees with the blocks laid out"
    return out[:, :n], b.meta(), fleets


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
