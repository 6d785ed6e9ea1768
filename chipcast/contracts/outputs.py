"""The outputs' vocabulary: forecast metrics and their units, labels of totals, quantile levels
and the headline numbers. The model writes these names, the output checks expect them, the
warehouse comments them, the report and the CLI label them: each is declared here once.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL = "all"  # the label of a total over buyers, workloads, SKUs or vendors
WORKLOADS = ("training", "inference")
# chips.csv export_control: `us` chips are legal only in the export regimes that list them
EXPORT_CONTROLS = ("us", "none")
# segments.csv driver: how a segment's need is computed (chipcast.model.market)
SEGMENT_DRIVERS = ("llm_ratio", "logistic", "installed_growth")
A100_FAMILIES = ("A100", "A800")  # chips.csv families the A100/A800 headline counts


@dataclass(frozen=True)
class OutputMetric:
    """A metric of the forecast tables. `per_sku` metrics are split by SKU (else sku is 'all');
    `chips_only` ones exist only for SKUs with a chip in chips.csv (units, money), not for a
    vendor's pseudo-SKU carried in A100-equivalents."""

    name: str
    unit: str
    label: str
    description: str
    per_sku: bool = True
    chips_only: bool = False


OUTPUT_METRICS: dict[str, OutputMetric] = {m.name: m for m in (
    OutputMetric("a100_equivalents_required", "A100-eq", "required compute",
                 "compute the workload needs, in A100-equivalents (312 dense FP16 TFLOPS)",
                 per_sku=False),
    OutputMetric("a100_equivalents", "A100-eq", "installed compute",
                 "installed compute at the month's end, A100-equivalents"),
    OutputMetric("a100_equivalents_shipped", "A100-eq/month", "compute shipped",
                 "compute shipped in the month, A100-equivalents"),
    OutputMetric("units_installed", "units", "units installed",
                 "physical accelerator cards installed at the month's end", chips_only=True),
    OutputMetric("units_shipped", "units/month", "units shipped",
                 "physical accelerator cards shipped in the month", chips_only=True),
    OutputMetric("capex_usd", "USD/month", "capex", "cards shipped x price per card",
                 chips_only=True),
    OutputMetric("a100_equivalents_idle", "A100-eq", "idle compute",
                 "installed compute the buyer no longer needs (installed - required, >= 0)",
                 per_sku=False),
    OutputMetric("tokens_per_day", "tokens/day", "tokens served a day",
                 "tokens a firm serves a day: chatbot users x intensity + API traffic",
                 per_sku=False),
)}
FLEET_METRICS = tuple(m for m, spec in OUTPUT_METRICS.items() if spec.per_sku)
NEED_METRICS = ("a100_equivalents_required", "a100_equivalents_idle")

# Monte Carlo summaries: a `mean` row and one row per quantile level.
QUANTILES: tuple[float, ...] = (0.05, 0.10, 0.50, 0.90, 0.95)
QUANTILE_NAMES: dict[float, str] = {q: f"p{round(q * 100):02d}" for q in QUANTILES}
STATS = ("mean", "quantile")


@dataclass(frozen=True)
class Headline:
    """One headline number of a scenario: a single value per draw over a window of months
    (`first`..`last`, ISO months; None = the grid's edge)."""

    name: str
    label: str
    unit: str
    definition: str
    first: str | None = None
    last: str | None = None

    @property
    def window(self) -> str:
        """The window as text, e.g. '2023-01..2025-12' or 'whole horizon'."""
        if self.first is None and self.last is None:
            return "whole horizon"
        return f"{self.first or 'start'}..{self.last or 'end'}"


HEADLINES: dict[str, Headline] = {h.name: h for h in (
    Headline("a100_a800_units_shipped_2023_2025", "A100+A800 units shipped 2023-2025", "units",
             "NVIDIA A100 and A800 family cards shipped 2023-01..2025-12, all buyers",
             "2023-01", "2025-12"),
    Headline("a100e_shipped_2023_2030", "A100-eq shipped 2023-2030", "A100-eq",
             "compute shipped 2023-01..2030-12 in A100-equivalents, all buyers and SKUs",
             "2023-01", "2030-12"),
    Headline("peak_installed_a100e", "peak A100-eq installed", "A100-eq",
             "highest month-end installed compute over the horizon, A100-equivalents"),
    Headline("peak_installed_units", "peak units installed", "units",
             "highest month-end installed base in physical cards over the horizon"),
    Headline("total_capex_usd", "capex over the horizon", "USD",
             "cards shipped x price per card, summed over the horizon"),
)}

# The founding article's world (data/scenarios/seed-2023.yaml) and its conclusion, "more than
# 2 million" new A100s (FACTS.md S12), which `chipcast run` and the report check it against.
SEED_SCENARIO = "seed-2023"
SEED_CLAIM = 2e6  # A100 units

# How a run can draw its Monte Carlo inputs (implemented in chipcast.uncertainty.sampling).
SAMPLERS = ("sobol", "lhs", "random")
# Distribution names an input row may give (implemented in chipcast.model.distributions).
DISTS = ("fixed", "uniform", "triangular", "pert", "lognormal", "normal-truncated")
# How inference need is computed (chipcast.model.demand).
INFERENCE_MODES = ("compute", "roofline")


def unit_of(metric: str) -> str:
    """The unit of an output metric or headline name (KeyError if neither)."""
    if metric in OUTPUT_METRICS:
        return OUTPUT_METRICS[metric].unit
    return HEADLINES[metric].unit


def label_of(name: str) -> str:
    """A reader's label for an output metric or headline (the name itself if unknown)."""
    if name in HEADLINES:
        return HEADLINES[name].label
    if name in OUTPUT_METRICS:
        return OUTPUT_METRICS[name].label
    return name
