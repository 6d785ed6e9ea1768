"""The input tables of `data/`: columns, keys, types and, for numeric tables, every metric with
its unit and plausible range. The reader (chipcast.inputs), the parameters (chipcast.model),
the GX input suites (chipcast.checks), the staging DDL (chipcast.store) and the data dictionary
all read these declarations; nothing else lists a table's columns or a metric's unit.

Two kinds of table:
- identity tables (wide): one row per entity, no uncertain numbers, always a `source` column;
- numeric tables (long): the table's keys, then `metric, value, unit, dist, low, mode, high,
  source[, note]`, one number per row, so every number has its unit, source and distribution.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# Column types (mapped to polars by chipcast.inputs, to SQL by chipcast.store).
TEXT, NUMBER, INTEGER, DATE, MONTH, TEXT_LIST = (
    "text", "number", "integer", "date", "month", "text_list")

NUMERIC_VALUE_COLUMNS = ("metric", "value", "unit", "dist", "low", "mode", "high", "source")
DIST_NUMBERS = ("value", "low", "mode", "high")
META_COLUMNS = ("_file", "_row")  # where a row was read: file relative to data/, 1-based row
DEFAULT_KEY = "*"  # a key of `*` supplies a metric for every entity that lacks its own row

# Scale-mistake labels for range hints ("divide by 1e12: FLOP/s rather than TFLOPS?").
_TFLOPS = {1e12: "FLOP/s rather than TFLOPS?", 1e3: "GFLOPS rather than TFLOPS?",
           -1e3: "PFLOPS rather than TFLOPS?"}
_FRACTION = {100.0: "a percentage?"}
_COUNT = {-1e3: "thousands?", -1e6: "millions?", -1e9: "billions?", -1e12: "trillions?"}


@dataclass(frozen=True)
class Metric:
    """One metric of a numeric table: its unit, a plausibility range (not a forecast) and what
    it means. `modes` names the inference modes that need it (empty = every mode); `required`
    says whether every entity of the table must have it (own row or the `*` default)."""

    name: str
    unit: str
    low: float
    high: float
    description: str
    labels: Mapping[float, str] = field(default_factory=dict)
    modes: frozenset[str] = frozenset()
    required: bool = True

    def needed_in(self, inference_mode: str) -> bool:
        """Whether a scenario in this inference mode must supply the metric."""
        return self.required and (not self.modes or inference_mode in self.modes)


@dataclass(frozen=True)
class TableSpec:
    """One input table: file `<name>.csv` in data/, its columns (required ones in file order,
    then optional ones), key columns and column types. Numeric tables list their metrics."""

    name: str
    kind: str  # "identity" or "numeric"
    grain: str  # one row per ...
    columns: tuple[str, ...]
    keys: tuple[str, ...]
    types: Mapping[str, str] = field(default_factory=dict)  # column -> type; default TEXT
    optional: tuple[str, ...] = ()
    metrics: Mapping[str, Metric] = field(default_factory=dict)
    description: str = ""

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    @property
    def all_columns(self) -> tuple[str, ...]:
        return self.columns + self.optional

    @property
    def numeric(self) -> bool:
        return self.kind == "numeric"

    @property
    def identifiers(self) -> tuple[str, ...]:
        """Columns holding ids (keys, names of other tables' entities, metric names): plain
        ASCII (chipcast.inputs.cells.parse_identifier), so a look-alike letter cannot make a
        second entity."""
        return IDENTIFIER_COLUMNS.get(self.name, ())

    def type_of(self, column: str) -> str:
        """The column's type (`_row` is an integer, every undeclared column text)."""
        if column == "_row":
            return INTEGER
        return self.types.get(column, TEXT)


def _metrics(*items: Metric) -> dict[str, Metric]:
    return {m.name: m for m in items}


def _numeric(name: str, keys: tuple[str, ...], grain: str, metrics: dict[str, Metric],
             description: str, key_types: Mapping[str, str] | None = None) -> TableSpec:
    types = {c: NUMBER for c in DIST_NUMBERS} | dict(key_types or {})
    return TableSpec(name, "numeric", grain, keys + NUMERIC_VALUE_COLUMNS, keys, types,
                     optional=("note",), metrics=metrics, description=description)


ROOFLINE = frozenset({"roofline"})

CHIP_SPECS = _metrics(
    Metric("dense_fp16_tflops", "TFLOPS", 1, 10_000,
           "dense FP16/BF16 tensor peak; A100-equivalents per card = this / reference_tflops",
           _TFLOPS),
    Metric("memory_gb", "GB", 1, 1_000, "on-package memory"),
    Metric("memory_bandwidth_tbps", "TB/s", 0.05, 50, "memory bandwidth (roofline inference)",
           {1e3: "GB/s rather than TB/s?"}),
    Metric("interconnect_gbps", "GB/s", 1, 10_000, "chip-to-chip bandwidth"),
    Metric("price_usd", "USD", 100, 1e6, "indicative price per card (capex)",
           {-1e3: "thousands of USD?"}),
)
VENDOR_SHARE = _metrics(
    Metric("share", "fraction", 0, 1, "the vendor's share of China's accelerator cards shipped "
           "in the year", _FRACTION),
)
MODEL_CLASSES = _metrics(
    Metric("total_params", "params", 1e8, 1e13, "all parameters (weights memory)", _COUNT),
    Metric("active_params", "params", 1e8, 1e13, "parameters used per token (MoE: fewer)",
           _COUNT),
    Metric("training_tokens", "tokens", 1e9, 1e15, "pre-training tokens", _COUNT),
    Metric("training_days", "days", 1, 730, "length of the final training run"),
    Metric("mfu", "fraction", 0.05, 0.8, "model FLOPs utilisation during training", _FRACTION),
    Metric("compute_multiplier", "x", 0.01, 1e4, "scales training and inference FLOPs"),
    Metric("experiment_multiplier", "x", 1, 100,
           "extra training compute for experiments and ablations besides the final run"),
    Metric("bytes_per_param", "bytes", 0.25, 8, "weight precision (2 = FP16/BF16)"),
    Metric("kv_bytes_per_token", "bytes/token", 1e3, 1e8, "KV cache per token of context",
           modes=ROOFLINE),
)
USAGE = _metrics(
    Metric("dau_target", "users", 1e3, 2e9, "long-run daily active users (Bass ceiling)",
           _COUNT),
    # A very large p means adoption at once (the seed article's snapshot world).
    Metric("adoption_p", "1/year", 0, 1e4, "Bass innovation coefficient"),
    Metric("adoption_q", "1/year", 0, 10, "Bass imitation coefficient"),
    Metric("questions_per_user_day", "questions/user/day", 0.1, 1_000,
           "questions per user per day"),
    Metric("words_per_answer", "words", 1, 1e5, "words (Chinese characters) per answer"),
    Metric("tokens_per_word", "tokens/word", 0.5, 5, "tokens per word"),
    Metric("prompt_tokens", "tokens/question", 0, 1e6, "input tokens per question"),
    Metric("serving_utilization", "fraction", 0.05, 0.8, "achieved share of peak FLOP/s when "
           "serving", _FRACTION),
    Metric("peak_to_average", "x", 1, 10, "fleet sized for peak traffic over average"),
    Metric("intensity_growth", "1/year", 0, 10,
           "growth of chatbot tokens per active user per day (longer answers, reasoning, "
           "agents, multimodal), compounded from the firm's first release"),
    Metric("intensity_ceiling", "x", 1, 1_000,
           "the most that growth multiplies chatbot tokens per user per day"),
    Metric("api_tokens_ceiling", "tokens/day", 0, 1e16,
           "long-run API, enterprise and in-product tokens a day (logistic ceiling)", _COUNT),
    Metric("api_midpoint", "year", 2015, 2050,
           "when API traffic reaches half its ceiling (decimal year)"),
    Metric("api_rate", "1/year", 0.01, 20, "logistic growth rate of API traffic"),
    Metric("served_model_fraction", "fraction", 0.01, 1,
           "active parameters of the model serving the average token, as a fraction of the "
           "firm's flagship (most tokens go to smaller lite/turbo/flash models)", _FRACTION),
    Metric("decode_batch", "sequences", 1, 4096, "sequences decoded together per replica",
           modes=ROOFLINE),
    Metric("memory_bandwidth_efficiency", "fraction", 0.05, 1,
           "share of peak HBM bandwidth reached", _FRACTION, modes=ROOFLINE),
)
FLEET = _metrics(
    Metric("chip_lifetime_years", "years", 1, 20, "chips retire this long after shipping"),
    Metric("training_fleet_retention", "fraction", 0, 1,
           "share of the largest past training cluster kept for training", _FRACTION),
    Metric("reference_tflops", "TFLOPS", 1, 10_000,
           "312, the A100's dense FP16 peak: defines one A100-equivalent", _TFLOPS),
    Metric("procurement_lead_months", "months", 0, 36,
           "a training cluster is bought and installed over this many months before its run"),
)
SKU_MIX = _metrics(
    Metric("share", "fraction", 0, 1, "the SKU's share of its vendor's cards shipped in the "
           "year (renormalised over the SKUs legal and launched in a month)", _FRACTION),
)
RELEASE_PATH = _metrics(
    Metric("release_interval_months", "months", 1, 60,
           "months between a firm's model generations after its last listed release"),
    Metric("compute_growth", "x/year", 0.5, 20,
           "growth of a generation's training compute (FLOPs) per year"),
    Metric("active_params_growth", "x/year", 0.5, 10,
           "growth of the served model's parameters (active and total) per year"),
)
SEGMENT_DRIVERS = _metrics(
    Metric("llm_ratio", "x", 0, 10, "need as a multiple of the modelled firms' LLM need "
           "(driver llm_ratio)", required=False),
    Metric("ceiling_a100e", "A100-eq", 0, 1e9, "long-run need (driver logistic)", _COUNT,
           required=False),
    Metric("midpoint_year", "year", 2015, 2050, "when the need reaches half its ceiling "
           "(driver logistic, decimal year)", required=False),
    Metric("growth_rate", "1/year", -0.5, 10, "growth of the need per year (drivers logistic "
           "and installed_growth)", required=False),
    Metric("growth_decay", "1/year", 0, 5, "how fast the growth rate fades (driver "
           "installed_growth: rate(t) = growth_rate x exp(-growth_decay t))", required=False),
    Metric("training_share", "fraction", 0, 1, "share of the segment's need that trains "
           "models (the rest serves them)", _FRACTION, required=False),
)
INSTALLED_BASE = _metrics(
    Metric("units_shipped", "units", 0, 1e9, "cards of the SKU shipped into China in a year "
           "before the forecast grid (they retire by chip lifetime)", _COUNT),
)
# Which segment_drivers metrics each segment driver reads (checked per segment).
SEGMENT_DRIVER_METRICS: dict[str, tuple[str, ...]] = {
    "llm_ratio": ("llm_ratio",),
    "logistic": ("ceiling_a100e", "midpoint_year", "growth_rate", "training_share"),
    "installed_growth": ("growth_rate", "growth_decay", "training_share"),
}

TABLES: dict[str, TableSpec] = {
    "chips": TableSpec(
        "chips", "identity", "one accelerator SKU",
        ("sku", "family", "aliases", "vendor", "form_factor", "launch_date", "export_control",
         "source"),
        keys=("sku",), types={"launch_date": DATE, "aliases": TEXT_LIST},
        description="accelerator SKUs: family, vendor, launch date"),
    "chip_specs": _numeric("chip_specs", ("sku",), "SKU x metric", CHIP_SPECS,
                           "datasheet figures and prices per SKU"),
    "vendor_share": _numeric("vendor_share", ("year", "vendor"), "year x vendor",
                             VENDOR_SHARE, "vendors' shares of China's accelerator cards",
                             key_types={"year": INTEGER}),
    "firms": TableSpec(
        "firms", "identity", "one firm", ("firm", "name", "name_zh", "sector", "rationale",
                                          "source"),
        keys=("firm",), description="the firms modelled bottom-up"),
    "model_classes": _numeric("model_classes", ("model_class",), "model class x metric",
                              MODEL_CLASSES, "size, data and training set-up per model class"),
    "model_releases": TableSpec(
        "model_releases", "identity", "firm x model",
        ("firm", "model", "model_class", "release_date", "source"),
        keys=("firm", "model"), types={"release_date": DATE},
        description="model releases per firm"),
    "usage": _numeric("usage", ("firm",), "firm x metric", USAGE,
                      "users, adoption and tokens per firm"),
    "fleet": _numeric("fleet", (), "metric", FLEET, "chip lifetime, training-cluster "
                      "retention, the A100-equivalent"),
    "compute_formulas": TableSpec(
        "compute_formulas", "identity", "one formula", ("name", "expression", "unit", "source"),
        keys=("name",), description="the FLOPs formulas, as data"),
    "export_regimes": TableSpec(
        "export_regimes", "identity", "regime x SKU",
        ("regime", "start_date", "end_date", "sku", "source"),
        keys=("regime", "sku"), types={"start_date": DATE, "end_date": DATE},
        description="which export-controlled SKUs may be sold into China, and when"),
    "sku_mix": _numeric("sku_mix", ("year", "sku"), "year x SKU", SKU_MIX,
                        "each vendor's card mix by year", key_types={"year": INTEGER}),
    "release_path": _numeric("release_path", ("firm",), "firm x metric", RELEASE_PATH,
                             "model generations after the last listed release"),
    "segments": TableSpec(
        "segments", "identity", "one market segment",
        ("segment", "name", "driver", "rationale", "source"), keys=("segment",),
        description="buyers beside the modelled firms, each with a demand driver"),
    "segment_drivers": _numeric("segment_drivers", ("segment",), "segment x metric",
                                SEGMENT_DRIVERS, "the numbers of each segment's driver"),
    "installed_base": _numeric("installed_base", ("year", "sku"), "year x SKU",
                               INSTALLED_BASE, "cards shipped before the forecast grid",
                               key_types={"year": INTEGER}),
    "correlations": TableSpec(
        "correlations", "identity", "group x table x metric",
        ("group", "table", "metric", "rho", "source"), keys=("group", "table", "metric"),
        types={"rho": NUMBER}, description="which uncertain inputs move together"),
    "actuals": TableSpec(
        "actuals", "identity", "one reported figure",
        ("id", "quantity", "vendor", "family", "sku", "firm", "start", "end", "value", "low",
         "high", "unit", "source", "published"),
        keys=("id",), optional=("note",),
        types={"start": MONTH, "end": MONTH, "value": NUMBER, "low": NUMBER, "high": NUMBER,
               "published": DATE},
        description="reported figures the forecast is scored and calibrated against"),
}
# actuals.csv quantity -> its unit (chipcast.uncertainty.backtest computes each per draw)
ACTUAL_QUANTITIES: dict[str, str] = {
    "units_shipped": "units",
    "units_installed": "units",
    "a100_equivalents_shipped": "A100-eq",
    "card_share": "fraction",
    "revenue_usd": "USD",
    "tokens_per_day": "tokens/day",
}

# Per table, the columns that name things (its own ids and other tables' ids). A `bаidu` with a
# Cyrillic `а` would otherwise be an eleventh firm; each is read as plain ASCII.
IDENTIFIER_COLUMNS: dict[str, tuple[str, ...]] = {
    "chips": ("sku", "family", "aliases", "vendor", "form_factor", "export_control"),
    "chip_specs": ("sku", "metric"),
    "vendor_share": ("vendor", "metric"),
    "firms": ("firm",),
    "model_classes": ("model_class", "metric"),
    "model_releases": ("firm", "model", "model_class"),
    "usage": ("firm", "metric"),
    "fleet": ("metric",),
    "compute_formulas": ("name",),
    "export_regimes": ("regime", "sku"),
    "sku_mix": ("sku", "metric"),
    "release_path": ("firm", "metric"),
    "segments": ("segment", "driver"),
    "segment_drivers": ("segment", "metric"),
    "installed_base": ("sku", "metric"),
    "correlations": ("group", "table", "metric"),
    "actuals": ("id", "quantity", "vendor", "family", "sku", "firm"),
}

NUMERIC_TABLES: dict[str, TableSpec] = {n: s for n, s in TABLES.items() if s.numeric}


def metric(table: str, name: str) -> Metric:
    """The declaration of one metric of a numeric table (KeyError if unknown)."""
    return TABLES[table].metrics[name]


def required_metrics(table: str, inference_mode: str) -> list[str]:
    """Metrics every entity of a numeric table must have (own row or '*'), sorted."""
    return sorted(m.name for m in TABLES[table].metrics.values() if m.needed_in(inference_mode))
