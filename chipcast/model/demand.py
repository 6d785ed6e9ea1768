"""The monthly demand model: every buyer's need -> fleet stock-flow -> vendors -> SKUs.

Buyers are the modelled firms (training from their releases and later generations, inference
from the tokens they serve) and the market segments beside them (chipcast.model.market). Each
buyer's fleet rolls forward by stock-flow (chipcast.model.fleet), the installed_growth segment
starting from the cards shipped before the grid; each month's shipments split into vendors'
cards and SKUs (chipcast.model.supply). `simulate` evaluates a compiled Structure for a
ParamSet of any number of draws at once: the loops over months, releases, generations, buyers
and SKUs compiled (numba, one draw per thread: the numbers do not depend on the thread count),
written into (draws, buyers, months) arrays allocated once per call; the compute mode's
serving and inference in compiled passes around numpy's exp and power and the data formulas
(chipcast.model.inference.compute_inference). The equations are in docs/architecture.md
("Model").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import cached_property

import numpy as np

from chipcast.model.fleet import before_totals, stock_flow
from chipcast.model.inference import Serving, compute_inference, inference_need, serving
from chipcast.model.market import segment_need
from chipcast.model.params import ParamSet
from chipcast.model.roofline import roofline_inference, roofline_need
from chipcast.model.structure import Structure, input_problem, stack_optional
from chipcast.model.supply import check_months_have_cards, split
from chipcast.model.training import generations, training_need

# inference_mode -> function (Structure, ParamSet, Serving) -> (D, F, M) A100-e
INFERENCE_MODES: dict[str, Callable[[Structure, ParamSet, Serving], np.ndarray]] = {
    "compute": inference_need,
    "roofline": roofline_need,
}


@dataclass(frozen=True)
class Simulation:
    """Model state for n draws. Buyer arrays are (D, B, M) in A100-equivalents unless noted
    (B = the structure's buyers: firms, then segments)."""

    training: np.ndarray  # training need incl. retained clusters
    inference: np.ndarray
    tokens: np.ndarray  # (D, F, M) tokens a day served by each firm
    shipped: np.ndarray  # A100-e shipped in the month
    installed: np.ndarray  # A100-e installed at the month's end (pre-grid cards included)
    lifetime_months: np.ndarray  # (D,) int
    # the split of a month's shipments over SKUs, once per month kind (supply.Split)
    share_k: np.ndarray  # (D, K, S) share of the A100-e shipped going to each SKU
    cards_k: np.ndarray  # (D, K) cards shipped per A100-e shipped
    month_k: np.ndarray  # (M,) int: each month's kind (no draw axis)
    a100e_per_unit: np.ndarray  # (D, S)
    price_usd: np.ndarray  # (D, S) USD/unit
    before: np.ndarray  # (D, P, S) A100-e shipped by SKU in the P months before the grid

    @property
    def need(self) -> np.ndarray:
        return self.training + self.inference

    @cached_property
    def sku_share(self) -> np.ndarray:
        """(D, M, S) share of the month's A100-e shipped going to each SKU."""
        return self.share_k[:, self.month_k]

    @cached_property
    def cards_per_a100e(self) -> np.ndarray:
        """(D, M) cards shipped per A100-e shipped."""
        return self.cards_k[:, self.month_k]

    @property
    def idle(self) -> np.ndarray:
        """(D, B, M) installed compute beyond the need (chips a buyer no longer needs)."""
        return np.maximum(self.installed - self.need, 0.0)

    def take(self, draw: int) -> Simulation:
        """The same state for one draw only (arrays keep their leading draw axis of size 1)."""
        pick = slice(draw, draw + 1)
        return Simulation(**{f.name: getattr(self, f.name)[pick] if f.name != "month_k"
                             else self.month_k for f in fields(self)})


def pre_grid(st: Structure, ps: ParamSet, a100e_per_unit: np.ndarray) -> np.ndarray:
    """(D, P, S) A100-equivalents shipped by SKU in each month before the grid: a year's
    cards (installed_base.csv) spread evenly over its twelve months."""
    base = st.installed_base
    out = np.zeros((ps.n_draws, base.months, len(st.skus)))
    for years_back, sku, pid in base.cohorts:
        first = base.months - 12 * years_back
        out[:, first:first + 12, sku] += (ps[pid] * a100e_per_unit[:, sku] / 12.0)[:, None]
    return out


def simulate(st: Structure, ps: ParamSet) -> Simulation:
    """Evaluate the model for every draw in `ps` at once."""
    if st.inference_mode not in INFERENCE_MODES:
        raise input_problem(f"unknown inference_mode '{st.inference_mode}'",
                            f"use one of {sorted(INFERENCE_MODES)}", "data/scenarios/")
    check_months_have_cards(st.supply, st.months)
    ref = ps[st.reference_id][:, None]
    a100e_per_unit = stack_optional(ps, st.supply.tflops_ids) / ref
    lifetime = np.maximum(1, np.rint(ps[st.lifetime_id] * 12)).astype(int)

    gens = generations(st, ps)
    n_d, n_f, n_m = ps.n_draws, len(st.firms), st.months.size
    shape = (n_d, n_f + len(st.segments.names), n_m)
    training, inference = np.empty(shape), np.empty(shape)
    firm_training = training_need(st, ps, gens, out=training[:, :n_f], retained=True)
    if st.inference_mode == "compute":  # the compiled path (inference.compute_inference)
        tokens, firm_inference = compute_inference(st, ps, gens, inference[:, :n_f])
    elif st.inference_mode == "roofline":  # compiled too (roofline.roofline_inference)
        tokens, firm_inference = roofline_inference(st, ps, gens, inference[:, :n_f])
    else:
        sv = serving(st, ps, gens)
        tokens = sv.tokens
        firm_inference = inference[:, :n_f]
        firm_inference[...] = INFERENCE_MODES[st.inference_mode](st, ps, sv)

    before = pre_grid(st, ps, a100e_per_unit)
    before_by_month, at_start = before_totals(before, lifetime)  # (D, P), (D,)
    segment_need(st, ps, firm_training, firm_inference, at_start,
                 out=(training[:, n_f:], inference[:, n_f:]))

    # the owner's pre-grid months (no other buyer has any; none without an owner)
    shipped, installed = stock_flow(training, lifetime, before_by_month, extra=inference,
                                    owner=st.installed_base.owner)
    cards = split(st.supply, ps, a100e_per_unit)
    return Simulation(
        training=training, inference=inference, tokens=tokens, shipped=shipped,
        installed=installed, lifetime_months=lifetime, share_k=cards.share_k,
        cards_k=cards.cards_k, month_k=cards.month_k, a100e_per_unit=a100e_per_unit,
        price_usd=stack_optional(ps, st.supply.price_ids), before=before,
    )
