"""Residents and social structure of Musterstadt's blocks, 2014–2024.

A smooth latent *deprivation* field (a few disadvantaged Quartiere, a few
affluent ones, low-frequency noise) drives all social indicators through
logistic curves, so neighbouring blocks resemble each other and rates at the
Sozialraum level range from below 5 % to above 40 %. Counts are drawn from
binomial and multinomial distributions, which keeps them consistent by
construction: age groups sum to the total, numerators never exceed their
denominators.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from quartier.demo.geometry import CENTRE

YEARS = list(range(2014, 2025))
TARGET_RESIDENTS_2024 = 302_000
AGE_GROUPS = ["0_2", "3_5", "6_9", "10_14", "15_17", "18_24", "25_64", "65plus"]
_AGE_SHARES = np.array([0.029, 0.028, 0.036, 0.044, 0.026, 0.085, 0.542, 0.210])
_AGE_MIDPOINTS = np.array([1.5, 4.5, 8.0, 12.5, 16.5, 21.5, 45.0, 77.0])
# City-wide shifts per year on the logit scale: the 2015/16 refugee arrivals,
# the following decline, and Ukrainian refugees moving into SGB II in 2022.
_POVERTY_SHIFT = np.array([0, 0.03, 0.10, 0.16, 0.12, 0.06, 0.08, 0.04, 0.12, 0.15, 0.14])
_UNEMPLOYMENT_SHIFT = np.array(
    [0, -0.03, -0.06, -0.10, -0.15, -0.18, -0.05, -0.08, -0.12, -0.08, -0.05]
)
_GROWTH = np.array([0.975, 0.982, 0.992, 0.995, 0.997, 0.998, 0.997, 0.996, 1.004, 1.002, 1.0])


def _bumps(xy, rng, radius, n, amplitude, ring):
    field = np.zeros(len(xy))
    for _ in range(n):
        angle, r = rng.uniform(0, 2 * np.pi), radius * rng.uniform(*ring)
        cx, cy = CENTRE[0] + r * np.cos(angle), CENTRE[1] + r * np.sin(angle)
        sigma = radius * rng.uniform(0.07, 0.16)
        d2 = (xy[:, 0] - cx) ** 2 + (xy[:, 1] - cy) ** 2
        field += amplitude * rng.uniform(0.8, 1.2) * np.exp(-d2 / (2 * sigma**2))
    return field


def _smooth_noise(xy, rng, radius, amplitude):
    field = np.zeros(len(xy))
    for _ in range(12):
        wavelength = radius * rng.uniform(0.25, 0.8)
        direction = rng.uniform(0, 2 * np.pi)
        k = 2 * np.pi / wavelength
        phase = rng.uniform(0, 2 * np.pi)
        field += np.cos(k * (xy[:, 0] * np.cos(direction) + xy[:, 1] * np.sin(direction)) + phase)
    return amplitude * field / np.sqrt(12 / 2)


def _standardise(field):
    """Rank-transform to a standard normal, so calibration does not depend on the seed."""
    from scipy.special import ndtri

    ranks = np.argsort(np.argsort(field, kind="stable"), kind="stable")
    return ndtri((ranks + 0.5) / len(field))


def latent_fields(xy: np.ndarray, rng: np.random.Generator, radius: float) -> dict[str, np.ndarray]:
    """Deprivation (standard normal), its trend per decade, and a growth field."""
    deprived = _bumps(xy, rng, radius, 5, 2.0, (0.1, 0.85))
    affluent = _bumps(xy, rng, radius, 3, -1.8, (0.35, 0.9))
    noise = _smooth_noise(xy, rng, radius, 0.45)
    deprivation = _standardise(deprived + affluent + noise)
    trend = _bumps(xy, rng, radius, 2, 0.8, (0.3, 0.8)) + _bumps(xy, rng, radius, 2, -0.7, (0, 0.4))
    growth = _smooth_noise(xy, rng, radius, 0.004)  # per year, about ±1 %
    return {"deprivation": deprivation, "trend": trend, "growth": growth}


def base_residents(xy, area_m2, rng, radius) -> tuple[np.ndarray, np.ndarray]:
    """Residents per block in 2024 and the first year each block is inhabited.

    About 7 % of blocks are parks, industry or railway land with (almost) nobody,
    and one area is a new-build district filled from 2018 to 2021.
    """
    dist = np.hypot(xy[:, 0] - CENTRE[0], xy[:, 1] - CENTRE[1])
    density = 1500 + 11000 * np.exp(-dist / (0.35 * radius))
    residents = area_m2 / 1e6 * density * rng.lognormal(0, 0.45, size=len(xy))
    residents *= TARGET_RESIDENTS_2024 / residents.sum()
    empty = rng.uniform(size=len(xy)) < 0.07
    residents[empty] = rng.choice([0, 0, 0, 1, 2, 3, 4, 6, 9, 14], size=empty.sum())
    first_year = np.full(len(xy), YEARS[0])
    angle = rng.uniform(0, 2 * np.pi)
    nx, ny = CENTRE[0] + 0.7 * radius * np.cos(angle), CENTRE[1] + 0.7 * radius * np.sin(angle)
    new_build = np.argsort(np.hypot(xy[:, 0] - nx, xy[:, 1] - ny))[: max(5, len(xy) // 150)]
    first_year[new_build] = rng.integers(2018, 2022, size=len(new_build))
    residents[new_build] = np.maximum(residents[new_build], 120)
    residents *= TARGET_RESIDENTS_2024 / residents.sum()
    return np.round(residents), first_year


def _age_shares(deprivation, dist_rel, year_index):
    shares = np.tile(_AGE_SHARES, (len(deprivation), 1))
    kids = 1 + 0.22 * deprivation + 0.004 * year_index * (deprivation > 1)
    shares[:, :5] *= np.clip(kids, 0.4, None)[:, None]
    shares[:, 5] *= np.clip(1.5 - dist_rel, 0.6, None)  # students near the centre
    shares[:, 7] *= np.clip(1 - 0.14 * deprivation + 0.3 * (dist_rel - 0.5), 0.4, None)
    return shares / shares.sum(axis=1, keepdims=True)


def simulate(xy, area_m2, rng: np.random.Generator, radius: float):
    """All block counts for all years (arrays shaped (years, blocks)) and the latent fields."""
    fields = latent_fields(xy, rng, radius)
    residents_2024, first_year = base_residents(xy, area_m2, rng, radius)
    dist_rel = np.hypot(xy[:, 0] - CENTRE[0], xy[:, 1] - CENTRE[1]) / radius
    spr_base = rng.normal(0, 2.5, size=len(xy))  # block character of living space
    age_noise = rng.normal(0, 1.2, size=len(xy))
    out: dict[str, list] = {}
    for t, year in enumerate(YEARS):
        counts = _year(t, year, fields, residents_2024, first_year, dist_rel, rng)
        counts["wohnflaeche"] = _living_space(counts["ew_gesamt"], fields, spr_base, t)
        counts["durchschnittsalter"] = _mean_age(counts, age_noise)
        for key, value in counts.items():
            out.setdefault(key, []).append(value)
    return {key: np.vstack(rows) for key, rows in out.items()}, fields


def _year(t, year, fields, residents_2024, first_year, dist_rel, rng):
    d = fields["deprivation"] + fields["trend"] * t / 10
    # New-build blocks fill up over four years after their first residents move in.
    ramp = np.where(first_year > YEARS[0], np.clip((year - first_year + 1) / 4, 0, 1), 1.0)
    expected = residents_2024 * _GROWTH[t] * (1 + fields["growth"] * (t - 10)) * ramp
    total = np.round(np.clip(expected * rng.normal(1, 0.02, size=len(expected)), 0, None))
    total = total.astype(np.int64)
    ages = rng.multinomial(total, _age_shares(d, dist_rel, t))
    c = {"ew_gesamt": total}
    for i, group in enumerate(AGE_GROUPS):
        c[f"ew_{group}"] = ages[:, i]
    c["ew_u15"] = ages[:, :4].sum(axis=1)
    c["ew_u18"] = ages[:, :5].sum(axis=1)
    c["ew_15_64"] = ages[:, 4:7].sum(axis=1)
    c["ew_u65"] = total - ages[:, 7]
    child_share = c["ew_u18"] / np.maximum(total, 1)
    size = np.clip(1.9 + 2.2 * (child_share - 0.16) + 0.05 * d, 1.2, 3.4)
    c["haushalte"] = np.where(total > 0, np.maximum(np.round(total / size), 1), 0).astype(int)
    families = np.round(c["ew_u18"] / np.clip(1.6 + 0.12 * d, 1.2, 2.4)).astype(int)
    c["hh_mit_kindern"] = np.minimum(families, c["haushalte"])
    c["hh_alleinerziehend"] = rng.binomial(c["hh_mit_kindern"], expit(-1.55 + 0.6 * d))
    shift, slope = _POVERTY_SHIFT[t], 0.95 + 0.012 * t
    c["sgb2_u15"] = rng.binomial(c["ew_u15"], expit(-1.65 + slope * d + shift))
    sgb2_adults = rng.binomial(c["ew_15_64"], expit(-2.4 + 0.95 * slope * d + 0.8 * shift))
    c["sgb2_gesamt"] = c["sgb2_u15"] + sgb2_adults
    c["arbeitslose"] = rng.binomial(
        c["ew_15_64"], expit(-2.9 + 0.7 * d + _UNEMPLOYMENT_SHIFT[t] + 0.3 * shift)
    )
    c["ew_migration"] = rng.binomial(total, expit(-0.6 + 0.8 * d + 0.035 * t))
    c["auslaender"] = rng.binomial(c["ew_migration"], expit(-0.15 + 0.3 * d + 0.03 * t))
    c["esu_untersucht"] = rng.binomial(c["ew_3_5"], 0.33)
    c["esu_uebergewicht"] = rng.binomial(c["esu_untersucht"], expit(-2.35 + 0.5 * d))
    c["esu_sprachfoerderung"] = rng.binomial(c["esu_untersucht"], expit(-1.25 + 0.9 * d + 0.03 * t))
    c["uebergaenge"] = rng.binomial(c["ew_10_14"], 0.2)
    c["uebergaenge_gym"] = rng.binomial(c["uebergaenge"], expit(0.15 - 0.95 * d))
    c["hze_faelle"] = rng.binomial(c["ew_u18"], expit(-4.25 + 0.8 * d + 0.01 * t))
    return c


def _living_space(total, fields, spr_base, t):
    per_person = np.clip(40.5 - 5.0 * fields["deprivation"] + spr_base + 0.25 * t, 22, 75)
    return np.round(total * per_person)


def _mean_age(counts, noise):
    ages = np.column_stack([counts[f"ew_{g}"] for g in AGE_GROUPS])
    total = ages.sum(axis=1)
    mean = (ages @ _AGE_MIDPOINTS) / np.maximum(total, 1) + noise
    return np.where(total > 0, np.round(mean, 1), np.nan)
