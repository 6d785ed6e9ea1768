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
from typing import NamedTuple

import numba
import numpy as np

from chipcast.model.compute import SECONDS_PER_DAY, TERA, chips_busy
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



# The compiled compute-mode path (issue 13). `serving` + `inference_need` above in four passes
# over (draw, firm, month), with the same operations in the same order:
# 1. compiled, one draw per thread: the exponents of the Bass and API curves and the served
#    model (a gather over releases, a later generation's growth pow once per generation);
# 2. numpy's exp and power on whole arrays, in place: the very functions the numpy path calls
#    (SIMD, several times faster than a compiled scalar exp or pow), so bit-identical;
# 3. compiled: daily users and API tokens from the exponentials;
# 4. the data formulas (tokens_per_day, inference_flops_per_token) once per chunk, vectorised
#    by Formula.evaluate (its own error checks), then compiled: tokens and A100-equivalents.
_CURVE_METRICS = ("dau_target", "adoption_p", "adoption_q", "api_tokens_ceiling", "api_rate",
                  "api_midpoint", "served_model_fraction")
_SERVED = ("active_params", "total_params", "compute_multiplier")
_FLOAT_MAX = float(np.finfo(float).max)


@numba.njit(cache=True, inline="always")
def _nan_to_num(x: float, nan: float) -> float:  # pragma: no cover
    """np.nan_to_num of one value: NaN -> `nan`, +-inf -> the largest finite float."""
    if np.isnan(x):
        return nan
    if np.isinf(x):
        return _FLOAT_MAX if x > 0 else -_FLOAT_MAX
    return x


@numba.njit(cache=True, inline="always")
def _minimum(a: float, b: float) -> float:  # pragma: no cover
    """np.minimum of two values (NaN propagates)."""
    if np.isnan(a) or np.isnan(b):
        return np.nan
    return a if a <= b else b


@numba.njit(cache=True, inline="always")
def served_generation(count: int, on: float, elapsed: float,
                      step: float) -> float:  # pragma: no cover
    """Later generations out (Generations.out_by x live): clip(floor(elapsed / interval),
    0, K), 0 where no model is live (on = 0)."""
    # no division where the result is known to be 0: no model live (x 0), or the last
    # listed release not yet out (floor of a quotient <= 0, clipped)
    if count > 0 and on > 0 and not (elapsed <= 0 and step > 0):
        n = np.floor(elapsed / step)
        return min(max(_nan_to_num(n, 0.0), 0.0), float(count))
    return 0.0


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _exponents(u: np.ndarray, years_live: np.ndarray, live: np.ndarray, t_dec: np.ndarray,
               month_end: np.ndarray, last_day: np.ndarray, interval: np.ndarray,
               growth_k: np.ndarray, count: int, index: np.ndarray, last_r: np.ndarray,
               rv: np.ndarray, bass: np.ndarray, api: np.ndarray, active: np.ndarray,
               total: np.ndarray, mult: np.ndarray) -> None:  # pragma: no cover
    """Per draw (one thread each), firm and month: the exponents of the Bass curve (bass) and
    of the API logistic (api), and the served model's active and total parameters x the
    served fraction and its compute_multiplier. u: the _CURVE_METRICS (D, F, 7); rv: the
    _SERVED metrics of each listed release (D, 3, R); growth_k (D, F, K + 1): the parameters'
    growth of generation k (numpy's power, as Serving.growth)."""
    n_d, n_f, n_m = bass.shape
    for d in numba.prange(n_d):
        gens = np.empty(n_m)
        for f in range(n_f):
            p, q = u[d, f, 1], u[d, f, 2]
            rate, midpoint, fraction_in = u[d, f, 4], u[d, f, 5], u[d, f, 6]
            step = interval[d, f]
            lr = last_r[f]
            neg_pq, neg_rate = -(p + q), -rate
            for m in range(n_m):  # arithmetic only: the compiler vectorises this loop
                bass[d, f, m] = neg_pq * max(years_live[f, m], 0.0)
                api[d, f, m] = _minimum(neg_rate * (t_dec[m] - midpoint), 700.0)
            for m in range(n_m):  # the generations in a loop of their own: it vectorises
                on = 1.0 if live[f, m] else 0.0
                gens[m] = served_generation(count, on, month_end[m] - last_day[f], step)
            for m in range(n_m):
                on = 1.0 if live[f, m] else 0.0
                gen = gens[m]
                fraction = fraction_in * on
                if gen > 0:
                    growth = growth_k[d, f, int(gen)]
                    active[d, f, m] = rv[d, 0, lr] * growth * fraction
                    total[d, f, m] = rv[d, 1, lr] * growth * fraction
                    mult[d, f, m] = rv[d, 2, lr]
                else:
                    r = index[f, m]
                    active[d, f, m] = rv[d, 0, r] * fraction
                    total[d, f, m] = rv[d, 1, r] * fraction
                    mult[d, f, m] = rv[d, 2, r]


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _users_api(u: np.ndarray, years_live: np.ndarray, live: np.ndarray, bass: np.ndarray,
               api: np.ndarray) -> None:  # pragma: no cover
    """From the exponentials: daily users (written over `bass`) = dau_target x the Bass share
    (1 - e) / (1 + q/p e) (0 before the first release); API tokens a day (over `api`) =
    ceiling / (1 + e) while a model is live."""
    n_d, n_f, n_m = bass.shape
    for d in numba.prange(n_d):
        for f in range(n_f):
            target, p, q, api_ceiling = u[d, f, 0], u[d, f, 1], u[d, f, 2], u[d, f, 3]
            for m in range(n_m):
                e = bass[d, f, m]
                adopted = (1.0 - e) / (1.0 + (q / p) * e)
                share = _nan_to_num(adopted, 0.0) if years_live[f, m] >= 0 else 0.0
                bass[d, f, m] = target * share
                api[d, f, m] = api_ceiling / (1.0 + api[d, f, m]) * (1.0 if live[f, m] else 0.0)


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _tokens_chips(chat: np.ndarray, intensity: np.ndarray, api: np.ndarray, per_token: np.ndarray,
                  mult: np.ndarray, ref: np.ndarray, util: np.ndarray, peak_to_average: np.ndarray,
                  tokens: np.ndarray, chips: np.ndarray) -> None:  # pragma: no cover
    """tokens = chat x intensity + API; A100-e = FLOPs a day / (ref TFLOPS x 1e12 x
    utilization) / seconds a day x peak_to_average, per (draw, firm, month)."""
    n_d, n_f, n_m = tokens.shape
    for d in numba.prange(n_d):
        for f in range(n_f):
            denominator = ref[d] * TERA * util[d, f]
            pta = peak_to_average[d, f]
            for m in range(n_m):
                served = chat[d, f, m] * intensity[d, f, m] + api[d, f, m]
                tokens[d, f, m] = served
                flops_day = per_token[d, f, m] * mult[d, f, m] * served
                chips[d, f, m] = flops_day / denominator / SECONDS_PER_DAY * pta


def _full(value: object, shape: tuple[int, ...]) -> np.ndarray:
    """A formula's value as a float64 array of `shape` (a formula not reading the month-
    varying variables returns (D, F, 1), one without variables a float)."""
    arr = np.asarray(value, dtype=float)
    return arr if arr.shape == shape else np.ascontiguousarray(np.broadcast_to(arr, shape))


def _growth_by_generation(gens: Generations, n_d: int, n_f: int) -> np.ndarray:
    """(D, F, K + 1) how much generation k's parameters have grown since the firm's last
    listed release (Serving.growth's expression, for each k instead of each month)."""
    k = np.arange(gens.count + 1, dtype=float)
    interval = np.broadcast_to(gens.interval_days, (n_d, n_f))[:, :, None]
    years = k * interval / (12 * DAYS_PER_MONTH)
    base = np.nan_to_num(np.broadcast_to(gens.params_growth, (n_d, n_f))[:, :, None], nan=1.0)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.ascontiguousarray(np.power(base, np.nan_to_num(years)))


class Compiled(NamedTuple):
    """Passes 1-4 of the compiled serving, each (D, F, M) float64 unless said: the chatbot's
    tokens a day before intensity (chat), the intensity, API tokens a day, FLOPs per token of
    the `inference_flops_per_token` formula before compute_multiplier (per_token), the served
    model's compute_multiplier (mult) and its active and total parameters x the served fraction
    (active, total); `usage`: the usage metrics read, (D, F, 1); dau: daily users."""

    chat: np.ndarray
    intensity: np.ndarray
    api: np.ndarray
    per_token: np.ndarray
    mult: np.ndarray
    active: np.ndarray
    total: np.ndarray
    usage: dict[str, np.ndarray]
    # daily users: held until the caller returns, as the single-function path held it.
    # Freeing it when compiled_serving returned made `simulate` on base 8-10 ms slower on one
    # thread (measured, 3 runs each; the later stages, not this one, slowed: presumably the
    # allocator's mmap threshold moving and their arrays page-faulting)
    dau: np.ndarray


def f64(a: np.ndarray | float, dims: tuple[int, ...]) -> np.ndarray:
    """`a` broadcast to `dims`, as a C-contiguous float64 array (a kernel's argument)."""
    return np.ascontiguousarray(np.broadcast_to(a, dims), dtype=float)


def compiled_serving(st: Structure, ps: ParamSet, gens: Generations) -> Compiled:
    """`serving`'s arrays (and the model served), compiled in the passes described above;
    tokens = chat x intensity + api is left to the last pass of each mode."""
    rel = st.releases
    n_d, n_f, n_m = ps.n_draws, len(st.firms), st.months.size
    shape = (n_d, n_f, n_m)
    u = np.stack([ps.stack(st.usage_ids[m]) for m in _CURVE_METRICS], axis=2)
    rv = np.stack([ps.stack(rel.ids[m]) for m in _SERVED], axis=1)
    if rv.shape[2] == 0:  # no listed release: nothing is served, but index 0 must exist
        rv = np.zeros((n_d, len(_SERVED), 1))
    live = rel.serve >= 0
    years_live = np.ascontiguousarray(rel.years_live, dtype=float)

    bass, api = np.empty(shape), np.empty(shape)
    active, total, mult = np.empty(shape), np.empty(shape), np.empty(shape)
    _exponents(u, years_live, live, f64(st.month_decimal_year, (n_m,)),
               f64(st.month_end, (n_m,)), f64(gens.last_day, (n_f,)),
               f64(gens.interval_days, (n_d, n_f)), _growth_by_generation(gens, n_d, n_f),
               gens.count, np.where(live, rel.serve, 0).astype(np.int64),
               np.where(rel.last >= 0, rel.last, 0).astype(np.int64), rv,
               bass, api, active, total, mult)
    with np.errstate(over="ignore", invalid="ignore"):
        np.exp(bass, out=bass)
        np.exp(api, out=api)
        usage = {m: ps.stack(st.usage_ids[m])[:, :, None] for m in
                 ("intensity_growth", "intensity_ceiling", *CHAT_VARIABLES)}
        intensity = np.power(1.0 + usage["intensity_growth"],
                             np.maximum(years_live, 0.0)[None], out=np.empty(shape))
        np.minimum(usage["intensity_ceiling"], intensity, out=intensity)
    _users_api(u, years_live, live, bass, api)
    dau = bass
    chat = _full(st.formulas["tokens_per_day"].evaluate(
        {"dau": dau, **{m: usage[m] for m in CHAT_VARIABLES}}), shape)
    per_token = _full(st.formulas["inference_flops_per_token"].evaluate(
        {"active_params": active, "total_params": total}), shape)
    return Compiled(chat, intensity, api, per_token, mult, active, total, usage, dau)


def compute_inference(st: Structure, ps: ParamSet, gens: Generations,
                      out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(tokens a day, A100-equivalents serving them), each (D, F, M): `serving` followed by
    `inference_need` (compute-bound), compiled. The A100-e are written into `out` when given
    (a (D, F, M) view, e.g. the firms' rows of the buyers' inference array)."""
    n_d, n_f = ps.n_draws, len(st.firms)
    c = compiled_serving(st, ps, gens)
    tokens = np.empty(c.chat.shape)
    chips = np.empty(c.chat.shape) if out is None else out
    _tokens_chips(c.chat, c.intensity, c.api, c.per_token, c.mult,
                  f64(ps[st.reference_id], (n_d,)),
                  f64(ps.stack(st.usage_ids["serving_utilization"]), (n_d, n_f)),
                  f64(ps.stack(st.usage_ids["peak_to_average"]), (n_d, n_f)), tokens, chips)
    return tokens, chips
