"""The report's data: a run's rows from the mart views and its own tables (queries in
sql/report/, one statement a file, every value bound as a parameter: the run id, the scenario,
the A100-family list chipcast.contracts.A100_FAMILIES, the default key and the total label)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from chipcast.contracts import A100_FAMILIES, ALL, DEFAULT_KEY, SEED_SCENARIO
from chipcast.store.sql import sql

PRIMARY_SCENARIO = "base"  # drawn in full; the others in comparison charts and tables

Rows = list[dict[str, Any]]


# Views the report reads whose rows the publish flow has just exported from the same file
# (exports/<run>/<view>.parquet). A query names them as placeholders ({mart_bands}); rows()
# puts in the view, or a scan of the exported file registered with DuckDB (which reads only
# the columns and row groups the query needs): the same rows without computing the view again
# (mart_bands' quantile pivot over every forecast_quantiles row of the shown runs was most of
# the report's query time).
EXPORTED_VIEWS = ("mart_bands", "mart_demand_total")
Exported = Mapping[str, duckdb.DuckDBPyRelation]


def exported_views(con: duckdb.DuckDBPyConnection, folder: Path | None) -> dict[
        str, duckdb.DuckDBPyRelation]:
    """Scans of the EXPORTED_VIEWS' files found in an export folder (none for None)."""
    if folder is None:
        return {}
    files = {view: Path(folder) / f"{view}.parquet" for view in EXPORTED_VIEWS}
    return {view: con.read_parquet(str(path)) for view, path in files.items() if path.exists()}


def rows(con: duckdb.DuckDBPyConnection, name: str, exported: Exported | None = None,
         **params: Any) -> Rows:
    """The rows of sql/report/<name>.sql with `params` bound, as dicts keyed by column;
    `exported`: scans of EXPORTED_VIEWS' files (exported_views) to read in place of the
    views."""
    text = sql(f"report/{name}")
    registered = []
    try:
        for view in EXPORTED_VIEWS:
            scan = (exported or {}).get(view)
            source = view
            if scan is not None and f"{{{view}}}" in text:
                source = f"_exported_{view}"
                con.register(source, scan)
                registered.append(source)
            text = text.replace(f"{{{view}}}", source)
        rel = con.execute(text, params)
        cols = [d[0] for d in rel.description]
        return [dict(zip(cols, row, strict=True)) for row in rel.fetchall()]
    finally:
        for source in registered:
            con.unregister(source)


def scenario_order(scenarios: Iterable[str]) -> list[str]:
    """Scenario names, each once: base first, the article's seed last, the rest by name."""
    return sorted(set(scenarios), key=lambda s: (s != PRIMARY_SCENARIO, s == SEED_SCENARIO, s))


@dataclass(frozen=True)
class SeedInputs:
    """The staged inputs of the seed scenario that the article's arithmetic reads (point
    values, each in its metric's unit) and the scenario's required compute per month."""

    model_class: str | None  # the class most releases use (the article's GPT-3 class)
    firms: int  # firms releasing a model of that class
    model: dict[str, float]  # model_classes metrics of that class (own row, else default)
    usage: dict[str, float]  # usage metrics of the default firm row
    fleet: dict[str, float]  # fleet metrics, e.g. reference_tflops
    a100_tflops: Rows  # sku, tflops, allowed: A100-family SKUs, those the world ships first
    formulas: dict[str, str]  # compute formula name -> expression
    need: Rows  # month, total (A100-eq summed over firms), firms (with need > 0)


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows of one run, as rows (grain and units in each query's
    header under sql/report/); scenarios ordered base first, seed last."""

    run_id: str
    run: dict[str, Any]
    scenarios: list[str]
    comparison: Rows
    family_monthly: Rows
    workload: Rows
    sku: Rows
    regimes: Rows
    bands: Rows  # the published calibration's bands
    sensitivity: Rows
    suites: Rows
    failures: Rows
    files: Rows
    seed: SeedInputs | None = None
    calibration_bands: Rows = field(default_factory=list)  # every calibration's bands
    backtest: Rows = field(default_factory=list)

    @property
    def primary(self) -> str | None:
        """The scenario drawn in full: base when present, else the first."""
        return self.scenarios[0] if self.scenarios else None


def _point_values(found: Rows) -> dict[str, float]:
    return {r["metric"]: float(r["value"]) for r in found if r["value"] is not None}


def seed_inputs(con: duckdb.DuckDBPyConnection, run_id: str, scenario: str) -> SeedInputs:
    """The staged inputs and required compute of `scenario` that seed.reconcile reads."""
    keys = {"run_id": run_id, "scenario": scenario}
    cls = rows(con, "seed_class", **keys, default=DEFAULT_KEY)
    return SeedInputs(
        model_class=cls[0]["model_class"] if cls else None,
        firms=int(cls[0]["firms"]) if cls else 0,
        model=_point_values(cls),
        usage=_point_values(rows(con, "seed_usage", **keys, default=DEFAULT_KEY)),
        fleet=_point_values(rows(con, "seed_fleet", **keys)),
        a100_tflops=rows(con, "seed_a100_tflops", **keys, families=list(A100_FAMILIES)),
        formulas={r["name"]: r["expression"] for r in rows(con, "seed_formulas", **keys)},
        need=rows(con, "seed_need", **keys, all=ALL),
    )


def load(con: duckdb.DuckDBPyConnection, run_id: str, exports: Path | None = None
         ) -> ReportData:
    """All rows the report shows of `run_id` (ValueError for a run not in the warehouse);
    `exports`: the Parquet folder just exported from `con`'s file (see EXPORTED_VIEWS)."""
    exported = exported_views(con, exports)
    run = rows(con, "run", run_id=run_id)
    if not run:
        raise ValueError(f"run {run_id!r} is not in the warehouse (see mart_runs)")
    comparison = rows(con, "scenario_comparison", run_id=run_id)
    scenarios = scenario_order(r["scenario"] for r in comparison)
    comparison.sort(key=lambda r: scenarios.index(r["scenario"]))
    families = list(A100_FAMILIES)
    bands = rows(con, "bands", exported, run_id=run_id, families=families, all=ALL)
    return ReportData(
        run_id=run_id,
        run=run[0],
        scenarios=scenarios,
        comparison=comparison,
        family_monthly=rows(con, "a100_a800_monthly", exported, run_id=run_id, families=families),
        workload=rows(con, "required_by_workload", exported, run_id=run_id, all=ALL),
        sku=rows(con, "units_by_sku", exported, run_id=run_id, all=ALL),
        regimes=rows(con, "regimes", run_id=run_id),
        bands=[r for r in bands if r["published"]],
        sensitivity=rows(con, "sensitivity", run_id=run_id),
        suites=rows(con, "validation_suites", run_id=run_id),
        failures=rows(con, "validation_failures", run_id=run_id),
        files=rows(con, "input_files", run_id=run_id),
        seed=seed_inputs(con, run_id, SEED_SCENARIO) if SEED_SCENARIO in scenarios else None,
        calibration_bands=bands,
        backtest=rows(con, "backtest", run_id=run_id),
    )
