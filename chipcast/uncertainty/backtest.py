"""Back-test and calibration against reported figures (actuals.csv), maths only.

An actual is one reported number: a quantity (contracts.ACTUAL_QUANTITIES), filters (vendor,
chip family, sku, buyer; empty = all) and a window of months [start, end]. `Targets` turns
actuals into index masks once per scenario; `evaluate` computes every actual's quantity for
each draw of a Simulation, exactly as the figure is defined (a sum over the window of one draw,
never a sum of monthly quantiles):
- units_shipped: cards shipped in the window; a100_equivalents_shipped: their compute;
- revenue_usd: cards shipped x price per card;
- card_share: the filtered cards' share of all cards shipped in the window (same buyers);
- units_installed: cards installed at the end month (cards shipped before the grid included);
- tokens_per_day: the mean over the window of the tokens a day of the filtered firms.

Calibration by history matching (Craig et al. 1997; Vernon, Goldstein and Bower 2010): each
draw's implausibility for an actual is |ln model - ln reported| / sqrt(sigma^2 + DISCREPANCY^2),
where sigma is the figure's own error, ln(high / low) / (2 x 1.645) (low/high read as a 90 %
range, at least SIGMA_FLOOR), and DISCREPANCY the model's own error against any reported figure
(a log-sd: a smooth structure cannot pass through every reported point). A draw is ruled out
when its IMPLAUSIBILITY_RANK-th largest implausibility over the fitted actuals exceeds
IMPLAUSIBILITY_CUT (3: Pukelsheim's three-sigma rule; the second largest, so one misreported
figure cannot rule out every draw). The calibrated forecast is the draws not ruled out, equally
weighted (weights 1/kept, 0 for the others: quantiles are chipcast.uncertainty.quantiles.
weighted_quantiles); its effective sample size is the number kept. Unlike a likelihood
weighting, this keeps every input combination the figures do not contradict, so the bands
narrow only as far as the reported figures and the model's discrepancy justify.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from chipcast.contracts import ACTUAL_QUANTITIES
from chipcast.errors import InputError, Problem
from chipcast.inputs import Inputs
from chipcast.model.demand import Simulation, simulate
from chipcast.model.fleet import rolling_installed, surviving_before
from chipcast.model.params import parameters
from chipcast.model.structure import Structure, compile_structure
from chipcast.uncertainty.quantiles import exact_quantiles, weighted_quantiles
from chipcast.uncertainty.sampling import DrawPlan, draw_plan

Z90 = 1.6448536269514722  # a 90 % range spans +-Z90 standard deviations
SIGMA_FLOOR = 0.05  # a reported point with no range still carries ~5 % error
DISCREPANCY = 0.3  # log-sd of the model's own error against any reported figure (~ +-35 %)
IMPLAUSIBILITY_CUT = 3.0  # three-sigma rule
IMPLAUSIBILITY_RANK = 2  # the second-largest implausibility decides (max with one target)
LEVELS = (0.10, 0.50, 0.90)


@dataclass(frozen=True)
class Target:
    """One actual resolved against a Structure."""

    id: str
    quantity: str
    buyers: np.ndarray  # (B,) bool
    skus: np.ndarray  # (S,) bool
    months: np.ndarray  # (M,) bool
    end: int  # index of the window's last month
    value: float
    low: float
    high: float
    unit: str
    published: date
    row: int
    file: str

    @property
    def sigma(self) -> float:
        """Log-normal error scale from the reported range (SIGMA_FLOOR at least)."""
        if self.low > 0 and self.high > self.low:
            return max(math.log(self.high / self.low) / (2 * Z90), SIGMA_FLOOR)
        return SIGMA_FLOOR


def targets(st: Structure, actuals: pl.DataFrame) -> list[Target]:
    """Resolve every actual's filters and window; InputError names each bad cell."""
    problems: list[Problem] = []
    out: list[Target] = []
    sup = st.supply
    vendors = np.asarray(sup.vendors, dtype=object)[sup.sku_vendor]
    families = np.asarray(sup.sku_family, dtype=object)
    skus = np.asarray(sup.skus, dtype=object)
    buyers = np.asarray(st.buyers, dtype=object)
    months = st.months.astype("datetime64[D]")
    for r in actuals.iter_rows(named=True):
        file, row = r.get("_file") or "actuals.csv", r.get("_row")

        def bad(column: str, message: str, hint: str, value: object = None,
                file: str = file, row: int | None = row) -> None:
            problems.append(Problem(file, message, hint=hint, row=row, column=column,
                                    values=[] if value is None else [str(value)]))

        quantity = r["quantity"]
        if quantity not in ACTUAL_QUANTITIES:
            bad("quantity", "unknown quantity", "use one of " + ", ".join(ACTUAL_QUANTITIES),
                quantity)
            continue
        if r["unit"] != ACTUAL_QUANTITIES[quantity]:
            bad("unit", f"{quantity} is measured in {ACTUAL_QUANTITIES[quantity]}",
                f"write {ACTUAL_QUANTITIES[quantity]} and the number in that unit", r["unit"])
        sku_mask = np.ones(len(skus), dtype=bool)
        for column, labels in (("vendor", vendors), ("family", families), ("sku", skus)):
            want = r[column]
            if want:
                match = labels == want
                if not match.any():
                    bad(column, f"no chip has {column} {want!r}",
                        f"use a {column} of chips.csv or leave it empty for all", want)
                sku_mask &= match
        buyer_mask = np.ones(len(buyers), dtype=bool)
        if r["firm"]:
            buyer_mask = buyers == r["firm"]
            if not buyer_mask.any():
                bad("firm", f"no buyer {r['firm']!r}",
                    "use a firm of firms.csv or a segment of segments.csv", r["firm"])
        if quantity == "tokens_per_day":
            if (r["vendor"] or r["family"] or r["sku"]):
                bad("sku", "tokens have no chip", "leave vendor, family and sku empty")
            if r["firm"] and r["firm"] not in st.firms:
                bad("firm", "only the modelled firms serve tokens",
                    "use a firm of firms.csv", r["firm"])
        start, end = r["start"], r["end"]
        if start is None or end is None or start > end:
            bad("end", "the window needs start <= end", "write ISO months, start first")
            continue
        window = (months >= np.datetime64(start, "D")) & (months <= np.datetime64(end, "D"))
        if not window.any() or months[0] > np.datetime64(start, "D") or months[-1] < \
                np.datetime64(end, "D"):
            bad("start", f"the window {start:%Y-%m}..{end:%Y-%m} is not inside the forecast "
                f"grid {st.months[0]}..{st.months[-1]}", "move the window inside the grid",
                f"{start:%Y-%m}")
            continue
        value, low, high = r["value"], r["low"], r["high"]
        low = value if low is None else low
        high = value if high is None else high
        if value is None or not (0 < low <= value <= high):
            bad("value", "an actual needs 0 < low <= value <= high",
                "fill value (and low/high, or leave them empty for value)", value)
            continue
        out.append(Target(r["id"], quantity, buyer_mask, sku_mask, window,
                          int(np.flatnonzero(window)[-1]), float(value), float(low),
                          float(high), ACTUAL_QUANTITIES[quantity], r["published"],
                          row or 0, file))
    if problems:
        raise InputError(problems)
    return out


def evaluate(st: Structure, sim: Simulation, targets: list[Target]) -> np.ndarray:
    """(D, T): each target's quantity for every draw of `sim`.

    Each target reads only its window's months (its last month's installed base: the months up
    to it), so the per-SKU arrays are built for those months alone, from the split per month
    kind; every value is the same product and sum, in the same order, as over the whole grid."""
    out = np.empty((sim.shipped.shape[0], len(targets)))
    per_unit = sim.a100e_per_unit[:, None, :]
    by_buyers: dict[bytes, np.ndarray] = {}  # (D, M) A100-e shipped to a set of buyers
    windows: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}  # targets sharing a window
    for j, t in enumerate(targets):
        if t.quantity == "tokens_per_day":
            firms = np.flatnonzero(t.buyers[:len(st.firms)])
            months = np.flatnonzero(t.months)
            out[:, j] = sim.tokens[:, firms][:, :, months].sum(axis=1).mean(axis=1)
            continue
        key = t.buyers.tobytes()
        if key not in by_buyers:
            by_buyers[key] = sim.shipped[:, t.buyers, :].sum(axis=1)
        shipped = by_buyers[key]
        if t.quantity == "units_installed":
            upto = slice(0, t.end + 1)  # the installed base at t.end needs no later month
            # (D, M', S') cards per A100-e of the target's SKUs only: the same quotients as
            # over every SKU, without dividing the others'
            cards = sim.share_k[:, :, t.skus][:, sim.month_k[upto]] / per_unit[:, :, t.skus]
            units = shipped[:, upto, None] * cards  # (D, M', S')
            grid = rolling_installed(np.moveaxis(units, 1, 2), sim.lifetime_months)
            installed = grid[:, :, t.end].sum(axis=1)
            owner = st.installed_base.owner
            if owner >= 0 and t.buyers[owner] and sim.before.shape[1]:
                before = surviving_before(sim.before[:, :, t.skus], sim.lifetime_months,
                                          t.end + 1)  # (D, M', S') of the target's SKUs
                installed += (before[:, t.end] / sim.a100e_per_unit[:, t.skus]).sum(axis=1)
            out[:, j] = installed
            continue
        w = t.months
        key = w.tobytes()
        if key not in windows:  # (D, W, S) the window's sku_share, and cards per A100-e
            share = sim.share_k[:, sim.month_k[w]]
            windows[key] = share, share / per_unit
        share, cards = windows[key]
        per_card = {"units_shipped": cards, "a100_equivalents_shipped": share,
                    "card_share": cards}.get(t.quantity)
        if per_card is None:  # revenue_usd
            per_card = cards * sim.price_usd[:, None, :]
        value = (shipped[:, w, None] * per_card[:, :, t.skus]).sum(axis=(1, 2))
        if t.quantity == "card_share":
            total = (shipped[:, w, None] * cards).sum(axis=(1, 2))
            value = np.divide(value, total, out=np.zeros_like(value), where=total > 0)
        out[:, j] = value
    return out


def implausibility(values: np.ndarray, targets: list[Target],
                   discrepancy: float = DISCREPANCY) -> np.ndarray:
    """(D, T) implausibility of every draw for every target (module docstring)."""
    value = np.array([t.value for t in targets])
    scale = np.hypot([t.sigma for t in targets], discrepancy)
    with np.errstate(divide="ignore"):
        return np.abs(np.log(np.maximum(values, 1e-300)) - np.log(value)) / scale


def plausible(values: np.ndarray, targets: list[Target], discrepancy: float = DISCREPANCY
              ) -> np.ndarray:
    """(D,) bool: draws not ruled out by the targets (module docstring); all with none."""
    if not targets:
        return np.ones(values.shape[0], dtype=bool)
    imp = np.sort(implausibility(values, targets, discrepancy), axis=1)
    rank = min(IMPLAUSIBILITY_RANK, len(targets))
    return imp[:, -rank] <= IMPLAUSIBILITY_CUT


def calibration_weights(values: np.ndarray, targets: list[Target],
                        discrepancy: float = DISCREPANCY) -> np.ndarray:
    """(D,) weights of the calibrated forecast: 1/kept for the draws not ruled out, else 0
    (all 0 when every draw is ruled out)."""
    keep = plausible(values, targets, discrepancy)
    return keep / max(int(keep.sum()), 1)


def effective_sample_size(weights: np.ndarray) -> float:
    """(sum w)^2 / sum w^2: how many equally weighted draws the weights are worth (the number
    kept for history matching's weights; 0 when none is)."""
    total = float((weights ** 2).sum())
    # rounded: equal weights of k kept draws give k, not k +- float noise
    return round(float(weights.sum() ** 2 / total), 6) if total > 0 else 0.0


def ruled_out_by(values: np.ndarray, targets: list[Target],
                 discrepancy: float = DISCREPANCY) -> list[tuple[str, float]]:
    """The targets no draw reaches, as (id, the smallest implausibility of any draw), worst
    first: the figures to check (or the priors to widen) when every draw is ruled out."""
    best = implausibility(values, targets, discrepancy).min(axis=0)
    order = np.argsort(-best)
    return [(targets[j].id, float(best[j])) for j in order if best[j] > IMPLAUSIBILITY_CUT]


def no_plausible_draw(values: np.ndarray, targets: list[Target], discrepancy: float,
                      scenario: str) -> InputError:
    """The error when every draw is ruled out: which actuals no draw reaches."""
    worst = ", ".join(f"{i} (implausibility {v:.1f})" for i, v in
                      ruled_out_by(values, targets, discrepancy)[:5]) or "several together"
    return InputError(Problem(
        "actuals.csv", f"calibrating {scenario}: every draw is ruled out by the actuals "
        f"(history matching, cut {IMPLAUSIBILITY_CUT:g}); no draw reaches {worst}",
        hint="check those figures and their low/high, or widen the priors of the inputs that "
             "drive them (chipcast sensitivity), then run again"))


def score(targets: list[Target], values: np.ndarray, weights: np.ndarray | None
          ) -> pl.DataFrame:
    """One row per target: id, quantity, unit, value, low, high, p10, p50, p90, inside (value
    within P10-P90), ratio (value / P50), published."""
    q = (exact_quantiles(values, LEVELS) if weights is None
         else weighted_quantiles(values, weights, LEVELS))
    rows = []
    for j, t in enumerate(targets):
        p10, p50, p90 = (float(x) for x in q[:, j])
        rows.append({"id": t.id, "quantity": t.quantity, "unit": t.unit, "value": t.value,
                     "low": t.low, "high": t.high, "p10": p10, "p50": p50, "p90": p90,
                     "inside": bool(p10 <= t.value <= p90),
                     "ratio": t.value / p50 if p50 > 0 else math.inf,
                     "published": t.published})
    return pl.DataFrame(rows, schema={
        "id": pl.Utf8, "quantity": pl.Utf8, "unit": pl.Utf8, "value": pl.Float64,
        "low": pl.Float64, "high": pl.Float64, "p10": pl.Float64, "p50": pl.Float64,
        "p90": pl.Float64, "inside": pl.Boolean, "ratio": pl.Float64, "published": pl.Date})


ESS_FLOOR = 200.0  # fewer draws kept than this: the calibrated quantiles are too noisy
CHUNK = 1024  # draws evaluated at once
MAX_DRAW_GROWTH = 16  # more draws are taken, up to this factor, until the floor is met
DRAW_GROWTH = 4  # each retry takes this many times the draws


def more_draws(ess: float | None, n: int, draws: int, floor: float = ESS_FLOOR) -> int | None:
    """The draw count to try next when a calibration of `n` draws (started at `draws`) kept
    `ess`: DRAW_GROWTH x n while fewer than `floor` are kept and the growth stays within
    MAX_DRAW_GROWTH; None to stop (uncalibrated, enough kept, or at the cap)."""
    if ess is None or ess >= floor or n * DRAW_GROWTH > draws * MAX_DRAW_GROWTH:
        return None
    return n * DRAW_GROWTH


@dataclass(frozen=True)
class Study:
    """A back-test of one scenario: prior scores, and with calibration the posterior ones."""

    scenario: str
    draws: int
    fit_until: date | None  # actuals published by this month's end were fitted (None: all)
    prior: pl.DataFrame  # score() rows of every actual under the prior draws
    posterior: pl.DataFrame | None  # score() rows of the draws not ruled out
    ess: float | None  # draws kept (the weights' effective sample size)
    fitted: tuple[str, ...]  # ids of the actuals the weights used

    def rows(self, calibration: str) -> pl.DataFrame:
        """The rows a report shows: the prior's; or the posterior's of the actuals NOT fitted
        when calibrated up to a cutoff (out of sample), of all of them otherwise."""
        if calibration == "prior" or self.posterior is None:
            return self.prior
        if self.fit_until is None:
            return self.posterior
        return self.posterior.filter(~pl.col("id").is_in(list(self.fitted)))


def coverage(rows: pl.DataFrame) -> float | None:
    """Share of rows whose reported value lies within P10-P90 (None without rows)."""
    return float(rows["inside"].mean()) if rows.height else None


def cutoff(fit_until: date | None) -> date | None:
    """The last day of the `fit_until` month: actuals published by then are fitted."""
    if fit_until is None:
        return None
    return fit_until.replace(day=calendar.monthrange(fit_until.year, fit_until.month)[1])


def fitted_targets(all_targets: list[Target], fit_until: date | None) -> list[Target]:
    """The targets a calibration fits: those published by the end of the `fit_until` month
    (all if None)."""
    last = cutoff(fit_until)
    return [t for t in all_targets if last is None or t.published <= last]


def draw_values(st: Structure, plan: DrawPlan, all_targets: list[Target], draws: int,
                progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """(draws, T): every target's quantity for the first `draws` draws of `plan`;
    `progress(done, draws)` after each chunk."""
    if plan.dims == 0:  # every input fixed: one evaluation is every draw
        one = evaluate(st, simulate(st, plan.paramset(np.zeros((1, 0)))), all_targets)
        return np.repeat(one, draws, axis=0)
    parts = []
    for ps in plan.chunks(draws, CHUNK):
        parts.append(evaluate(st, simulate(st, ps), all_targets))
        if progress is not None:
            progress(sum(len(p) for p in parts), draws)
    return np.concatenate(parts)


def study(inputs: Inputs, actuals: pl.DataFrame, draws: int = 4096, seed: int = 20231,
          sampler: str = "sobol", calibrate: bool = False, fit_until: date | None = None,
          ess_floor: float = ESS_FLOOR, discrepancy: float = DISCREPANCY,
          progress: Callable[[int, int], None] | None = None) -> Study:
    """Back-test a scenario against `actuals` (module docstring). With `calibrate`, the actuals
    published by the end of the `fit_until` month rule out draws (history matching); while
    fewer than `ess_floor` draws are kept the draws are multiplied by DRAW_GROWTH (at most
    MAX_DRAW_GROWTH x the first count). InputError when every draw is ruled out."""
    st = compile_structure(inputs)
    all_targets = targets(st, actuals)
    plan = draw_plan(inputs, parameters(inputs), sampler=sampler, seed=seed)
    n = draws
    while True:
        values = draw_values(st, plan, all_targets, n, progress)
        prior = score(all_targets, values, None)
        if not calibrate:
            return Study(st.scenario, n, fit_until, prior, None, None, ())
        fit = fitted_targets(all_targets, fit_until)
        idx = [all_targets.index(t) for t in fit]
        weights = calibration_weights(values[:, idx], fit, discrepancy)
        ess = effective_sample_size(weights)
        following = more_draws(ess, n, draws, ess_floor)
        if following is None:
            if ess == 0:
                raise no_plausible_draw(values[:, idx], fit, discrepancy, st.scenario)
            posterior = score(all_targets, values, weights)
            return Study(st.scenario, n, fit_until, prior, posterior, ess,
                         tuple(t.id for t in fit))
        n = following
