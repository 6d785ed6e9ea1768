"""Serving: the tokens each firm serves and the model it serves them with, and the compute-bound
inference need (the seed article's method). Roofline mode (chipcast.model.roofline) reads the
same `Serving`.

Tokens a day per firm (grain (D, F, M)):
- chatbot: daily users on a Bass curve from the firm's first release (dau_target, adoption_p,
  adoption_q) x the `tokens_per_day` formula's tokens per user-day x an intensity that grows
  with the years since the first release, min(intensity_ceiling, (1 + intensity_growth)^years)
  (longer answers, reasoning, agents, multimodal);
- API, enterprise and in-product traffic: its own logistic path, api_tokens_ceiling /
  (1 + exp(-api_rate x (t - api_midpoint))) from the first release, not tied to chatbot users.
The served model is the latest listed release out by the month's end, or a later generation
(chipcast.model.training.Generations), whose parameters grow by active_params_growth a year.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from chipcast.model.compute import SECONDS_PER_DAY, chips_busy
from chipcast.model.formulas import Formula
from chipcast.model.params import ParamSet
from chipcast.model.structure import DAYS_PER_MONTH, Structure
from chipcast.model.training import Generations

CHAT_VARIABLES = ("questions_per_user_day", "words_per_answer", "tokens_per_word",
                  "prompt_tokens")
GROWN = ("active_params", "total_params")  # what a later generation scales


def bass_adoption(p: np.ndarray, q: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Bass diffusion: cumulative adoption share F(t) in [0, 1] after `years` (0 where < 0)."""
    t = np.maximum(years, 0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(-(p + q) * t)
        f = (1.0 - e) / (1.0 + (q / p) * e)
    return np.where(years >= 0, np.nan_to_num(f, nan=0.0), 0.0)


def logistic(ceiling: np.ndarray, rate: np.ndarray, midpoint: np.ndarray,
             t: np.ndarray) -> np.ndarray:
    """ceiling / (1 + exp(-rate (t - midpoint))), overflow-safe."""
    with np.errstate(over="ignore"):
        return ceiling / (1.0 + np.exp(np.minimum(-rate * (t - midpoint), 700.0)))


@dataclass(frozen=True)
class Serving:
    """What serving reads per firm and month, shared by the compute and roofline modes."""

    usage: dict[str, np.ndarray]  # usage metric -> (D, F, 1)
    variables: dict[str, np.ndarray]  # the tokens_per_day formula's variables, (D, F, M|1)
    tokens: np.ndarray  # (D, F, M) tokens a day: chatbot x intensity + API
    live: np.ndarray  # (F, M) bool: a model is out
    index: np.ndarray  # (F, M) listed release served (0 where none is live)
    generation: np.ndarray  # (D, F, M) later generations out (0: a listed release is served)
    gens: Generations
    st: Structure
    ps: ParamSet

    @cached_property
    def growth(self) -> np.ndarray:
        """(D, F, M) how much a later generation's parameters have grown since the firm's last
        listed release (1 where a listed release is served: pow only where needed)."""
        years = self.generation * self.gens.interval_days[:, :, None] / (12 * DAYS_PER_MONTH)
        base = np.nan_to_num(self.gens.params_growth[:, :, None], nan=1.0)
        later = self.generation > 0
        return np.power(np.broadcast_to(base, years.shape), np.nan_to_num(years),
                        out=np.ones(years.shape), where=later)

    @cached_property
    def _last(self) -> np.ndarray:
        rel = self.st.releases
        return np.where(rel.last >= 0, rel.last, 0)

    def served(self, metric: str) -> np.ndarray:
        """A model_classes metric of the model each firm serves each month, (D, F, M): the
        listed release's, or for a later generation its parameters grown from the last one."""
        values = self.ps.stack(self.st.releases.ids[metric])  # (D, R)
        listed = values[:, self.index]
        at_last = values[:, self._last][:, :, None]  # (D, F, 1)
        if metric in GROWN:
            grown = at_last * self.growth
        else:
            grown = np.broadcast_to(at_last, listed.shape)
        return np.where(self.generation > 0, grown, listed)

    def flops_per_token(self, formula: Formula) -> np.ndarray:
        """FLOPs per token served x compute_multiplier, (D, F, M), for the model serving the
        average token (the flagship's parameters x served_model_fraction); 0 before the first
        model."""
        fraction = self.usage["served_model_fraction"] * self.live
        params = {"active_params": self.served("active_params") * fraction,
                  "total_params": self.served("total_params") * fraction}
        return formula.evaluate(params) * self.served("compute_multiplier")


def serving(st: Structure, ps: ParamSet, gens: Generations) -> Serving:
    """Usage inputs, tokens a day and the model served, for every firm and month."""
    rel = st.releases
    u = {m: ps.stack(ids)[:, :, None] for m, ids in st.usage_ids.items()}
    years = rel.years_live[None]  # (1, F, M)
    dau = u["dau_target"] * bass_adoption(u["adoption_p"], u["adoption_q"], years)
    variables = {"dau": dau, **{m: u[m] for m in CHAT_VARIABLES}}
    chat = st.formulas["tokens_per_day"].evaluate(variables)
    with np.errstate(over="ignore"):
        intensity = np.minimum(u["intensity_ceiling"],
                               (1.0 + u["intensity_growth"]) ** np.maximum(years, 0.0))
    live = rel.serve >= 0
    api = logistic(u["api_tokens_ceiling"], u["api_rate"], u["api_midpoint"],
                   st.month_decimal_year[None, None, :]) * live
    tokens = chat * intensity + api
    generation = gens.out_by(st.month_end) if gens.count else np.zeros(tokens.shape)
    return Serving(u, variables, tokens, live, np.where(live, rel.serve, 0),
                   generation * live, gens, st, ps)


def inference_need(st: Structure, ps: ParamSet, sv: Serving) -> np.ndarray:
    """A100-equivalents serving the firms' tokens, (D, F, M), compute-bound."""
    flops_day = sv.flops_per_token(st.formulas["inference_flops_per_token"]) * sv.tokens
    u = sv.usage
    busy = chips_busy(flops_day, ps[st.reference_id][:, None, None], u["serving_utilization"],
                      SECONDS_PER_DAY)
    return busy * u["peak_to_average"]
