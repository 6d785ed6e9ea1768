"""The monthly demand model: training + inference need -> fleet stock-flow -> vendors -> SKUs.

Two steps keep Monte Carlo cheap. `compile_structure` turns Inputs into index arrays and the
param ids each quantity reads (done once). `simulate` evaluates the model for a ParamSet of any
number of draws at once (numpy, vectorised over draws and firms; the only Python loop is over
months, because the stock-flow is a recurrence). `to_long` turns one draw into the long output
table. The equations are in docs/architecture.md ("Model").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from chipcast.compute import SECONDS_PER_DAY, TERA
from chipcast.errors import InputError, Problem
from chipcast.formulas import Formula, formula_set
from chipcast.params import DEFAULT_KEY, ParamSet, param_id, parameters, point_params

WORKLOADS = ("training", "inference")
RELEASE_METRICS = (
    "active_params",
    "total_params",
    "training_tokens",
    "training_days",
    "mfu",
    "compute_multiplier",
    "experiment_multiplier",
)
USAGE_METRICS = (
    "dau_target",
    "adoption_p",
    "adoption_q",
    "questions_per_user_day",
    "words_per_answer",
    "tokens_per_word",
    "prompt_tokens",
    "serving_utilization",
    "peak_to_average",
)
DAYS_PER_YEAR = 365.25
MID_MONTH_DAY = 14  # the 15th: a regime in force then governs the month

# metric -> unit of the long output
UNITS = {
    "a100_equivalents_required": "A100-eq",
    "a100_equivalents": "A100-eq",
    "a100_equivalents_shipped": "A100-eq/month",
    "units_installed": "units",
    "units_shipped": "units/month",
    "capex_usd": "USD/month",
}


@dataclass(frozen=True)
class Structure:
    """Everything about a scenario that does not change between draws (grain noted per field)."""

    scenario: str
    months: np.ndarray  # (M,) datetime64[M], first months of the grid
    firms: tuple[str, ...]  # (F,)
    skus: tuple[str, ...]  # (S,) output SKUs, incl. a pseudo-SKU per vendor without chips
    vendors: tuple[str, ...]  # (V,)
    release_firm: np.ndarray  # (R,) firm index of each release
    release_day: np.ndarray  # (R,) release date, days since 1970-01-01
    release_ids: dict[str, list[str]]  # metric -> (R,) param ids
    serve_release: np.ndarray  # (F, M) release served in the month, -1 before the first
    years_live: np.ndarray  # (F, M) years from the firm's first release to mid-month (<0: none)
    usage_ids: dict[str, list[str]]  # metric -> (F,) param ids
    month_start: np.ndarray  # (M,) days
    month_end: np.ndarray  # (M,) days (exclusive)
    share_ids: list[list[str | None]]  # (Y, V) vendor share param ids, None = no row (0)
    month_year: np.ndarray  # (M,) index into the share years (clipped to the table's years)
    vendor_available: np.ndarray  # (M, V) bool: the vendor has a legal, launched SKU
    mix: np.ndarray  # (V, M, S) share of a vendor's A100-e going to each SKU
    sku_tflops_ids: list[str | None]  # (S,) dense FP16 TFLOPS param ids (None: no chip)
    sku_price_ids: list[str | None]  # (S,) price param ids
    lifetime_id: str
    retention_id: str
    reference_id: str
    formulas: dict[str, Formula]
    inference_mode: str
    sku_family: tuple[str, ...] = ()  # (S,) chips.csv family of each SKU (vendor pseudo-SKUs: sku)
    release_class: tuple[str, ...] = ()  # (R,) model_class of each release (for roofline ids)


@dataclass(frozen=True)
class Simulation:
    """Model state for n draws. Arrays are (D, F, M) in A100-equivalents unless noted."""

    training: np.ndarray  # training need incl. retained clusters
    inference: np.ndarray
    shipped: np.ndarray  # A100-e shipped in the month
    installed: np.ndarray  # A100-e installed at the month's end
    lifetime_months: np.ndarray  # (D,) int
    sku_share: np.ndarray  # (D, M, S) share of the month's A100-e shipped going to each SKU
    a100e_per_unit: np.ndarray  # (D, S), NaN for SKUs without a chip
    price_usd: np.ndarray  # (D, S) USD/unit, NaN without a chip

    @property
    def need(self) -> np.ndarray:
        return self.training + self.inference


def _days(d: date | np.datetime64) -> float:
    return float(np.datetime64(d, "D").astype("int64"))


def _problem(message: str, hint: str, file: str = "data/") -> InputError:
    return InputError(Problem(file=file, message=message, hint=hint))


def compile_structure(inputs: Any) -> Structure:
    """Index arrays and param ids for one scenario's inputs."""
    params = parameters(inputs)
    settings = inputs.settings
    months = np.arange(np.datetime64(settings.start, "M"), np.datetime64(settings.end, "M") + 1)
    if months.size == 0:
        raise _problem("the month grid is empty", "set settings.start <= settings.end")
    month_start = months.astype("datetime64[D]").astype("int64").astype(float)
    month_end = (months + 1).astype("datetime64[D]").astype("int64").astype(float)

    firms = tuple(inputs.firms["firm"].to_list())
    firm_index = {f: i for i, f in enumerate(firms)}

    def resolve(table: str, key: str, metric: str, fallbacks: tuple[str, ...] = ()) -> str:
        for k, m in [(key, metric), *((key, f) for f in fallbacks), (DEFAULT_KEY, metric)]:
            pid = param_id(table, [k], m)
            if pid in params:
                return pid
        raise _problem(
            f"no value for {metric} of {key} (and no '{DEFAULT_KEY}' default row)",
            f"add a row ({key} or {DEFAULT_KEY}, {metric}, value, unit, source)",
            f"data/{table}.csv",
        )

    rel = inputs.model_releases.sort(["firm", "release_date"])
    unknown = sorted(set(rel["firm"]) - set(firms))
    if unknown:
        raise _problem(
            f"model_releases names unknown firms {unknown}",
            "add them to firms.csv",
            "data/model_releases.csv",
        )
    release_firm = np.array([firm_index[f] for f in rel["firm"]], dtype=int)
    release_day = np.array([_days(d) for d in rel["release_date"]], dtype=float)
    release_ids = {
        m: [
            resolve("model_classes", c, m, ("total_params",) if m == "active_params" else ())
            for c in rel["model_class"]
        ]
        for m in RELEASE_METRICS
    }

    serve = np.full((len(firms), months.size), -1, dtype=int)
    years_live = np.full((len(firms), months.size), -1.0)
    for r in np.argsort(release_day, kind="stable"):  # later releases overwrite earlier ones
        f = release_firm[r]
        serve[f, month_end > release_day[r]] = r
    mid = month_start + MID_MONTH_DAY
    for f in range(len(firms)):
        days = release_day[release_firm == f]
        if days.size:
            years_live[f] = (mid - days.min()) / DAYS_PER_YEAR
    usage_ids = {m: [resolve("usage", f, m) for f in firms] for m in USAGE_METRICS}

    vendors, share_ids, month_year = _vendor_shares(inputs, params, months)
    skus, vendor_available, mix, tflops_ids, price_ids = _sku_mix(
        inputs, params, vendors, month_start, month_end
    )
    stranded = months[~vendor_available.any(axis=1)]
    if stranded.size:  # shipments of such a month would reach no SKU and vanish
        raise _problem(
            f"no vendor has a legal, launched chip in {stranded.size} month(s) from "
            f"{stranded[0]}: their shipments would go nowhere",
            "add a regime row for a chip sold then (domestic chips are never export-controlled)"
            " or keep the 'Other' vendor in vendor_share.csv",
            "data/export_regimes.csv",
        )
    formulas = formula_set(inputs.compute_formulas.select("name", "expression").iter_rows())
    family = dict(zip(inputs.chips["sku"].to_list(), inputs.chips["family"].to_list(), strict=True))
    return Structure(
        scenario=settings.name,
        months=months,
        firms=firms,
        skus=skus,
        vendors=vendors,
        release_firm=release_firm,
        release_day=release_day,
        release_ids=release_ids,
        serve_release=serve,
        years_live=years_live,
        usage_ids=usage_ids,
        month_start=month_start,
        month_end=month_end,
        share_ids=share_ids,
        month_year=month_year,
        vendor_available=vendor_available,
        mix=mix,
        sku_tflops_ids=tflops_ids,
        sku_price_ids=price_ids,
        lifetime_id=resolve("fleet", "", "chip_lifetime_years"),
        retention_id=resolve("fleet", "", "training_fleet_retention"),
        reference_id=resolve("fleet", "", "reference_tflops"),
        formulas=formulas,
        inference_mode=settings.inference_mode,
        sku_family=tuple(family.get(s, s) for s in skus),
        release_class=tuple(rel["model_class"].to_list()),
    )


def _vendor_shares(
    inputs: Any, params: dict[str, Any], months: np.ndarray
) -> tuple[tuple[str, ...], list[list[str | None]], np.ndarray]:
    vs = inputs.vendor_share
    vendors = tuple(dict.fromkeys(vs["vendor"].to_list()))
    years = sorted(set(int(y) for y in vs["year"].to_list()))
    if not years:
        raise _problem(
            "vendor_share has no rows", "add shares by year and vendor", "data/vendor_share.csv"
        )
    ids: list[list[str | None]] = []
    for y in years:
        row: list[str | None] = []
        for v in vendors:
            pid = param_id("vendor_share", [y, v], "share")
            row.append(pid if pid in params else None)
        ids.append(row)
    month_years = months.astype("datetime64[Y]").astype(int) + 1970
    # Months outside the table's years use its first or last year.
    month_year = np.searchsorted(years, np.clip(month_years, years[0], years[-1]))
    return vendors, ids, month_year


def _pseudo_sku(vendor: str) -> str:
    """The SKU label of a vendor without chips in chips.csv (`Other` -> `other`)."""
    return vendor.lower()


def _sku_mix(
    inputs: Any,
    params: dict[str, Any],
    vendors: tuple[str, ...],
    month_start: np.ndarray,
    month_end: np.ndarray,
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray, list[str | None], list[str | None]]:
    chips = inputs.chips
    chip_vendor = dict(zip(chips["sku"].to_list(), chips["vendor"].to_list(), strict=True))
    launch = {s: _days(d) for s, d in zip(chips["sku"], chips["launch_date"], strict=True)}
    regimes = inputs.export_regimes
    unknown = sorted(set(regimes["sku"]) - set(chip_vendor))
    if unknown:
        raise _problem(
            f"export_regimes names SKUs not in chips.csv: {unknown}",
            "add the SKU to chips.csv or fix its name",
            "data/export_regimes.csv",
        )
    regime_skus = set(regimes["sku"].to_list())
    skus = [s for s in chips["sku"].to_list() if s in regime_skus]
    # A vendor with chips in chips.csv sells only what a regime lists; a vendor with none at
    # all (e.g. `Other`) is carried as a pseudo-SKU in A100-equivalents.
    vendors_with_chips = set(chip_vendor.values())
    skus += [_pseudo_sku(v) for v in vendors if v not in vendors_with_chips]
    sku_index = {s: i for i, s in enumerate(skus)}
    vendor_index = {v: i for i, v in enumerate(vendors)}

    n_m = month_start.size
    mix = np.zeros((len(vendors), n_m, len(skus)))
    mid = month_start + MID_MONTH_DAY
    for row in regimes.iter_rows(named=True):
        vendor = chip_vendor[row["sku"]]
        if vendor not in vendor_index:
            continue  # a vendor without a share cannot sell: its rows carry no weight
        start = _days(row["start_date"])
        end = _days(row["end_date"]) if row["end_date"] is not None else np.inf
        # in force at mid-month, and launched by the month's last day
        active = (mid >= start) & (mid < end) & (month_end > launch[row["sku"]])
        mix[vendor_index[vendor], active, sku_index[row["sku"]]] += float(row["mix_share"])
    for v in vendors:
        if v not in vendors_with_chips:
            mix[vendor_index[v], :, sku_index[_pseudo_sku(v)]] = 1.0
    total = mix.sum(axis=2, keepdims=True)
    available = total[..., 0].T > 0  # (M, V)
    mix = np.divide(mix, total, out=np.zeros_like(mix), where=total > 0)

    def spec(sku: str, metric: str) -> str | None:
        pid = param_id("chip_specs", [sku], metric)
        if sku not in chip_vendor:
            return None
        if pid not in params:
            raise _problem(
                f"chip {sku} has no {metric}",
                f"add ({sku}, {metric}) to chip_specs",
                "data/chip_specs.csv",
            )
        return pid

    return (
        tuple(skus),
        available,
        mix,
        [spec(s, "dense_fp16_tflops") for s in skus],
        [spec(s, "price_usd") for s in skus],
    )


def _stack_optional(ps: ParamSet, ids: list[str | None]) -> np.ndarray:
    """(D, len(ids)) with NaN where an id is None."""
    cols = [ps[i] if i is not None else np.full(ps.n_draws, np.nan) for i in ids]
    return np.stack(cols, axis=1) if cols else np.zeros((ps.n_draws, 0))


def bass_adoption(p: np.ndarray, q: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Bass diffusion: cumulative adoption share F(t) in [0, 1] after `years` (0 where < 0)."""
    t = np.maximum(years, 0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(-(p + q) * t)
        f = (1.0 - e) / (1.0 + (q / p) * e)
    return np.where(years >= 0, np.nan_to_num(f, nan=0.0), 0.0)


def training_need(st: Structure, ps: ParamSet) -> np.ndarray:
    """A100-equivalents busy training, (D, F, M), before retention."""
    r = {m: ps.stack(ids) for m, ids in st.release_ids.items()}  # each (D, R)
    flops = st.formulas["training_flops"].evaluate(
        {
            "active_params": r["active_params"],
            "total_params": r["total_params"],
            "training_tokens": r["training_tokens"],
        }
    )
    flops = flops * r["compute_multiplier"] * r["experiment_multiplier"]
    ref = ps[st.reference_id][:, None] * TERA
    busy = flops / (ref * r["mfu"] * r["training_days"] * SECONDS_PER_DAY)  # (D, R)
    start = st.release_day[None, :] - r["training_days"]  # (D, R)
    # A cluster must exist in every month its run touches (a stock, not a monthly average).
    overlap = (start[:, :, None] < st.month_end) & (st.release_day[None, :, None] > st.month_start)
    onehot = np.zeros((st.release_day.size, len(st.firms)))
    onehot[np.arange(st.release_day.size), st.release_firm] = 1.0
    return np.einsum("dr,drm,rf->dfm", busy, overlap.astype(float), onehot)


@dataclass(frozen=True)
class Serving:
    """What serving reads per firm and month, shared by the compute and roofline modes."""

    usage: dict[str, np.ndarray]  # usage metric -> (D, F, 1)
    variables: dict[str, np.ndarray]  # the tokens_per_day formula's variables, (D, F, M|1)
    release_ids: dict[str, list[str]]  # model_classes metric -> (R,) param ids
    live: np.ndarray  # (F, M) bool: a model is out
    index: np.ndarray  # (F, M) release served (0 where none is live)
    ps: ParamSet

    def served(self, metric: str) -> np.ndarray:
        """A model_classes metric of the release each firm serves each month, (D, F, M)."""
        return self.ps.stack(self.release_ids[metric])[:, self.index]

    def flops_per_token(self, formula: Formula) -> np.ndarray:
        """FLOPs per token served x compute_multiplier, (D, F, M); 0 before the first model."""
        params = {"active_params": self.served("active_params") * self.live,
                  "total_params": self.served("total_params") * self.live}
        return formula.evaluate(params) * self.served("compute_multiplier")


def serving(
    st: Structure,
    ps: ParamSet,
    usage_ids: dict[str, list[str]] | None = None,
    release_ids: dict[str, list[str]] | None = None,
) -> Serving:
    """Usage inputs, daily users on the Bass curve and the served release of every month."""
    u = {m: ps.stack(ids)[:, :, None] for m, ids in (usage_ids or st.usage_ids).items()}
    dau = u["dau_target"] * bass_adoption(u["adoption_p"], u["adoption_q"], st.years_live)
    variables = {"dau": dau, **{m: u[m] for m in ("questions_per_user_day", "words_per_answer",
                                                "tokens_per_word", "prompt_tokens")}}
    live = st.serve_release >= 0
    return Serving(u, variables, release_ids or st.release_ids, live,
                   np.where(live, st.serve_release, 0), ps)


def inference_need(st: Structure, ps: ParamSet) -> np.ndarray:
    """A100-equivalents serving users, (D, F, M), compute-bound (the seed article's method)."""
    sv = serving(st, ps)
    tokens = st.formulas["tokens_per_day"].evaluate(sv.variables)
    flops_day = sv.flops_per_token(st.formulas["inference_flops_per_token"]) * tokens
    ref = ps[st.reference_id][:, None, None] * TERA
    u = sv.usage
    return flops_day / (ref * u["serving_utilization"] * SECONDS_PER_DAY) * u["peak_to_average"]


def _roofline_need(st: Structure, ps: ParamSet) -> np.ndarray:
    # imported on use: chipcast.roofline imports this module
    from chipcast.roofline import roofline_need

    return roofline_need(st, ps)


# inference_mode -> function (Structure, ParamSet) -> (D, F, M) A100-e
INFERENCE_MODES: dict[str, Callable[[Structure, ParamSet], np.ndarray]] = {
    "compute": inference_need,
    "roofline": _roofline_need,
}


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


def simulate(st: Structure, ps: ParamSet) -> Simulation:
    """Evaluate the model for every draw in `ps` at once."""
    if st.inference_mode not in INFERENCE_MODES:
        raise _problem(
            f"unknown inference_mode '{st.inference_mode}'",
            f"use one of {sorted(INFERENCE_MODES)}",
            "data/scenarios/",
        )
    train = training_need(st, ps)
    inference = INFERENCE_MODES[st.inference_mode](st, ps)
    # Clusters kept for training after a run (retention) stay part of the need.
    earlier_max = np.concatenate(
        [np.zeros(train.shape[:2] + (1,)), np.maximum.accumulate(train, axis=2)[:, :, :-1]], axis=2
    )
    retention = ps[st.retention_id][:, None, None]
    training = np.maximum(train, retention * earlier_max)
    lifetime = np.maximum(1, np.rint(ps[st.lifetime_id] * 12)).astype(int)
    shipped, installed = stock_flow(training + inference, lifetime)

    shares = _stack_optional(ps, [i for row in st.share_ids for i in row])
    shares = np.nan_to_num(shares).reshape(ps.n_draws, len(st.share_ids), len(st.vendors))
    by_month = shares[:, st.month_year, :] * st.vendor_available[None]  # (D, M, V)
    total = by_month.sum(axis=2, keepdims=True)
    by_month = np.divide(by_month, total, out=np.zeros_like(by_month), where=total > 0)
    sku_share = np.einsum("dmv,vms->dms", by_month, st.mix)
    ref = ps[st.reference_id][:, None]
    return Simulation(
        training=training,
        inference=inference,
        shipped=shipped,
        installed=installed,
        lifetime_months=lifetime,
        sku_share=sku_share,
        a100e_per_unit=_stack_optional(ps, st.sku_tflops_ids) / ref,
        price_usd=_stack_optional(ps, st.sku_price_ids),
    )


def workload_share(sim: Simulation) -> np.ndarray:
    """(D, F, M, W) share of the fleet attributed to training and inference.

    The month's share of need; months with no need carry the last share forward.
    """
    need = sim.need
    train = np.divide(sim.training, need, out=np.full_like(need, np.nan), where=need > 0)
    m_idx = np.arange(need.shape[2])
    last = np.maximum.accumulate(np.where(np.isnan(train), 0, m_idx), axis=2)
    train = np.nan_to_num(np.take_along_axis(train, last, axis=2), nan=0.0)
    return np.stack([train, 1.0 - train], axis=-1)


def sku_metrics(sim: Simulation) -> dict[str, np.ndarray]:
    """Fleet metrics by SKU and workload: each (D, F, M, S, W) in its UNITS."""
    share_w = workload_share(sim)[:, :, :, None, :]  # (D, F, M, 1, W)
    shipped_a100e = sim.shipped[..., None] * sim.sku_share[:, None]  # (D, F, M, S)
    installed_a100e = rolling_installed(np.moveaxis(shipped_a100e, 2, -1), sim.lifetime_months)
    installed_a100e = np.moveaxis(installed_a100e, -1, 2)
    per_unit = sim.a100e_per_unit[:, None, None, :]
    units_shipped = shipped_a100e / per_unit
    return {
        "a100_equivalents": installed_a100e[..., None] * share_w,
        "a100_equivalents_shipped": shipped_a100e[..., None] * share_w,
        "units_installed": (installed_a100e / per_unit)[..., None] * share_w,
        "units_shipped": units_shipped[..., None] * share_w,
        "capex_usd": (units_shipped * sim.price_usd[:, None, None, :])[..., None] * share_w,
    }


def to_long(st: Structure, sim: Simulation, draw: int = 0) -> pl.DataFrame:
    """One draw as the long output table.

    Grain: month x scenario x firm x workload x sku x metric; columns month (Date, first day),
    scenario, firm, workload, sku, metric, value, unit. SKUs without a chip carry only the
    A100-e metrics. A NaN the model makes stays in the table, for the output checks to catch.
    """
    n_f, n_m, n_s, n_w = len(st.firms), st.months.size, len(st.skus), len(WORKLOADS)
    months = st.months.astype("datetime64[D]")
    frames = []
    required = np.stack([sim.training[draw], sim.inference[draw]], axis=-1)  # (F, M, W)
    f, m, w = np.meshgrid(np.arange(n_f), np.arange(n_m), np.arange(n_w), indexing="ij")
    frames.append(_frame(st, months, f, m, None, w, "a100_equivalents_required", required))
    chip = np.array([i is not None for i in st.sku_tflops_ids], dtype=bool)
    for metric, arr in sku_metrics(_one_draw(sim, draw)).items():
        # A vendor's pseudo-SKU (no chip in chips.csv) has compute but no units or price.
        keep = np.arange(n_s) if metric.startswith("a100_") else np.flatnonzero(chip)
        f, m, s, w = np.meshgrid(np.arange(n_f), np.arange(n_m), keep, np.arange(n_w),
                                 indexing="ij")
        frames.append(_frame(st, months, f, m, s, w, metric, arr[0][:, :, keep, :]))
    return pl.concat(frames, how="vertical")


def _one_draw(sim: Simulation, d: int) -> Simulation:
    pick = slice(d, d + 1)
    return Simulation(
        training=sim.training[pick],
        inference=sim.inference[pick],
        shipped=sim.shipped[pick],
        installed=sim.installed[pick],
        lifetime_months=sim.lifetime_months[pick],
        sku_share=sim.sku_share[pick],
        a100e_per_unit=sim.a100e_per_unit[pick],
        price_usd=sim.price_usd[pick],
    )


def _frame(
    st: Structure,
    months: np.ndarray,
    f: np.ndarray,
    m: np.ndarray,
    s: np.ndarray | None,
    w: np.ndarray,
    metric: str,
    values: np.ndarray,
) -> pl.DataFrame:
    n = values.size
    sku = (
        pl.Series("sku", np.array(st.skus, dtype=object)[s.ravel()], dtype=pl.Utf8)
        if s is not None
        else pl.Series("sku", ["all"] * n, dtype=pl.Utf8)
    )
    return pl.DataFrame(
        [
            pl.Series("month", months[m.ravel()]).cast(pl.Date),
            pl.Series("scenario", [st.scenario] * n, dtype=pl.Utf8),
            pl.Series("firm", np.array(st.firms, dtype=object)[f.ravel()], dtype=pl.Utf8),
            pl.Series("workload", np.array(WORKLOADS, dtype=object)[w.ravel()], dtype=pl.Utf8),
            sku,
            pl.Series("metric", [metric] * n, dtype=pl.Utf8),
            pl.Series("value", values.ravel(), dtype=pl.Float64),
            pl.Series("unit", [UNITS[metric]] * n, dtype=pl.Utf8),
        ]
    )


def forecast(inputs: Any) -> pl.DataFrame:
    """The deterministic forecast (every input at its `value`) as the long output table."""
    st = compile_structure(inputs)
    sim = simulate(st, point_params(parameters(inputs)))
    return to_long(st, sim)
