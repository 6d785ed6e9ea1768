"""The model's outputs of one draw as the long forecast table (grain month x scenario x firm x
workload x sku x metric, metrics and units from chipcast.contracts.OUTPUT_METRICS), and the
deterministic forecast (every input at its point value)."""

from __future__ import annotations

import numpy as np
import polars as pl

from chipcast.contracts import OUTPUT_METRICS, WORKLOADS, unit_of
from chipcast.inputs import Inputs
from chipcast.model.demand import Simulation, simulate
from chipcast.model.fleet import rolling_installed
from chipcast.model.params import parameters, point_params
from chipcast.model.series import headline_table
from chipcast.model.structure import Structure, compile_structure


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
    for metric, arr in sku_metrics(sim.take(draw)).items():
        # A vendor's pseudo-SKU (no chip in chips.csv) has compute but no units or price.
        keep = np.arange(n_s) if not OUTPUT_METRICS[metric].chips_only else np.flatnonzero(chip)
        f, m, s, w = np.meshgrid(np.arange(n_f), np.arange(n_m), keep, np.arange(n_w),
                                 indexing="ij")
        frames.append(_frame(st, months, f, m, s, w, metric, arr[0][:, :, keep, :]))
    return pl.concat(frames, how="vertical")


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
            pl.Series("unit", [unit_of(metric)] * n, dtype=pl.Utf8),
        ]
    )


def deterministic(inputs: Inputs) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The deterministic forecast (every input at its `value`): the long output table and its
    headline rows (chipcast.model.series.headline_table), from one model evaluation."""
    st = compile_structure(inputs)
    sim = simulate(st, point_params(parameters(inputs)))
    return to_long(st, sim), headline_table(st, sim)


def forecast(inputs: Inputs) -> pl.DataFrame:
    """The deterministic forecast (every input at its `value`) as the long output table."""
    return deterministic(inputs)[0]
