"""The monthly demand model: training + inference need -> fleet stock-flow -> vendors -> SKUs.

`simulate` evaluates a compiled Structure for a ParamSet of any number of draws at once
(numpy, vectorised over draws and firms; the only Python loop is over months, in the
stock-flow recurrence). The equations are in docs/architecture.md ("Model").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

from chipcast.model.compute import SECONDS_PER_DAY, chips_busy
from chipcast.model.fleet import stock_flow
from chipcast.model.inference import inference_need
from chipcast.model.params import ParamSet
from chipcast.model.roofline import roofline_need
from chipcast.model.structure import Structure, input_problem, stack_optional

# inference_mode -> function (Structure, ParamSet) -> (D, F, M) A100-e
INFERENCE_MODES: dict[str, Callable[[Structure, ParamSet], np.ndarray]] = {
    "compute": inference_need,
    "roofline": roofline_need,
}


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

    def take(self, draw: int) -> Simulation:
        """The same state for one draw only (arrays keep their leading draw axis of size 1)."""
        pick = slice(draw, draw + 1)
        return Simulation(**{f.name: getattr(self, f.name)[pick] for f in fields(self)})


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
    busy = chips_busy(flops, ps[st.reference_id][:, None], r["mfu"],
                      r["training_days"] * SECONDS_PER_DAY)  # (D, R) A100-e
    start = st.release_day[None, :] - r["training_days"]  # (D, R)
    # A cluster must exist in every month its run touches (a stock, not a monthly average).
    overlap = (start[:, :, None] < st.month_end) & (st.release_day[None, :, None] > st.month_start)
    onehot = np.zeros((st.release_day.size, len(st.firms)))
    onehot[np.arange(st.release_day.size), st.release_firm] = 1.0
    return np.einsum("dr,drm,rf->dfm", busy, overlap.astype(float), onehot)


def simulate(st: Structure, ps: ParamSet) -> Simulation:
    """Evaluate the model for every draw in `ps` at once."""
    if st.inference_mode not in INFERENCE_MODES:
        raise input_problem(
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

    shares = stack_optional(ps, [i for row in st.share_ids for i in row])
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
        a100e_per_unit=stack_optional(ps, st.sku_tflops_ids) / ref,
        price_usd=stack_optional(ps, st.sku_price_ids),
    )


