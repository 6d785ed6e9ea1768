"""Which cards fill a month's shipments: vendor shares are shares of CARDS (as IDC reports them)
and each vendor's card mix comes from sku_mix, both for the month's year.

For month m, vendor shares s_v (renormalised over vendors with a legal, launched SKU in their
mix) and mix m_vs (the vendor's card mix renormalised over its legal, launched SKUs) give each
vendor's A100-equivalents per card e_v = sum_s m_vs a_s (a_s = the SKU's dense TFLOPS /
reference). A month's A100-eq shipped E splits into C = E / sum_v s_v e_v cards, vendor v's
cards C s_v and SKU s's cards C s_v m_vs: the vendors' card shares equal their inputs whatever
their chips' compute. The model keeps the split as each SKU's share of the A100-eq shipped,
w_s = s_v m_vs a_s / sum_v s_v e_v.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from chipcast.model.params import ParamSet
from chipcast.model.structure import Supply, input_problem


@dataclass(frozen=True)
class Split:
    """The month's split of A100-eq shipped (arrays per draw), held once per distinct month
    kind (K: the (year, shippable SKUs) pairs of the grid) with each month's kind."""

    share_k: np.ndarray  # (D, K, S) share of the month's A100-eq going to each SKU
    cards_k: np.ndarray  # (D, K) cards shipped per A100-eq shipped
    month_k: np.ndarray  # (M,) int: each month's kind

    @property
    def sku_share(self) -> np.ndarray:
        """(D, M, S) share of each month's A100-eq going to each SKU."""
        return self.share_k[:, self.month_k]

    @property
    def cards_per_a100e(self) -> np.ndarray:
        """(D, M) cards shipped per A100-eq shipped."""
        return self.cards_k[:, self.month_k]


def _per_year(ps: ParamSet, ids: list[list[str | None]]) -> np.ndarray:
    """(D, Y, K) values of a year x key grid of ids (0 where a row is missing, NaN and inf
    as np.nan_to_num maps them)."""
    flat = [i for row in ids for i in row]
    out = np.zeros((ps.n_draws, len(flat)))
    # only the rows present are copied (most of the sku_mix grid is absent): a NaN-filled
    # stack of every cell and a nan_to_num over it cost ~10x more for the same values
    present = [j for j, i in enumerate(flat) if i is not None]
    if present:
        out[:, present] = np.nan_to_num(ps.stack([flat[j] for j in present]))
    return out.reshape(ps.n_draws, len(ids), len(ids[0]) if ids else 0)


def check_months_have_cards(supply: Supply, months: np.ndarray) -> None:
    """Raise InputError if some month has no vendor with both a share row and a legal,
    launched SKU in its mix: that month's shipments would go nowhere."""
    has_share = np.array([[i is not None for i in row] for row in supply.share_ids])  # (Y, V)
    has_mix = np.array([[i is not None for i in row] for row in supply.mix_ids])  # (Y, S)
    mix_m = has_mix[supply.month_year] & supply.shippable  # (M, S)
    vendor_sells = np.zeros((months.size, len(supply.vendors)), dtype=bool)
    for v in range(len(supply.vendors)):
        vendor_sells[:, v] = mix_m[:, supply.sku_vendor == v].any(axis=1)
    ok = (vendor_sells & has_share[supply.month_year]).any(axis=1)
    if not ok.all():
        stranded = months[~ok]
        raise input_problem(
            f"no vendor with a share has a legal, launched chip in its mix in "
            f"{stranded.size} month(s) from {stranded[0]}: their shipments would go nowhere",
            "add sku_mix rows for a chip sold then (domestic chips are never export-"
            "controlled), or a regime row making one legal", "data/sku_mix.csv")


@numba.njit(cache=True, parallel=True)
def _split(shares_y: np.ndarray, mix_y: np.ndarray, year: np.ndarray, shippable: np.ndarray,
           sku_vendor: np.ndarray, a: np.ndarray, share_k: np.ndarray, cards_k: np.ndarray
           ) -> None:  # pragma: no cover
    """The module docstring's split for each draw and month kind (year[k], shippable[k])."""
    n_d, n_k, n_s = share_k.shape
    n_v = shares_y.shape[2]
    for d in numba.prange(n_d):
        mix = np.empty(n_s)
        vendor_mix = np.empty(n_v)
        shares = np.empty(n_v)
        per_card = np.empty(n_v)
        for k in range(n_k):
            y = year[k]
            vendor_mix[:] = 0.0
            for s in range(n_s):
                mix[s] = mix_y[d, y, s] * (1.0 if shippable[k, s] else 0.0)
                vendor_mix[sku_vendor[s]] += mix[s]
            for s in range(n_s):  # the vendor's card mix over its legal, launched SKUs
                total = vendor_mix[sku_vendor[s]]
                mix[s] = mix[s] / total if total > 0 else 0.0
            total = 0.0
            for v in range(n_v):  # vendors with a card to sell, renormalised
                shares[v] = shares_y[d, y, v] * (1.0 if vendor_mix[v] > 0 else 0.0)
                total += shares[v]
            for v in range(n_v):
                shares[v] = shares[v] / total if total > 0 else 0.0
            per_card[:] = 0.0
            for s in range(n_s):
                per_card[sku_vendor[s]] += mix[s] * a[d, s]
            mean = 0.0  # A100-eq per card shipped
            for v in range(n_v):
                mean += shares[v] * per_card[v]
            for s in range(n_s):
                weight = shares[sku_vendor[s]] * mix[s] * a[d, s]
                share_k[d, k, s] = weight / mean if mean > 0 else 0.0
            cards_k[d, k] = 1.0 / mean if mean > 0 else 0.0


def split(supply: Supply, ps: ParamSet, a100e_per_card: np.ndarray) -> Split:
    """Cards-based split of each month's A100-eq shipped over SKUs (module docstring).

    A month's split depends on its year's shares and mix and on which SKUs it may ship, so it
    is computed once per distinct (year, shippable SKUs) and then spread over the months
    (a compiled loop over draws, month kinds, vendors and SKUs)."""
    pattern = np.column_stack([supply.month_year, supply.shippable]).astype(np.int64)
    first, inverse = np.unique(pattern, axis=0, return_index=True, return_inverse=True)[1:]
    n_d, n_k, n_s = ps.n_draws, first.size, len(supply.skus)
    share_k, cards_k = np.empty((n_d, n_k, n_s)), np.empty((n_d, n_k))
    _split(_per_year(ps, supply.share_ids), _per_year(ps, supply.mix_ids),
           supply.month_year[first].astype(np.int64), supply.shippable[first],
           supply.sku_vendor.astype(np.int64),
           np.ascontiguousarray(np.broadcast_to(a100e_per_card, (n_d, n_s)), dtype=float),
           share_k, cards_k)
    return Split(share_k, cards_k, inverse.ravel().astype(np.int64))
