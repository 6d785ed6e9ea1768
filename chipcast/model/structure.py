"""Everything about a scenario that does not change between Monte Carlo draws: the month grid,
the buyers (the modelled firms, then the market segments), their model releases, the supply side
(vendors, SKUs, which are legal and launched each month) and the param ids each quantity reads.
`compile_structure` builds it once; `chipcast.model.demand.simulate` then evaluates any number
of draws against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from chipcast.contracts import DEFAULT_KEY, SEGMENT_DRIVER_METRICS, required_metrics
from chipcast.errors import InputError, Problem
from chipcast.inputs import Inputs
from chipcast.model.formulas import Formula, formula_set
from chipcast.model.params import Parameter, ParamSet, param_id, parameters

DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12
MID_MONTH_DAY = 14  # the 15th: a regime in force then governs the month
EPOCH_YEAR = 1970


@dataclass(frozen=True)
class Releases:
    """The firms' listed model releases and the path of their later generations."""

    firm: np.ndarray  # (R,) firm index of each listed release
    day: np.ndarray  # (R,) release date, days since 1970-01-01
    ids: dict[str, list[str]]  # model_classes metric -> (R,) param ids
    serve: np.ndarray  # (F, M) listed release served in the month, -1 before the first
    years_live: np.ndarray  # (F, M) years from the firm's first release to mid-month (<0: none)
    last: np.ndarray  # (F,) index of each firm's last listed release, -1 if it has none
    path_ids: dict[str, list[str | None]]  # release_path metric -> (F,) ids, None: no path


@dataclass(frozen=True)
class Segments:
    """Buyers beside the firms: each segment's driver and the ids of its numbers."""

    names: tuple[str, ...]  # (G,)
    drivers: tuple[str, ...]  # (G,) llm_ratio | logistic | installed_growth
    ids: dict[str, list[str | None]]  # segment_drivers metric -> (G,) ids, None if unused


@dataclass(frozen=True)
class Supply:
    """Vendors and SKUs: which SKU may ship in which month, and the share and mix ids."""

    vendors: tuple[str, ...]  # (V,)
    skus: tuple[str, ...]  # (S,) every chip of chips.csv
    sku_vendor: np.ndarray  # (S,) vendor index of each SKU
    sku_family: tuple[str, ...]  # (S,) chips.csv family
    shippable: np.ndarray  # (M, S) bool: legal in China at mid-month and launched by month end
    # (Y, V) vendor_share ids per year (the table's latest listed year up to it), None = 0
    share_ids: list[list[str | None]]
    mix_ids: list[list[str | None]]  # (Y, S) sku_mix ids per year, likewise
    month_year: np.ndarray  # (M,) index into the years (months outside use the nearest year)
    tflops_ids: list[str]  # (S,) dense FP16 TFLOPS
    price_ids: list[str]  # (S,) price per card


@dataclass(frozen=True)
class InstalledBase:
    """Cards shipped before the grid, owned by the `installed_growth` segment."""

    owner: int  # buyer index of the owning segment, -1 when no segment owns a base
    months: int  # P: pre-grid months held (the cohorts' span)
    cohorts: list[tuple[int, int, str]]  # (pre-grid year offset 1..n, sku index, param id)


@dataclass(frozen=True)
class Structure:
    """Everything about a scenario that does not change between draws (grain noted per field)."""

    scenario: str
    months: np.ndarray  # (M,) datetime64[M], first months of the grid
    month_start: np.ndarray  # (M,) days since 1970-01-01
    month_end: np.ndarray  # (M,) days (exclusive)
    firms: tuple[str, ...]  # (F,) the firms modelled bottom-up
    segments: Segments  # (G,) buyers beside the firms
    releases: Releases
    usage_ids: dict[str, list[str]]  # usage metric -> (F,) param ids
    supply: Supply
    installed_base: InstalledBase
    lifetime_id: str
    retention_id: str
    reference_id: str
    lead_id: str
    formulas: dict[str, Formula]
    inference_mode: str

    @property
    def buyers(self) -> tuple[str, ...]:
        """(B,) = firms then segments: the `firm` column of the outputs."""
        return self.firms + self.segments.names

    @property
    def skus(self) -> tuple[str, ...]:
        return self.supply.skus

    @property
    def month_decimal_year(self) -> np.ndarray:
        """(M,) mid-month as a decimal year (e.g. 2025.04 for mid-January 2025)."""
        return (self.month_start + MID_MONTH_DAY) / DAYS_PER_YEAR + EPOCH_YEAR


def days_since_epoch(d: date | np.datetime64) -> float:
    return float(np.datetime64(d, "D").astype("int64"))


def input_problem(message: str, hint: str, file: str = "data/") -> InputError:
    return InputError(Problem(file=file, message=message, hint=hint))


class _Resolver:
    """Param ids by (table, key, metric): the key's own row, then the `*` default."""

    def __init__(self, params: dict[str, Parameter]):
        self.params = params

    def find(self, table: str, key: str, metric: str, fallbacks: tuple[str, ...] = ()
             ) -> str | None:
        for k, m in [(key, metric), *((key, f) for f in fallbacks), (DEFAULT_KEY, metric)]:
            pid = param_id(table, [k], m)
            if pid in self.params:
                return pid
        return None

    def need(self, table: str, key: str, metric: str, fallbacks: tuple[str, ...] = ()) -> str:
        pid = self.find(table, key, metric, fallbacks)
        if pid is None:
            raise input_problem(
                f"no value for {metric} of {key} (and no '{DEFAULT_KEY}' default row)",
                f"add a row ({key} or {DEFAULT_KEY}, {metric}, value, unit, source)",
                f"data/{table}.csv")
        return pid


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
    res = _Resolver(params)
    firms = tuple(inputs.firms["firm"].to_list())
    mode = settings.inference_mode
    segments = _segments(inputs, res)
    overlap = sorted(set(firms) & set(segments.names))
    if overlap:
        raise input_problem(f"{overlap} are both firms and segments",
                            "give each buyer one id", "data/segments.csv")
    return Structure(
        scenario=settings.name,
        months=months,
        month_start=month_start,
        month_end=month_end,
        firms=firms,
        segments=segments,
        releases=_releases(inputs, res, firms, month_start, month_end, mode),
        usage_ids={m: [res.need("usage", f, m) for f in firms]
                   for m in required_metrics("usage", mode)},
        supply=_supply(inputs, res, months, month_start, month_end),
        installed_base=_installed_base(inputs, params, firms, segments, months),
        lifetime_id=res.need("fleet", "", "chip_lifetime_years"),
        retention_id=res.need("fleet", "", "training_fleet_retention"),
        reference_id=res.need("fleet", "", "reference_tflops"),
        lead_id=res.need("fleet", "", "procurement_lead_months"),
        formulas=formula_set(inputs.compute_formulas.select("name", "expression").iter_rows()),
        inference_mode=mode,
    )


def _releases(inputs: Inputs, res: _Resolver, firms: tuple[str, ...], month_start: np.ndarray,
              month_end: np.ndarray, mode: str) -> Releases:
    firm_index = {f: i for i, f in enumerate(firms)}
    rel = inputs.model_releases.sort(["firm", "release_date"])
    unknown = sorted(set(rel["firm"]) - set(firms))
    if unknown:
        raise input_problem(f"model_releases names unknown firms {unknown}",
                            "add them to firms.csv", "data/model_releases.csv")
    firm = np.array([firm_index[f] for f in rel["firm"]], dtype=int)
    day = np.array([days_since_epoch(d) for d in rel["release_date"]], dtype=float)
    ids = {m: [res.need("model_classes", c, m,
                        ("total_params",) if m == "active_params" else ())
               for c in rel["model_class"]]
           for m in required_metrics("model_classes", mode)}
    n_f, n_m = len(firms), month_start.size
    serve = np.full((n_f, n_m), -1, dtype=int)
    years_live = np.full((n_f, n_m), -1.0)
    last = np.full(n_f, -1, dtype=int)
    for r in np.argsort(day, kind="stable"):  # later releases overwrite earlier ones
        serve[firm[r], month_end > day[r]] = r
        last[firm[r]] = r
    mid = month_start + MID_MONTH_DAY
    for f in range(n_f):
        days = day[firm == f]
        if days.size:
            years_live[f] = (mid - days.min()) / DAYS_PER_YEAR
    # A firm generates later generations only from a listed release and with a path (its own
    # rows or the `*` default); a scenario without release_path rows has no generations.
    path_ids: dict[str, list[str | None]] = {}
    for m in required_metrics("release_path", mode):
        path_ids[m] = [res.find("release_path", f, m) if last[i] >= 0 else None
                       for i, f in enumerate(firms)]
    has_all = [all(path_ids[m][i] is not None for m in path_ids) for i in range(n_f)]
    for m in path_ids:
        path_ids[m] = [pid if has_all[i] else None for i, pid in enumerate(path_ids[m])]
    return Releases(firm, day, ids, serve, years_live, last, path_ids)


def _segments(inputs: Inputs, res: _Resolver) -> Segments:
    frame = inputs.segments
    names = tuple(frame["segment"].to_list())
    drivers = tuple(frame["driver"].to_list())
    metrics = sorted({m for ms in SEGMENT_DRIVER_METRICS.values() for m in ms})
    ids: dict[str, list[str | None]] = {m: [] for m in metrics}
    for name, driver in zip(names, drivers, strict=True):
        wanted = SEGMENT_DRIVER_METRICS.get(driver)
        if wanted is None:
            raise input_problem(f"segment {name} has unknown driver {driver!r}",
                                "use " + ", ".join(SEGMENT_DRIVER_METRICS),
                                "data/segments.csv")
        for m in metrics:
            ids[m].append(res.need("segment_drivers", name, m) if m in wanted else None)
    if drivers.count("installed_growth") > 1:
        raise input_problem("more than one segment owns the installed base",
                            "give one segment the driver installed_growth", "data/segments.csv")
    return Segments(names, drivers, ids)


def listed_year(table: pl.DataFrame, year: int) -> int | None:
    """The year of a by-year table (vendor_share, sku_mix) that governs `year`: the latest
    listed year up to it (a table's last year carries forward, its first one back), so the two
    tables may list different years. None when the table lists no year."""
    own = sorted({int(y) for y in table["year"].drop_nulls().to_list()})
    if not own:
        return None
    return max((y for y in own if y <= year), default=own[0])


def _supply(inputs: Inputs, res: _Resolver, months: np.ndarray, month_start: np.ndarray,
            month_end: np.ndarray) -> Supply:
    chips = inputs.chips
    skus = tuple(chips["sku"].to_list())
    sku_index = {s: i for i, s in enumerate(skus)}
    vendors = tuple(dict.fromkeys([*inputs.vendor_share["vendor"].to_list(),
                                   *chips["vendor"].to_list()]))
    vendor_index = {v: i for i, v in enumerate(vendors)}
    sku_vendor = np.array([vendor_index[v] for v in chips["vendor"]], dtype=int)
    launch = np.array([days_since_epoch(d) for d in chips["launch_date"]])
    controlled = np.array([c == "us" for c in chips["export_control"]], dtype=bool)
    regimes = inputs.export_regimes
    unknown = sorted(set(regimes["sku"]) - set(skus))
    if unknown:
        raise input_problem(f"export_regimes names SKUs not in chips.csv: {unknown}",
                            "add the SKU to chips.csv or fix its name", "data/export_regimes.csv")
    mid = month_start + MID_MONTH_DAY
    legal = np.repeat(~controlled[None, :], months.size, axis=0)  # (M, S)
    for row in regimes.iter_rows(named=True):
        start = days_since_epoch(row["start_date"])
        end = days_since_epoch(row["end_date"]) if row["end_date"] is not None else np.inf
        legal[(mid >= start) & (mid < end), sku_index[row["sku"]]] = True
    shippable = legal & (month_end[:, None] > launch[None, :])

    years = sorted({int(y) for y in inputs.vendor_share["year"].to_list()}
                   | {int(y) for y in inputs.sku_mix["year"].to_list()})
    if not years:
        raise input_problem("vendor_share has no rows", "add shares by year and vendor",
                            "data/vendor_share.csv")

    def id_or_none(table: str, key: list[object], metric: str) -> str | None:
        pid = param_id(table, key, metric)
        return pid if pid in res.params else None

    share_ids = [[id_or_none("vendor_share", [listed_year(inputs.vendor_share, y), v], "share")
                  for v in vendors] for y in years]
    mix_ids = [[id_or_none("sku_mix", [listed_year(inputs.sku_mix, y), s], "share")
                for s in skus] for y in years]
    month_years = months.astype("datetime64[Y]").astype(int) + EPOCH_YEAR
    month_year = np.searchsorted(years, np.clip(month_years, years[0], years[-1]))
    return Supply(
        vendors=vendors, skus=skus, sku_vendor=sku_vendor,
        sku_family=tuple(chips["family"].to_list()), shippable=shippable,
        share_ids=share_ids, mix_ids=mix_ids, month_year=month_year,
        tflops_ids=[res.need("chip_specs", s, "dense_fp16_tflops") for s in skus],
        price_ids=[res.need("chip_specs", s, "price_usd") for s in skus],
    )


def _installed_base(inputs: Inputs, params: dict[str, Parameter], firms: tuple[str, ...],
                    segments: Segments, months: np.ndarray) -> InstalledBase:
    base = inputs.installed_base
    first_year = int(months[0].astype("datetime64[Y]").astype(int)) + EPOCH_YEAR
    owner = next((len(firms) + i for i, d in enumerate(segments.drivers)
                  if d == "installed_growth"), -1)
    if base.height and owner < 0:
        raise input_problem("installed_base has rows but no segment owns them",
                            "add a segment with driver installed_growth to segments.csv",
                            "data/segments.csv")
    if owner < 0:
        return InstalledBase(-1, 0, [])
    sku_index = {s: i for i, s in enumerate(inputs.chips["sku"].to_list())}
    cohorts = []
    for row in base.iter_rows(named=True):
        year = int(row["year"])
        if year >= first_year:
            raise input_problem(f"installed_base year {year} is inside the grid",
                                "list only years before settings.start; the model ships "
                                "the grid's cards itself", "data/installed_base.csv")
        pid = param_id("installed_base", [year, row["sku"]], row["metric"])
        cohorts.append((first_year - year, sku_index[row["sku"]], pid))
    span = 12 * max((c[0] for c in cohorts), default=0)
    return InstalledBase(owner, span, cohorts)


def stack_optional(ps: ParamSet, ids: list[str | None]) -> np.ndarray:
    """(D, len(ids)) with NaN where an id is None."""
    cols = [ps[i] if i is not None else np.full(ps.n_draws, np.nan) for i in ids]
    return np.stack(cols, axis=1) if cols else np.zeros((ps.n_draws, 0))
