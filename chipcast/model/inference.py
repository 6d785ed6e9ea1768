"""Serving: daily users on a Bass adoption curve, the release each firm serves each month, and
the compute-bound inference need (the seed article's method). Roofline mode
(chipcast.model.roofline) reads the same `Serving`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chipcast.model.compute import SECONDS_PER_DAY, chips_busy
from chipcast.model.formulas import Formula
from chipcast.model.params import ParamSet
from chipcast.model.structure import Structure


def bass_adoption(p: np.ndarray, q: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Bass diffusion: cumulative adoption share F(t) in [0, 1] after `years` (0 where < 0)."""
    t = np.maximum(years, 0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(-(p + q) * t)
        f = (1.0 - e) / (1.0 + (q / p) * e)
    return np.where(years >= 0, np.nan_to_num(f, nan=0.0), 0.0)


@dataclass(frozen=True)
class Serving:
    """What serving reads per firm and month, shared by the compute and roofline modes."""

    usage: dict[str, np.ndarray]  # usage metric -> (D, F, 1)
    variables: dict[str, np.ndarray]  # the tokens_per_day formula's variables, (D, F, M|1)
    release_ids: dict[str, list[str]]  # model_classes metric -> (R,) param ids
    live: np.ndarray  # (F, M) bool: a model is out
    index: np.ndarray  # (F, M) release served (0 where none is live)
    ps: ParamSet

    def served(self, metric: str) -> np.ndarray:
        """A model_classes metric of the release each firm serves each month, (D, F, M)."""
        return self.ps.stack(self.release_ids[metric])[:, self.index]

    def flops_per_token(self, formula: Formula) -> np.ndarray:
        """FLOPs per token served x compute_multiplier, (D, F, M); 0 before the first model."""
        params = {"active_params": self.served("active_params") * self.live,
                  "total_params": self.served("total_params") * self.live}
        return formula.evaluate(params) * self.served("compute_multiplier")


def serving(st: Structure, ps: ParamSet) -> Serving:
    """Usage inputs, daily users on the Bass curve and the served release of every month."""
    u = {m: ps.stack(ids)[:, :, None] for m, ids in st.usage_ids.items()}
    dau = u["dau_target"] * bass_adoption(u["adoption_p"], u["adoption_q"], st.years_live)
    variables = {"dau": dau, **{m: u[m] for m in ("questions_per_user_day", "words_per_answer",
                                                "tokens_per_word", "prompt_tokens")}}
    live = st.serve_release >= 0
    return Serving(u, variables, st.release_ids, live, np.where(live, st.serve_release, 0), ps)


def inference_need(st: Structure, ps: ParamSet) -> np.ndarray:
    """A100-equivalents serving users, (D, F, M), compute-bound (the seed article's method)."""
    sv = serving(st, ps)
    tokens = st.formulas["tokens_per_day"].evaluate(sv.variables)
    flops_day = sv.flops_per_token(st.formulas["inference_flops_per_token"]) * tokens
    u = sv.usage
    busy = chips_busy(flops_day, ps[st.reference_id][:, None, None], u["serving_utilization"],
                      SECONDS_PER_DAY)
    return busy * u["peak_to_average"]


