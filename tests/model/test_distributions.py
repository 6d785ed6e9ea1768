"""chipcast.model.distributions.frozen rejects what makes no law (naming the column to fix), and
chipcast.model.params.parameters turns that into an InputError naming the user's file and row."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from fixture_data import DATA, copy_data
from scipy import stats

from chipcast.errors import ChipcastError, InputError
from chipcast.inputs import load_inputs
from chipcast.model.distributions import DistributionError, frozen
from chipcast.model.params import param_table, parameters


@pytest.mark.parametrize("dist, value, low, mode, high, column, fragment", [
    ("gamma", 1.0, 0.0, None, 2.0, "dist", "unknown dist"),
    ("uniform", 1.0, None, None, 2.0, "low", "finite low and high"),
    ("pert", 1.0, 0.0, None, math.inf, "high", "finite low and high"),
    ("uniform", 1.0, 1.0, None, 1.0, "high", "low < high"),
    ("triangular", 1.0, 2.0, None, 0.0, "high", "low < high"),
    ("lognormal", 0.5, 0.0, None, 1.0, "low", "low > 0"),
    ("lognormal", 0.5, -1.0, None, 1.0, "low", "low > 0"),
    ("pert", 1.0, 0.0, 3.0, 2.0, "mode", "outside"),
    ("normal-truncated", 5.0, 0.0, None, 2.0, "mode", "outside"),  # mode defaults to value
])
def test_frozen_rejects_and_names_the_column(dist, value, low, mode, high, column,
                                             fragment) -> None:
    with pytest.raises(DistributionError) as info:
        frozen(dist, value, low, mode, high)
    assert info.value.column == column
    assert fragment in info.value.message and info.value.hint


@pytest.mark.parametrize("dist, low, mode, high", [
    ("fixed", None, None, None), ("uniform", 0.0, None, 1.0), ("triangular", 0.0, 0.0, 1.0),
    ("pert", 0.0, 1.0, 1.0), ("lognormal", 1e-9, None, 1.0),
    ("normal-truncated", 0.0, 0.5, 1.0)])
def test_frozen_accepts_the_edges(dist, low, mode, high) -> None:
    law = frozen(dist, 0.5, low, mode, high)
    if dist == "fixed":
        assert law is None
    else:  # a real law whose median lies in [low, high] (lognormal: its 5th/95th percentiles)
        assert low <= law.median() <= high and math.isfinite(law.mean())


def _rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture drifted: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_param_table_keeps_file_and_row() -> None:
    table = param_table(load_inputs(DATA, "roofline"))
    row = table.filter(table["param_id"] == "usage:b:dau_target").row(0, named=True)
    assert (row["_file"], row["_row"]) == ("scenarios/roofline.yaml", 2)
    row = table.filter(table["param_id"] == "chip_specs:A100-80GB-SXM:price_usd").row(
        0, named=True)
    assert (row["_file"], row["_row"]) == ("chip_specs.csv", 2)


def test_parameters_wraps_distribution_errors_with_file_row_and_hint(tmp_path: Path) -> None:
    data = copy_data(tmp_path / "data")
    _rewrite(data / "chip_specs.csv", "A100-80GB-SXM,price_usd,10000,USD,,,,,",
             "A100-80GB-SXM,price_usd,10000,USD,uniform,10000,,10000,")
    _rewrite(data / "usage.csv", "*,prompt_tokens,0,tokens/question,,,,,",
             "*,prompt_tokens,0,tokens/question,lognormal,0,,1000,")
    _rewrite(data / "scenarios/roofline.yaml", "low: 1e7, high: 3e7", "low: 3e7, high: 1e7")
    inputs = load_inputs(data, "roofline")  # reading does not check distributions
    with pytest.raises(InputError) as info:
        parameters(inputs)
    assert isinstance(info.value, ChipcastError)  # the CLI prints it and exits 1
    where = {(p.file, p.row, p.column) for p in info.value.problems}
    assert where == {("chip_specs.csv", 2, "high"), ("usage.csv", 7, "low"),
                     ("scenarios/roofline.yaml", 2, "high")}
    text = str(info.value)
    assert "chip_specs:A100-80GB-SXM:price_usd" in text and "usage:*:prompt_tokens" in text
    assert "Fix: widen the range" in text and "Fix: a lognormal's 5th percentile" in text
    assert all(p.hint and p.values for p in info.value.problems)


def test_parameters_of_valid_inputs_build_every_law() -> None:
    params = parameters(load_inputs(DATA, "roofline"))
    uncertain = {k for k, p in params.items() if p.uncertain}
    assert "usage:b:dau_target" in uncertain and "model_classes:*:mfu" in uncertain
    assert all(p.law is None for k, p in params.items() if k not in uncertain)


@pytest.mark.parametrize("dist, value, low, mode, high, build", [
    ("uniform", 2.0, 1.0, None, 4.0, lambda: stats.uniform(loc=1.0, scale=3.0)),
    ("triangular", 2.0, 1.0, None, 4.0, lambda: stats.triang(c=1 / 3, loc=1.0, scale=3.0)),
    ("pert", 2.0, 1.0, 3.0, 4.0,
     lambda: stats.beta(1 + 4 * 2 / 3, 1 + 4 * 1 / 3, loc=1.0, scale=3.0)),
    ("lognormal", 2.0, 1.0, None, 4.0, lambda: stats.lognorm(
        s=math.log(4.0) / (2 * stats.norm.ppf(0.95)), scale=math.exp(math.log(4.0) / 2))),
    ("normal-truncated", 2.0, 1.0, None, 4.0,
     lambda: stats.truncnorm(a=-1 / 0.75, b=2 / 0.75, loc=2.0, scale=0.75)),
])
def test_a_law_is_built_once_and_is_scipys_law_of_the_row(dist, value, low, mode, high,
                                                          build) -> None:
    """The law kept for a row is the one scipy builds from the documented semantics: same
    distribution, same args and kwds (the sampler reads them), same quantiles; asking again
    (the next compile of the same inputs) returns that object instead of freezing anew."""
    law, expected = frozen(dist, value, low, mode, high), build()
    assert law.dist.name == expected.dist.name
    assert law.args == pytest.approx(expected.args, rel=1e-15)
    assert law.kwds.keys() == expected.kwds.keys()
    assert list(law.kwds.values()) == pytest.approx(list(expected.kwds.values()), rel=1e-15)
    u = np.linspace(0.001, 0.999, 101)
    np.testing.assert_allclose(law.ppf(u), expected.ppf(u), rtol=1e-12)
    assert frozen(dist, value, low, mode, high) is law
    assert frozen(dist, value, low, mode, high * 2) is not law


def test_two_compiles_of_the_same_inputs_share_their_laws() -> None:
    inputs = load_inputs(DATA, "roofline")
    first, second = parameters(inputs), parameters(inputs)
    uncertain = [k for k, p in first.items() if p.uncertain]
    assert uncertain and all(second[k].law is first[k].law for k in uncertain)
