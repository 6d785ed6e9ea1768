"""Benchmark (issue 13, target 5): do the given-data indices the default run computes from its
own Monte Carlo draws (binned S1 and PAWN, chipcast.uncertainty.sensitivity.given_data: no
extra model runs) rank the inputs of the base scenario as Saltelli-Sobol does (`--sensitivity
full`: n x (d + 2) model runs)?

Per headline: the top-10 overlap of the given-data S1 ranking with Saltelli's ST and S1
rankings, Spearman's rank correlation over every input (scipy.stats.spearmanr), the sum of S1 by
each method, and the PAWN top inputs against ST's top 12. Saltelli-Sobol draws the inputs
independently while the Monte Carlo carries correlations.csv's groups, where a given-data index
also counts the partners' effect: the last column repeats the top-10 overlap over the inputs in
no correlation group. Both from the run's default draws and
seed; the Sobol base sample `--n` (default chipcast.config.DEFAULT_SENSITIVITY_N). The model
runs and seconds of each method are printed last. Usage:

    .venv/bin/python bench/sensitivity_rank.py [--scenario base] [--n 512]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chipcast.config import DEFAULT_DRAWS, DEFAULT_SEED, DEFAULT_SENSITIVITY_N  # noqa: E402
from chipcast.contracts import HEADLINES  # noqa: E402
from chipcast.inputs import load_inputs  # noqa: E402
from chipcast.project import SHIPPED_DATA  # noqa: E402
from chipcast.uncertainty import sensitivity  # noqa: E402
from chipcast.uncertainty.montecarlo import run_monte_carlo  # noqa: E402
from chipcast.uncertainty.sampling import correlation_matrix  # noqa: E402

TOP = 10


def ranked(frame: pl.DataFrame, column: str) -> list[str]:
    return frame.sort([column, "input"], descending=[True, False])["input"].to_list()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="base")
    parser.add_argument("--n", type=int, default=DEFAULT_SENSITIVITY_N)
    args = parser.parse_args()
    inputs = load_inputs(SHIPPED_DATA, args.scenario)
    start = time.perf_counter()
    mc = run_monte_carlo(inputs, DEFAULT_DRAWS, DEFAULT_SEED)
    mc_s = time.perf_counter() - start
    start = time.perf_counter()
    given = sensitivity.given_data(args.scenario, mc.inputs, mc.input_ids, mc.headlines,
                                   DEFAULT_SEED)
    given_s = time.perf_counter() - start
    start = time.perf_counter()
    sob = sensitivity.sobol(inputs, n=args.n, seed=DEFAULT_SEED)
    sobol_s = time.perf_counter() - start
    d = len(mc.input_ids)
    corr = correlation_matrix(inputs.correlations, mc.input_ids)
    alone = {pid for i, pid in enumerate(mc.input_ids)
             if not np.any(np.delete(corr[i], i) != 0)}
    print(f"{args.scenario}: {d} uncertain inputs; given data from {mc.inputs.shape[0]:,} "
          f"draws of the Monte Carlo; Saltelli-Sobol n {args.n}")
    print(f"{'headline':32s} {'top10 S1~ST':>11s} {'top10 S1~S1':>11s} {'rho(ST)':>8s} "
          f"{'rho(S1)':>8s} {'sum S1 given':>12s} {'sum S1 sobol':>12s} {'PAWN~ST top12':>13s}")
    overlaps: list[int] = []
    alone_overlaps: list[int] = []
    for name in HEADLINES:
        g = given.filter(pl.col("headline") == name)
        s = sob.filter(pl.col("headline") == name)
        both = g.select("input", "s1", "pawn").join(
            s.select("input", pl.col("s1").alias("sobol_s1"), "st"), on="input")
        g_rank, st_rank, s1_rank = ranked(both, "s1"), ranked(both, "st"), ranked(both,
                                                                                  "sobol_s1")
        top_st = len(set(g_rank[:TOP]) & set(st_rank[:TOP]))
        top_s1 = len(set(g_rank[:TOP]) & set(s1_rank[:TOP]))
        rho_st = spearmanr(both["s1"], both["st"].fill_null(0)).statistic
        rho_s1 = spearmanr(both["s1"], both["sobol_s1"].fill_null(0)).statistic
        pawn = both.filter(pl.col("pawn").is_not_null())
        pawn_top = len(set(ranked(pawn, "pawn")) & set(st_rank[:pawn.height]))
        overlaps.append(top_st)
        own = both.filter(pl.col("input").is_in(list(alone)))
        top_alone = len(set(ranked(own, "s1")[:TOP]) & set(ranked(own, "st")[:TOP]))
        alone_overlaps.append(top_alone)
        print(f"{name:32s} {top_st:>8d}/10 {top_s1:>8d}/10 {rho_st:8.2f} {rho_s1:8.2f} "
              f"{both['s1'].sum():12.2f} {both['sobol_s1'].fill_null(0).sum():12.2f} "
              f"{pawn_top:>10d}/{pawn.height} {top_alone:>15d}/10")
    print(f"model runs: given data 0 beyond the Monte Carlo's {DEFAULT_DRAWS:,} "
          f"({mc_s:.0f} s for the Monte Carlo, {given_s:.1f} s for the indices); "
          f"Saltelli-Sobol {args.n * (d + 2):,} ({sobol_s:.0f} s)")
    print(f"given-data S1 top 10 vs Saltelli ST top 10: mean overlap "
          f"{np.mean(overlaps):.1f}/10 over {len(overlaps)} headlines; over the {len(alone)} "
          f"inputs in no correlation group {np.mean(alone_overlaps):.1f}/10")
    return 0


if __name__ == "__main__":
    sys.exit(main())
