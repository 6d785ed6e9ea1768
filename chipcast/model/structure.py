"""Everything about a scenario that does not change between Monte Carlo draws: the month grid,
firms, releases, vendors and SKUs as index arrays, and the param ids each quantity reads.
`compile_structure` builds it once; `chipcast.model.demand.simulate` then evaluates any number
of draws against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from chipcast.contracts import DEFAULT_KEY, required_metrics
from chipcast.errors import InputError, Problem
from chipcast.inputs import Inputs
from chipcast.model.formulas import Formula, formula_set
from chipcast.model.params import ParamSet, param_id, parameters

DAYS_PER_YEAR = 365.25
MID_MONTH_DAY = 14  # the 15th: a regime in force then governs the month


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
    release_ids: dict[str, list[str]]  # model_classes metric -> (R,) param ids
    serve_release: np.ndarray  # (F, M) release served in the month, -1 before the first
    years_live: np.ndarray  # (F, M) years from the firm's first release to mid-month (<0: none)
    usage_ids: dict[str, list[str]]  # usage metric -> (F,) param ids
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


def days_since_epoch(d: date | np.datetime64) -> float:
    return float(np.datetime64(d, "D").astype("int64"))


def input_problem(message: str, hint: str, file: str = "data/") -> InputError:
    return InputError(Problem(file=file, message=message, hint=hint))


def compile_structure(inputs: Inputs) -> Structure:
    """Index arrays and param ids for one scenario's inputs (every metric its inference mode
    needs, resolved per release and firm: own row first, then the `*` default)."""
    params = parameters(inputs)
    settings = inputs.settings
    months = np.arange(np.datetime64(settings.start, "M"), np.datetime64(settings.end, "M") + 1)
    if months.size == 0:
        raise input_problem("the month grid is empty", "set settings.start <= settings.end")
    month_start = months.astype("datetime64[D]").astype("int64").astype(float)
    month_end = (months + 1).astype("datetime64[D]").astype("int64").astype(float)

    firms = tuple(inputs.firms["firm"].to_list())
    firm_index = {f: i for i, f in enumerate(firms)}

    def resolve(table: str, key: str, metric: str, fallbacks: tuple[str, ...] = ()) -> str:
        for k, m in [(key, metric), *((key, f) for f in fallbacks), (DEFAULT_KEY, metric)]:
            pid = param_id(table, [k], m)
            if pid in params:
                return pid
        raise input_problem(
            f"no value for {metric} of {key} (and no '{DEFAULT_KEY}' default row)",
            f"add a row ({key} or {DEFAULT_KEY}, {metric}, value, unit, source)",
            f"data/{table}.csv",
        )

    rel = inputs.model_releases.sort(["firm", "release_date"])
    unknown = sorted(set(rel["firm"]) - set(firms))
    if unknown:
        raise input_problem(
            f"model_releases names unknown firms {unknown}",
            "add them to firms.csv",
            "data/model_releases.csv",
        )
    release_firm = np.array([firm_index[f] for f in rel["firm"]], dtype=int)
    release_day = np.array([days_since_epoch(d) for d in rel["release_date"]], dtype=float)
    mode = settings.inference_mode
    release_ids = {
        m: [
            resolve("model_classes", c, m, ("total_params",) if m == "active_params" else ())
            for c in rel["model_class"]
        ]
        for m in required_metrics("model_classes", mode)
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
    usage_ids = {m: [resolve("usage", f, m) for f in firms]
                 for m in required_metrics("usage", mode)}

    vendors, share_ids, month_year = vendor_shares(inputs, params, months)
    skus, vendor_available, mix, tflops_ids, price_ids = sku_mix(
        inputs, params, vendors, month_start, month_end
    )
    stranded = months[~vendor_available.any(axis=1)]
    if stranded.size:  # shipments of such a month would reach no SKU and vanish
        raise input_problem(
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
    )


def vendor_shares(
    inputs: Any, params: dict[str, Any], months: np.ndarray
) -> tuple[tuple[str, ...], list[list[str | None]], np.ndarray]:
    vs = inputs.vendor_share
    vendors = tuple(dict.fromkeys(vs["vendor"].to_list()))
    years = sorted(set(int(y) for y in vs["year"].to_list()))
    if not years:
        raise input_problem(
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


def sku_mix(
    inputs: Any,
    params: dict[str, Any],
    vendors: tuple[str, ...],
    month_start: np.ndarray,
    month_end: np.ndarray,
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray, list[str | None], list[str | None]]:
    chips = inputs.chips
    chip_vendor = dict(zip(chips["sku"].to_list(), chips["vendor"].to_list(), strict=True))
    launch = {s: days_since_epoch(d)
              for s, d in zip(chips["sku"], chips["launch_date"], strict=True)}
    regimes = inputs.export_regimes
    unknown = sorted(set(regimes["sku"]) - set(chip_vendor))
    if unknown:
        raise input_problem(
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
        start = days_since_epoch(row["start_date"])
        end = days_since_epoch(row["end_date"]) if row["end_date"] is not None else np.inf
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
            raise input_problem(
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


def stack_optional(ps: ParamSet, ids: list[str | None]) -> np.ndarray:
    """(D, len(ids)) with NaN where an id is None."""
    cols = [ps[i] if i is not None else np.full(ps.n_draws, np.nan) for i in ids]
    return np.stack(cols, axis=1) if cols else np.zeros((ps.n_draws, 0))


