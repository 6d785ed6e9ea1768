"""Benchmark (issue 13, target 4): how close the headline P10/P50/P90 (chipcast.contracts.
HEADLINES, prior draws of the base scenario) are at 1,024 / 4,096 / 8,192 draws, with scrambled
Sobol' points and with plain random sampling, to a large reference run.

Only the headlines are computed (simulate + model.series.headlines per chunk, through
uncertainty.sensitivity.headline_model), not the 42k published series. The reference is a
Sobol' run with another seed: REF_DRAWS draws by default (what fits in a few minutes on the
2-core machine today), 1,000,000 with BENCH_MILLION=1 (or --reference N). The smaller runs are
the first n draws of one run of the largest size per sampler (Sobol' prefixes of a power-of-2
length keep their balance). The error of a size is the largest relative error |q_n - q_ref| /
|q_ref| over headlines and the three quantiles; printed last is the smallest size whose Sobol'
error is within 0.5 % and the default draw count (chipcast.config.DEFAULT_DRAWS). `--sizes` tries
other sizes; `--reference-file F.npz` keeps the reference quantiles (written when F is missing,
read when it holds the same scenario, size, seed and headlines), so a large reference is computed
once. Usage:

    .venv/bin/python bench/convergence.py [--scenario base] [--reference N]
        [--sizes 1024,4096,8192] [--reference-file /tmp/ref.npz]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chipcast.config import DEFAULT_DRAWS, DEFAULT_SEED  # noqa: E402
from chipcast.contracts import HEADLINES  # noqa: E402
from chipcast.inputs import load_inputs  # noqa: E402
from chipcast.model.params import parameters  # noqa: E402
from chipcast.model.structure import compile_structure  # noqa: E402
from chipcast.project import SHIPPED_DATA  # noqa: E402
from chipcast.uncertainty.quantiles import exact_quantiles  # noqa: E402
from chipcast.uncertainty.sampling import draw_plan  # noqa: E402
from chipcast.uncertainty.sensitivity import headline_model  # noqa: E402

SIZES = (1024, 4096, 8192)
QS = (0.1, 0.5, 0.9)
TOLERANCE = 0.005
REF_DRAWS = 32768
MILLION = 1_000_000
CHUNK = 4096


def headline_draws(inputs, sampler: str, seed: int, draws: int) -> np.ndarray:
    """(draws, len(HEADLINES)) headlines of the first `draws` draws of one run."""
    params = parameters(inputs)
    plan = draw_plan(inputs, params, sampler=sampler, seed=seed)
    model = headline_model(compile_structure(inputs), params, plan.ids, chunk=CHUNK)
    return np.concatenate([model(x.T).T for x in plan.matrices(draws, CHUNK)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="base")
    parser.add_argument("--reference", type=int, default=None)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--reference-file", type=Path, default=None)
    args = parser.parse_args()
    sizes = tuple(int(n) for n in args.sizes.split(","))
    ref_n = args.reference or (MILLION if os.environ.get("BENCH_MILLION") == "1" else REF_DRAWS)
    inputs = load_inputs(SHIPPED_DATA, args.scenario)
    start = time.perf_counter()
    about = {"scenario": np.array(args.scenario), "draws": np.array(ref_n),
             "seed": np.array(DEFAULT_SEED + 1), "headlines": np.array(list(HEADLINES))}
    saved = None
    if args.reference_file is not None and args.reference_file.exists():
        with np.load(args.reference_file, allow_pickle=False) as f:
            if all(k in f and np.array_equal(f[k], v) for k, v in about.items()):
                saved = f["quantiles"]
    if saved is not None:
        ref = saved
        print(f"reference: {ref_n:,} Sobol' draws (seed {DEFAULT_SEED + 1}) of {args.scenario}, "
              f"read from {args.reference_file}", flush=True)
    else:
        ref = exact_quantiles(headline_draws(inputs, "sobol", DEFAULT_SEED + 1, ref_n), QS)
        print(f"reference: {ref_n:,} Sobol' draws (seed {DEFAULT_SEED + 1}) of {args.scenario} "
              f"in {time.perf_counter() - start:.0f} s", flush=True)
        if args.reference_file is not None:
            with args.reference_file.open("wb") as f:
                np.savez(f, quantiles=ref, **about)
    names = list(HEADLINES)
    errors: dict[tuple[str, int], float] = {}
    for sampler in ("sobol", "random"):
        heads = headline_draws(inputs, sampler, DEFAULT_SEED, max(sizes))
        for n in sizes:
            q = exact_quantiles(heads[:n], QS)
            rel = np.abs(q - ref) / np.abs(ref)
            errors[sampler, n] = float(rel.max())
            worst = np.unravel_index(np.argmax(rel), rel.shape)
            print(f"{sampler:6s} {n:5d} draws: max relative error {rel.max():.3%} "
                  f"(P{QS[worst[0]] * 100:.0f} of {names[worst[1]]})", flush=True)
    ok = [n for n in sizes if errors["sobol", n] <= TOLERANCE]
    print("size    sobol    random   (max relative error of headline P10/P50/P90 vs the "
          f"{ref_n:,}-draw reference)")
    for n in sizes:
        print(f"{n:5d}  {errors['sobol', n]:6.3%}  {errors['random', n]:7.3%}")
    smallest = min(ok) if ok else None
    print(f"smallest Sobol' size within {TOLERANCE:.1%}: {smallest or 'none of ' + str(sizes)}; "
          f"default draws (chipcast.config.DEFAULT_DRAWS): {DEFAULT_DRAWS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
