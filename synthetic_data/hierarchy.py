"""The organisational hierarchy of a synthetic world: sites within trusts, trusts within ICSs.

England's ~42 integrated care systems (ICSs) sit in 7 NHS England regions; here each region's
trusts are shuffled and cut into ICSs of 2 to 6 trusts. About a quarter of trusts run 2 or 3
emergency departments (sites): the trust's demand is split unevenly between them, and each site
has its own weekly shape (a smaller site is relatively busier at weekends, say). Site counts are
a multinomial split of the trust's count, so the trust's attendances are exactly the sum of its
sites' and the trust files keep their meaning. Splitting a negative binomial (or Poisson) count
with probability p gives the same family with mean p·mu, so site truth quantiles are exact.
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl

from synthetic_data.calendar_effects import Calendar, FloatArray, IntArray

# NHS England region codes (ODS "Y" codes), so an API path reads /v1/regions/Y56.
REGION_CODES: dict[str, str] = {
    "London": "Y56",
    "South West": "Y58",
    "South East": "Y59",
    "Midlands": "Y60",
    "East of England": "Y61",
    "North West": "Y62",
    "North East and Yorkshire": "Y63",
}
MULTI_SITE_SHARE = 0.25
SITE_WEEKLY_SD = 0.06  # log sd of a site's own weekday factor
ICS_SIZES = (2, 3, 4, 5, 6)


@dataclass(frozen=True)
class Sites:
    """Sites of the multi-site trusts: `trust_index[s]` owns site s; `share` (sites, days)."""

    codes: list[str]
    trust_index: IntArray
    share: FloatArray  # each day, a trust's sites' shares sum to 1


def assign_ics(codes: list[str], regions: list[str], rng: np.random.Generator) -> list[str]:
    """An ICS code per trust: each region's trusts shuffled and cut into groups of 2 to 6."""
    ics_of: dict[str, str] = {}
    names = _ics_codes(rng)
    for region in sorted(set(regions)):
        members = [c for c, r in zip(codes, regions, strict=True) if r == region]
        order = [members[i] for i in rng.permutation(len(members))]
        while order:
            size = int(rng.choice(ICS_SIZES))
            if len(order) - size == 1:  # never leave a lone trust behind
                size += 1 if size < max(ICS_SIZES) else -1
            group, order = order[:size], order[size:]
            code = next(names)
            ics_of.update({trust: code for trust in group})
    return [ics_of[c] for c in codes]


def choose_sites(codes: list[str], cal: Calendar, rng: np.random.Generator) -> Sites:
    """Some trusts get 2-3 sites with uneven shares and site-specific weekday factors."""
    n = len(codes)
    multi = np.flatnonzero(rng.random(n) < MULTI_SITE_SHARE) if n > 1 else np.array([], int)
    site_codes: list[str] = []
    owners: list[int] = []
    shares: list[FloatArray] = []
    for trust in multi.tolist():
        k = int(rng.choice([2, 2, 3]))
        base = np.sort(rng.dirichlet(np.full(k, 2.5)))[::-1]
        weekday = np.exp(rng.normal(0.0, SITE_WEEKLY_SD, size=(k, 7)))
        raw = base[:, None] * weekday[:, cal.day_of_week]
        shares.extend(raw / raw.sum(axis=0, keepdims=True))
        site_codes.extend(site_code(codes[trust], i + 1) for i in range(k))
        owners.extend([trust] * k)
    share = np.array(shares) if shares else np.zeros((0, len(cal)))
    return Sites(site_codes, np.array(owners, dtype=np.int64), share)


def split_counts(counts: IntArray, sites: Sites, rng: np.random.Generator) -> IntArray:
    """Each multi-site trust's daily count split multinomially between its sites."""
    out = np.zeros((len(sites.codes), counts.shape[1]), dtype=np.int64)
    for trust in np.unique(sites.trust_index).tolist():
        rows = np.flatnonzero(sites.trust_index == trust)
        left = counts[trust].copy()
        remaining = np.ones(counts.shape[1])
        for row in rows[:-1]:
            p = np.clip(sites.share[row] / np.maximum(remaining, 1e-12), 0.0, 1.0)
            out[row] = rng.binomial(left, p)
            left -= out[row]
            remaining -= sites.share[row]
        out[rows[-1]] = left
    return out


def split_admitted(
    admitted: IntArray, counts: IntArray, site_counts: IntArray, sites: Sites,
    rng: np.random.Generator,
) -> IntArray:
    """Each trust's admissions dealt to its sites' attendances at random (hypergeometric)."""
    out = np.zeros_like(site_counts)
    for trust in np.unique(sites.trust_index).tolist():
        rows = np.flatnonzero(sites.trust_index == trust)
        good, total = admitted[trust].copy(), counts[trust].copy()
        for row in rows[:-1]:
            out[row] = rng.hypergeometric(good, np.maximum(total - good, 0), site_counts[row])
            good -= out[row]
            total -= site_counts[row]
        out[rows[-1]] = good
    return out


def site_code(trust: str, number: int) -> str:
    """'R0A' + 1 -> 'R0A01': five characters, as ODS site codes are."""
    return trust + str(number).zfill(5 - len(trust))


def hierarchy_frame(
    codes: list[str], regions: list[str], nations: list[str], ics: list[str], sites: Sites,
) -> pl.DataFrame:
    """One row per site (a trust without sites has one row with a null site_code)."""
    site_of: dict[int, list[str]] = {}
    for code, owner in zip(sites.codes, sites.trust_index.tolist(), strict=True):
        site_of.setdefault(owner, []).append(code)
    rows = []
    for i, trust in enumerate(codes):
        for site in site_of.get(i, [None]):
            rows.append((site, trust, ics[i], REGION_CODES[regions[i]], nations[i]))
    return pl.DataFrame(
        rows, schema=["site_code", "trust_code", "ics_code", "region", "nation"], orient="row"
    )


def _ics_codes(rng: np.random.Generator) -> Iterator[str]:
    """ICB-style codes: 'Q' and two letters or digits, in a seeded order."""
    alphabet = string.ascii_uppercase + string.digits
    pool = ["Q" + "".join(p) for p in itertools.product(alphabet, repeat=2)]
    return iter([pool[i] for i in rng.permutation(len(pool))])
