"""The one registry of chipcast's vocabulary: input tables and their metrics
(`contracts.inputs`), formulas (`contracts.formulas`) and output metrics, quantile levels and
headlines (`contracts.outputs`). Declarations only: this package imports nothing of chipcast."""

from chipcast.contracts.formulas import FORMULA_VARIABLES, FORMULAS, FormulaSpec
from chipcast.contracts.inputs import (
    ACTUAL_QUANTITIES,
    DEFAULT_KEY,
    META_COLUMNS,
    NUMERIC_TABLES,
    SEGMENT_DRIVER_METRICS,
    TABLES,
    Metric,
    TableSpec,
    metric,
    required_metrics,
)
from chipcast.contracts.outputs import (
    A100_FAMILIES,
    ALL,
    DISTS,
    EXPORT_CONTROLS,
    FLEET_METRICS,
    HEADLINES,
    INFERENCE_MODES,
    OUTPUT_METRICS,
    QUANTILE_NAMES,
    QUANTILES,
    SAMPLERS,
    SEED_CLAIM,
    SEED_SCENARIO,
    SEGMENT_DRIVERS,
    STATS,
    WORKLOADS,
    Headline,
    OutputMetric,
    label_of,
    unit_of,
)

__all__ = [
    "ACTUAL_QUANTITIES", "A100_FAMILIES", "ALL", "DEFAULT_KEY", "DISTS", "EXPORT_CONTROLS",
    "FLEET_METRICS",
    "FORMULAS", "SEGMENT_DRIVERS", "SEGMENT_DRIVER_METRICS",
    "FORMULA_VARIABLES", "FormulaSpec", "HEADLINES", "Headline", "INFERENCE_MODES",
    "META_COLUMNS", "Metric", "NUMERIC_TABLES", "OUTPUT_METRICS", "OutputMetric",
    "QUANTILES", "QUANTILE_NAMES", "SAMPLERS", "SEED_CLAIM", "SEED_SCENARIO", "STATS", "TABLES",
    "TableSpec", "WORKLOADS", "label_of", "metric", "required_metrics", "unit_of",
]
