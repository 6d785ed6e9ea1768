"""Which uncertain inputs move the headline outputs: a tornado table and Sobol indices.

- Tornado: every uncertain input at its P10 and P90 (`law.ppf`), all others at their median
  (fixed inputs at their value); `low`/`high` are the headline there, `swing = |high - low|`,
  rows sorted by swing. One vectorised model call of 1 + 2d draws.
- Sobol: first-order (S1) and total (ST) indices through `scipy.stats.sobol_indices`
  (Saltelli 2010), `n` base samples (a power of 2, default 1024), 95 % bootstrap half-widths in
  `s1_conf` / `st_conf` when n <= 1024 (scipy's BCa bootstrap costs O(n^2)). Cost: n x (d + 2)
  model evaluations for d uncertain inputs, e.g. 98,304 for the base scenario's ~94 inputs
  (about a minute); all headlines come from the same
  evaluations. Sobol indices assume independent inputs: the copula of correlations.csv is not
  applied here (the tornado ignores it too), so correlated groups are read one input at a time.
- Given data (the default run's, no extra model runs): on the Monte Carlo's own draws, the binned
  first-order index (`binned_s1`) of every input and, for the inputs with the largest, the
  moment-independent PAWN index (`pawn_median`: SALib's pawn.analyze on scipy's KS distance,
  without the p-value SALib discards). Correlated inputs carry their partners' effect here.
  The bootstrap resamples are ranked by counting from one sort of the draws (`_tie_keys`,
  `_bin_sums`), not sorted again; tests/fixtures/given_data_reference.py keeps the sorting code
  they equal.

Output (`sensitivity` table, run_id added by the caller; grain scenario x headline x input x
method): scenario, headline, input (param id), method ('tornado' | 'sobol' | 'given_data'), low,
high, swing, baseline (headline with every input at its median), input_low, input_high (the
input's P10 and P90), s1, s1_conf, st, st_conf, pawn, unit (the headline's). Tornado rows leave
s1..pawn null, Sobol rows leave low..input_high and pawn null, given-data rows fill s1, s1_conf
and pawn only.
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numba
import numpy as np
import polars as pl
from scipy.stats import ks_2samp, sobol_indices

from chipcast.contracts import HEADLINES
from chipcast.inputs import Inputs
from chipcast.model.demand import simulate
from chipcast.model.params import Parameter, ParamSet, parameters
from chipcast.model.series import headlines
from chipcast.model.structure import Structure, compile_structure
from chipcast.uncertainty.sampling import uncertain_ids

TORNADO_QUANTILES = (0.1, 0.9)
SOBOL_N = 1024
SOBOL_CONFIDENCE = 0.95
SOBOL_RESAMPLES = 99
CONF_MAX_N = 1024
COLUMNS = ["scenario", "headline", "input", "method", "low", "high", "swing", "baseline",
           "input_low", "input_high", "s1", "s1_conf", "st", "st_conf", "pawn", "unit"]
METHODS = ("tornado", "sobol", "given_data")
GIVEN_DATA_TOP = 12  # PAWN (the costlier index) for the inputs with the largest S1 only
PAWN_SLIDES = 10  # PAWN's conditioning intervals (SALib's default S)
GIVEN_RESAMPLES = 10  # bootstrap resamples of the given-data S1 (all inputs and headlines each)
GIVEN_CONFIDENCE = 0.95
# numpy's global RandomState is one per process: two Sobol bootstraps in threads (Dask's threaded
# workers, a thread pool of tasks) would interleave their seed-draw-restore and differ run to run
_GLOBAL_RNG = threading.Lock()
SCHEMA = {c: (pl.Utf8 if c in ("scenario", "headline", "input", "method", "unit") else pl.Float64)
          for c in COLUMNS}


def headline_model(
    st: Structure, params: Mapping[str, Parameter], ids: Sequence[str],
    fixed: Mapping[str, float] | None = None, chunk: int = 4096,
) -> Callable[[np.ndarray], np.ndarray]:
    """f(x) -> headlines: x (len(ids), n) input values -> (len(HEADLINES), n).

    Inputs not in `ids` stay at `fixed` (default: their point value). Evaluated `chunk` draws at a
    time so memory stays bounded."""
    base = {k: np.array([fixed.get(k, p.value) if fixed else p.value])
            for k, p in params.items()}
    names = list(HEADLINES)

    def f(x: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(x)
        n = x.shape[1]
        out = np.empty((len(names), n))
        for j in range(0, n, chunk):
            part = x[:, j:j + chunk]
            ps = ParamSet({**base, **{pid: part[i] for i, pid in enumerate(ids)}}, part.shape[1])
            h = headlines(st, simulate(st, ps))
            out[:, j:j + chunk] = np.stack([h[k] for k in names])
        return out

    return f


def _medians(params: Mapping[str, Parameter], ids: Sequence[str]) -> dict[str, float]:
    return {pid: float(params[pid].law.median()) for pid in ids}


def tornado(inputs: Inputs, structure: Structure | None = None) -> pl.DataFrame:
    """Tornado rows for every headline x uncertain input (module docstring), sorted by swing."""
    st = structure or compile_structure(inputs)
    params = parameters(inputs)
    ids = uncertain_ids(params)
    if not ids:
        return pl.DataFrame(schema=SCHEMA)
    med = _medians(params, ids)
    lo = np.array([params[p].law.ppf(TORNADO_QUANTILES[0]) for p in ids])
    hi = np.array([params[p].law.ppf(TORNADO_QUANTILES[1]) for p in ids])
    d = len(ids)
    # columns: all at median, then input j at P10 (1..d), then at P90 (d+1..2d)
    x = np.tile(np.array([med[p] for p in ids])[:, None], (1, 1 + 2 * d))
    x[np.arange(d), 1 + np.arange(d)] = lo
    x[np.arange(d), 1 + d + np.arange(d)] = hi
    y = headline_model(st, params, ids, fixed=med)(x)
    rows = []
    for h, name in enumerate(HEADLINES):
        low, high = y[h, 1:1 + d], y[h, 1 + d:]
        for j, pid in enumerate(ids):
            rows.append({"scenario": st.scenario, "headline": name, "input": pid,
                         "method": "tornado", "low": low[j], "high": high[j],
                         "swing": abs(high[j] - low[j]), "baseline": y[h, 0],
                         "input_low": lo[j], "input_high": hi[j], "unit": HEADLINES[name].unit})
    out = pl.DataFrame(rows, schema_overrides=SCHEMA)
    return (out.with_columns([pl.lit(None, pl.Float64).alias(c)
                              for c in ("s1", "s1_conf", "st", "st_conf", "pawn")])
            .select(COLUMNS)
            .sort(["headline", "swing", "input"], descending=[False, True, False]))


def sobol_table(
    func: Callable[[np.ndarray], np.ndarray], dists: Sequence[Any], ids: Sequence[str],
    outputs: Sequence[str], n: int = SOBOL_N, seed: int = 20231,
    confidence: bool | None = None,
) -> pl.DataFrame:
    """S1/ST and 95 % bootstrap half-widths for each output x input: columns output, input, s1,
    s1_conf, st, st_conf. `func` maps (d, m) inputs to (len(outputs), m).

    scipy's bootstrap is BCa, whose jackknife costs O(n^2): the half-widths are computed when
    `confidence` is True, or by default when n <= CONF_MAX_N, and are null otherwise."""
    if n <= 0 or n & (n - 1):
        raise ValueError(f"Sobol n must be a power of 2, got {n}")
    res = sobol_indices(func=func, n=n, dists=list(dists), rng=np.random.default_rng(seed))
    k, d = len(outputs), len(ids)
    s1 = np.reshape(res.first_order, (k, d))
    st = np.reshape(res.total_order, (k, d))
    s1_conf = st_conf = np.full((k, d), np.nan)
    if confidence or (confidence is None and n <= CONF_MAX_N):
        # scipy's SobolResult.bootstrap takes no rng and resamples from numpy's global
        # RandomState: seed it from `seed` for this call (then restore it), so the half-widths
        # are reproducible like the indices (a cached or Dask-computed table equals a fresh one).
        with _GLOBAL_RNG:
            state = np.random.get_state()
            np.random.seed(seed % 2**32)  # noqa: NPY002 - the only way to seed scipy's bootstrap
            try:
                with warnings.catch_warnings():
                    # constant outputs (e.g. a headline no input moves) make BCa degenerate:
                    # NaN is right
                    warnings.simplefilter("ignore")
                    boot = res.bootstrap(confidence_level=SOBOL_CONFIDENCE,
                                         n_resamples=SOBOL_RESAMPLES)
            finally:
                np.random.set_state(state)
        ci1, cit = boot.first_order.confidence_interval, boot.total_order.confidence_interval
        s1_conf = np.reshape((np.asarray(ci1.high) - np.asarray(ci1.low)) / 2, (k, d))
        st_conf = np.reshape((np.asarray(cit.high) - np.asarray(cit.low)) / 2, (k, d))
    return pl.DataFrame({
        "output": np.repeat(np.asarray(outputs, dtype=object), d).astype(str),
        "input": np.tile(np.asarray(ids, dtype=object), k).astype(str),
        "s1": s1.ravel(), "s1_conf": s1_conf.ravel(), "st": st.ravel(),
        "st_conf": st_conf.ravel(),
    }).fill_nan(None)


def sobol(inputs: Inputs, n: int = SOBOL_N, seed: int = 20231,
          structure: Structure | None = None) -> pl.DataFrame:
    """Sobol rows for every headline x uncertain input (module docstring), sorted by ST."""
    st = structure or compile_structure(inputs)
    params = parameters(inputs)
    ids = uncertain_ids(params)
    if not ids:
        return pl.DataFrame(schema=SCHEMA)
    table = sobol_table(headline_model(st, params, ids), [params[p].law for p in ids], ids,
                        list(HEADLINES), n=n, seed=seed)
    out = table.rename({"output": "headline"}).with_columns(
        pl.lit(st.scenario).alias("scenario"),
        pl.lit("sobol").alias("method"),
        pl.col("headline").replace_strict({k: h.unit for k, h in HEADLINES.items()}).alias("unit"),
        *(pl.lit(None, pl.Float64).alias(c)
          for c in ("low", "high", "swing", "baseline", "input_low", "input_high", "pawn")),
    )
    return (out.select(COLUMNS).cast(SCHEMA)  # type: ignore[arg-type]
            .sort(["headline", "st", "input"], descending=[False, True, False]))


def sensitivity(inputs: Inputs, n: int = SOBOL_N, seed: int = 20231,
                methods: Sequence[str] = ("tornado", "sobol")) -> pl.DataFrame:
    """Tornado and Sobol (Saltelli: n x (d + 2) model runs) rows of one scenario in the
    `sensitivity` table's columns; given-data rows come from a Monte Carlo's own draws
    (`given_data`)."""
    st = compile_structure(inputs)
    frames = []
    if "tornado" in methods:
        frames.append(tornado(inputs, st))
    if "sobol" in methods:
        frames.append(sobol(inputs, n=n, seed=seed, structure=st))
    return pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=SCHEMA)


def binned_bins(n: int) -> int:
    """Equal-count bins of the first-order estimator for n draws: SALib delta's rule
    (`SALib.analyze.delta`: ceil(n^(2 / (7 + tanh((1500 - n) / 500)))), at most 48); 16 for
    4,096 draws."""
    exponent = 2.0 / (7.0 + np.tanh((1500.0 - n) / 500.0))
    return int(np.round(min(int(np.ceil(n**exponent)), 48)))


def _tie_keys(x: np.ndarray) -> np.ndarray:
    """For every draw (row of x, (n, d)) and input: the number of draws with a strictly smaller
    value, (d, n) int32 (int64 beyond 2^31 draws). Equal values share a key (NaNs too, which a
    sort puts last in draw order), so a stable sort of any resample by key is its stable sort
    by value. The keys depend on the values only, so any sort will do: numpy's default (not
    stable, faster) on each input's contiguous row."""
    rows = np.ascontiguousarray(np.asarray(x, float).T)
    order = np.argsort(rows, axis=1)
    keys = np.empty(rows.shape, dtype=np.int32 if rows.shape[1] < 2**31 else np.int64)
    _keys_from_order(rows, order, keys)
    return keys


@numba.njit(cache=True, parallel=True)
def _keys_from_order(rows: np.ndarray, order: np.ndarray,
                     keys: np.ndarray) -> None:  # pragma: no cover - compiled
    """keys[i, order[i, p]] = the first sorted position p of its run of equal values (NaNs one
    run), written in place; rows (d, n) values, order (d, n) each row's sorting permutation."""
    d, n = rows.shape
    for i in numba.prange(d):
        first = 0
        for p in range(n):
            if p > 0:
                a, b = rows[i, order[i, p]], rows[i, order[i, p - 1]]
                if a != b and not (np.isnan(a) and np.isnan(b)):
                    first = p
            keys[i, order[i, p]] = first


@numba.njit(cache=True, parallel=True)
def _bin_sums(keys: np.ndarray, idx: np.ndarray, dev: np.ndarray,
              bins: int) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Draw counts (d, bins) and output deviation sums (d, bins, H) per input and equal-count
    bin of the resample `idx` (its draw k is original draw idx[k]; dev (n, H) its deviations).

    Ranks by a counting sort of the tie keys (`_tie_keys`), ties in resample order: what
    np.argsort(x[idx], kind="stable") gives, one O(n) pass per input instead of a sort. Each
    sum adds its draws in resample order from 0.0, as np.bincount does, so bit for bit the same.
    Inputs run in parallel: each writes only its own rows."""
    d, n = keys.shape
    heads = dev.shape[1]
    counts = np.zeros((d, bins), dtype=np.int64)
    sums = np.zeros((d, bins, heads))
    for i in numba.prange(d):
        row = keys[i]
        drawn = np.empty(n, dtype=keys.dtype)  # the resample's keys, gathered once
        nxt = np.zeros(n, dtype=keys.dtype)
        for k in range(n):
            key = row[idx[k]]
            drawn[k] = key
            nxt[key] += 1
        first = 0
        for v in range(n):  # the first (0-based) rank of each key
            c = nxt[v]
            nxt[v] = first
            first += c
        for k in range(n):
            key = drawn[k]
            rank = np.int64(nxt[key]) + 1
            nxt[key] = rank
            b = (rank * bins + n - 1) // n - 1
            counts[i, b] += 1
            for h in range(heads):
                sums[i, b, h] += dev[k, h]
    return counts, sums


def _correlation_ratio(x: np.ndarray, y: np.ndarray, bins: int,
                       idx: np.ndarray | None = None, keys: np.ndarray | None = None
                       ) -> np.ndarray:
    """Var(E[y | bin of x_i]) / Var(y) over `bins` equal-count bins of each input's ranks, for
    every output (columns of y, (n, H)) and input (columns of x, (n, d)): (H, d). Draw k of
    rank r (1-based, ties in draw order) falls in bin ceil(r bins / n) - 1, SALib delta's
    `sobol_first` partition, so each value equals that function's (a test compares them).

    With `idx` ((n,) draw numbers), the ratio of the resample x[idx], y[idx], its ranks counted
    from `keys` (`_tie_keys(x)`, computed once for all resamples) rather than sorted again."""
    n, d = x.shape
    if keys is None:
        keys = _tie_keys(x)
    # the deviations and variances from the same numpy expressions on the same arrays as the
    # reference (y itself, else the copy y[idx]): a reduction's rounding follows the layout
    yy = y if idx is None else y[idx]
    if idx is None:
        idx = np.arange(n)
    heads = yy.shape[1]
    dev = np.empty((n, heads))
    var = np.zeros(heads)
    for h in range(heads):
        dev_h = yy[:, h] - yy[:, h].mean()
        var[h] = float(np.mean(dev_h**2))
        dev[:, h] = dev_h
    counts, sums = _bin_sums(keys, idx, dev, bins)
    out = np.zeros((heads, d))
    for h in range(heads):
        if var[h] <= 0.0:
            continue  # a constant output moves with nothing
        with np.errstate(invalid="ignore", divide="ignore"):
            between = np.where(counts > 0, sums[:, :, h] ** 2 / np.maximum(counts, 1),
                               0.0).sum(axis=1)
        out[h] = between / n / var[h]
    return out


def binned_s1(x: np.ndarray, y: np.ndarray, resamples: int = GIVEN_RESAMPLES,
              seed: int = 20231) -> tuple[np.ndarray, np.ndarray]:
    """Given-data first-order indices of every input (columns of x, (n, d)) on every output
    (columns of y, (n, H)): the correlation ratio over equal-count bins (SALib delta's S1
    estimator, Plischke 2010) with its null bias removed, and bootstrap 95 % half-widths; both
    (H, d), dimensionless.

    Why this estimator: it reads each input's effect from bin means, whatever order the other
    inputs take inside a bin, so it holds on the Monte Carlo's scrambled Sobol' draws, where
    RBD-FAST (which assumes the other inputs in random order along the sorted input) ranked
    vendor shares of minor years above the segment drivers (bench/RESULTS.md). Bias: an input
    that moves nothing still shows a ratio of about b = (B - 1) / (n - 1) for B bins on draws
    that are random within each input's bins, which over base's 265 inputs sums to about 1, so
    S1 = (ratio - b) / (1 - b). The Monte Carlo's draws (scrambled Sobol' points in 265
    dimensions through the correlation copula) behave so: corrected, the S1 of base's first
    headline sum to 0.96 against Saltelli's 0.92. Low-dimensional Sobol' points are more
    balanced than that, and there the correction takes about b from each idle input. The
    half-widths resample the draws with replacement `resamples` times from `seed`."""
    from scipy.stats import norm

    x, y = np.asarray(x, float), np.asarray(y, float)  # the kept sample may be float32
    n = x.shape[0]
    bins = binned_bins(n)
    null = (bins - 1) / (n - 1)

    def unbiased(ratio: np.ndarray) -> np.ndarray:
        return (ratio - null) / (1.0 - null)

    keys = _tie_keys(x)  # one sort of the draws: every resample's ranks follow from it
    s1 = unbiased(_correlation_ratio(x, y, bins, keys=keys))
    conf = np.full_like(s1, np.nan)
    if resamples > 1:
        rng = np.random.default_rng(seed)
        boot = np.stack([unbiased(_correlation_ratio(x, y, bins, idx, keys))
                         for idx in (rng.integers(0, n, n) for _ in range(resamples))])
        conf = norm.ppf(0.5 + GIVEN_CONFIDENCE / 2.0) * boot.std(axis=0, ddof=1)
    return s1, conf


def _ks_distance(a: np.ndarray, b: np.ndarray) -> float:
    """The two-sample Kolmogorov-Smirnov distance of a and b, max |F_a - F_b|: an exact
    multiple h / lcm(n1, n2) of the samples' sizes, returned as that fraction correctly rounded.
    scipy's `ks_2samp` statistic (method `asymp`: no p-value) gives it to within a few ulps,
    far closer than 1 / (2 lcm), so rounding to the nearest multiple recovers h. This is also
    what `ks_2samp`'s default reports up to 10,000 draws a sample (its exact path rounds so);
    beyond that its float differs from the fraction by a few ulps. NaN when a value is NaN
    (scipy's default NaN policy)."""
    d = float(ks_2samp(a, b, method="asymp").statistic)
    if math.isnan(d):
        return d
    lcm = len(a) // math.gcd(len(a), len(b)) * len(b)
    return int(np.round(d * lcm)) / lcm


def pawn_median(x: np.ndarray, y: np.ndarray, slides: int = PAWN_SLIDES) -> np.ndarray:
    """The PAWN index (Pianosi and Wagener 2015, 2018) of every input (columns of x, (n, d))
    on one output y (n,): the median over `slides` equal-count intervals of the input of the
    Kolmogorov-Smirnov distance between the output's draws in the interval and all its draws;
    (d,), dimensionless, NaN where no interval holds a draw.

    SALib's `pawn.analyze` (median), NaN handling and interval edges included (an interval
    holds x in [edge, next edge): the largest x falls in none); a test holds it to the bit at
    the sample sizes given_data uses (SAMPLE_DRAWS). Why not call it: it asks scipy's `ks_2samp`
    for the default p-value, exact at these sizes, which it discards and which is ~95 % of its
    time (6.7 of 7.0 s of a default run), and it seeds numpy's global random state as a side
    effect. The distance here is `_ks_distance`, scipy's statistic as an exact fraction."""
    step = 1 / slides
    edges_at = np.arange(0, 1 + step, step)  # SALib's quantile levels, float steps included
    out = np.full(x.shape[1], np.nan)
    for j in range(x.shape[1]):
        xj = x[:, j]
        edges = np.nanquantile(xj, edges_at)
        dist = np.full(slides, np.nan)
        for k in range(slides):
            inside = y[(xj >= edges[k]) & (xj < edges[k + 1])]
            if len(inside):
                dist[k] = _ks_distance(inside, y)
        if not np.isnan(dist).all():
            out[j] = np.nanmedian(dist)
    return out


def given_data(scenario: str, x: np.ndarray, ids: Sequence[str], y: np.ndarray,
               seed: int = 20231) -> pl.DataFrame:
    """Sensitivity from draws already made (no extra model runs): for every headline (columns
    of `y`, HEADLINES order) and input (columns of `x`, param ids `ids`), the binned
    first-order index (`binned_s1`: `s1`, with a bootstrap 95 % half-width `s1_conf`) and, for the
    GIVEN_DATA_TOP inputs by S1, the moment-independent PAWN index (`pawn`, the median KS
    distance between conditional and unconditional output distributions). Both read the
    sample as given: with correlated inputs (correlations.csv) an index also carries its
    partners' effect. Rows: method 'given_data'."""
    d = len(ids)
    if d == 0 or x.shape[0] < 64:
        return pl.DataFrame(schema=SCHEMA)
    rows = []
    s1_all, conf_all = binned_s1(x, y, GIVEN_RESAMPLES, seed)
    for h, name in enumerate(HEADLINES):
        out = y[:, h]
        if np.ptp(out) <= 1e-12 * max(abs(out).max(), 1.0):
            s1 = np.zeros(d)
            conf = np.zeros(d)
            pawn_idx: dict[int, float] = {}
        else:
            s1, conf = s1_all[h], conf_all[h]
            top = np.argsort(-s1)[:GIVEN_DATA_TOP]
            pawn_idx = dict(zip(top.tolist(), pawn_median(x[:, top], out), strict=True))
        for j, pid in enumerate(ids):
            rows.append({"scenario": scenario, "headline": name, "input": pid,
                         "method": "given_data", "s1": float(s1[j]), "s1_conf": float(conf[j]),
                         "pawn": pawn_idx.get(j), "unit": HEADLINES[name].unit})
    out_frame = pl.DataFrame(rows, schema_overrides=SCHEMA)
    missing = [c for c in COLUMNS if c not in out_frame.columns]
    return (out_frame.with_columns([pl.lit(None, SCHEMA[c]).alias(c) for c in missing])
            .select(COLUMNS).sort(["headline", "s1", "input"], descending=[False, True, False]))
