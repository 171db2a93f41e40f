"""Generate the demo project of survey_toolkit from the standard instrument (seeded, deterministic).

Usage::

    python examples/generate.py            # (re)write examples/demo/
    python examples/generate.py --check    # regenerate into a temp dir, compare, exit 1 on a difference
    python examples/generate.py --out DIR  # write somewhere else

Three survey rounds of the core community safety perception survey (``instruments/cssp_core``) in
8 districts (admin2) of 2 regions (admin1), each round an independent stratified two-stage cluster
sample (strata = district x area type, PSUs = enumeration areas selected with probability
proportional to households, 11 PSUs per district, 7 households per PSU, one adult per household). Outputs, in
``examples/demo/``:

- ``round1_kobo.xlsx``    KoBoToolbox XLSX export (XML values and headers, groups ``/``);
- ``round2_central.zip``  ODK Central CSV zip (defaults: group paths ``-``, no split);
- ``round3_spss.sav``     SPSS file (codes + value labels, 98/99 user-missing, ``q_code`` dummies);
- ``sample_frame.csv``    stratum sizes and numbers of PSUs for design weights and fpc;
- ``census_margins.csv``  one-way population margins (variable, category, population);
- ``census_cells.csv``    the sex x age group x region population table behind the margins.
- ``district_covariates.csv`` households, adults and urban share per district (small-area covariates).

The built-in true changes and the planted data-quality problems are listed in ``examples/README.md``
and in :data:`PLANTED`. Byte-identical regeneration: the xlsx and zip carry fixed timestamps and the
header timestamp of the ``.sav`` is overwritten with a fixed value.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import sys
import tempfile
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import xlsxwriter
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SOURCE = ROOT / "instruments" / "cssp_core.xlsform.yaml"
DEMO = HERE / "demo"
SEED = 1  # chosen among 8 seeds: the true changes show at district level, chance differences stay small
TAKE = 7  # households selected per PSU
TZ = "+03:00"
TZ_HOURS = 3
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

FILES = ("round1_kobo.xlsx", "round2_central.zip", "round3_spss.sav", "sample_frame.csv",
         "census_margins.csv", "census_cells.csv", "district_covariates.csv")

# ---------------------------------------------------------------------------------------------
# Sample plan: (stratum, admin1, admin2, area_type, households, adults per household, PSUs sampled)
# ---------------------------------------------------------------------------------------------
STRATA = (  # 11 PSUs per district, allocated about in proportion to households (camps at least 2)
    ("R01D01-1", "R01", "R01D01", "1", 30000, 2.6, 7), ("R01D01-2", "R01", "R01D01", "2", 15500, 2.9, 4),
    ("R01D02-1", "R01", "R01D02", "1", 11200, 2.6, 4), ("R01D02-2", "R01", "R01D02", "2", 19000, 2.9, 7),
    ("R01D03-1", "R01", "R01D03", "1", 4600, 2.6, 2), ("R01D03-2", "R01", "R01D03", "2", 19800, 2.9, 9),
    ("R01D04-1", "R01", "R01D04", "1", 6500, 2.6, 3), ("R01D04-2", "R01", "R01D04", "2", 13000, 2.9, 6),
    ("R01D04-3", "R01", "R01D04", "3", 2600, 3.4, 2),
    ("R02D01-1", "R02", "R02D01", "1", 44000, 2.6, 9), ("R02D01-2", "R02", "R02D01", "2", 8200, 2.9, 2),
    ("R02D02-1", "R02", "R02D02", "1", 8000, 2.6, 3), ("R02D02-2", "R02", "R02D02", "2", 17000, 2.9, 6),
    ("R02D02-3", "R02", "R02D02", "3", 2100, 3.4, 2),
    ("R02D03-1", "R02", "R02D03", "1", 5400, 2.6, 2), ("R02D03-2", "R02", "R02D03", "2", 22500, 2.9, 9),
    ("R02D04-1", "R02", "R02D04", "1", 9800, 2.6, 4), ("R02D04-2", "R02", "R02D04", "2", 16000, 2.9, 7),
)
DISTRICTS = ("R01D01", "R01D02", "R01D03", "R01D04", "R02D01", "R02D02", "R02D03", "R02D04")
AREA_LETTER = {"1": "U", "2": "R", "3": "C"}

# District effects on the latent scales (index = DISTRICTS order) and the true changes by round.
SAFETY = np.array([0.3, -0.4, 0.1, -0.5, 0.0, -0.2, -0.6, 0.4])
POLICE = np.array([0.2, -0.1, 0.3, -0.3, 0.4, 0.0, -0.2, 0.3])
COHESION = np.array([0.3, 0.0, 0.4, -0.4, -0.1, -0.2, 0.1, 0.3])
GUNS = np.array([-0.3, -0.2, -0.4, 0.6, -0.3, 0.3, 0.0, -0.5])
CRIME = np.array([0.0, 0.3, -0.3, 0.4, 0.3, 0.1, 0.2, -0.3])
TRUE_CHANGES = {  # (latent, district) -> shift in rounds 1, 2, 3
    ("safety", "R01D02"): (0.0, 0.6, 1.2),
    ("safety", "R02D03"): (0.0, 0.6, 1.2),
    ("police", "R02D01"): (0.0, 0.0, -1.3),
    ("guns", "R01D04"): (0.0, 0.7, 1.0),
}
FIELDWORK = {1: dt.date(2025, 11, 3), 2: dt.date(2026, 5, 4), 3: dt.date(2026, 11, 2)}
FORM_VERSION = {1: "2025110101", 2: "2026050101", 3: "2026110101"}
KOBO_VERSION_UID = "vQ3fTz8HkLm2WcR9pXa7Ds"


@dataclass(frozen=True)
class Plan:
    """What the simulation needs of a deployment: strata, districts and their effects, true changes, rounds.

    :data:`DEMO_PLAN` is the demo's; ``benchmarks/scaled_project.py`` builds larger ones (more
    districts, regions, rounds and PSUs) and simulates them with the same functions.
    """

    strata: tuple[tuple[str, str, str, str, int, float, int], ...]
    districts: tuple[str, ...]
    effects: dict[str, np.ndarray]  # latent -> district effect (index = districts order)
    true_changes: dict[tuple[str, str], tuple[float, ...]]  # (latent, district) -> shift in round 1, 2...
    fieldwork: dict[int, dt.date]
    form_version: dict[int, str]
    teams: dict[str, str]  # admin1 -> enumerator team letter
    teams_per_region: int = 2
    team_size: int = 4
    psu_households: int = 150  # households per PSU in the frame (psu_total = households / psu_households)


DEMO_PLAN = Plan(STRATA, DISTRICTS, {"safety": SAFETY, "police": POLICE, "cohesion": COHESION, "guns": GUNS,
                                     "crime": CRIME},
                 TRUE_CHANGES, FIELDWORK, FORM_VERSION, {"R01": "N", "R02": "S"})

#: Planted data-quality problems, by round (documented in examples/README.md).
PLANTED = {
    1: ("duplicate submission: one interview exported twice (same _uuid and meta/rootUuid, new _id)",
        "under-18 respondent: a2_age = 16",
        "too-short interview: 4 minutes between start and end",
        "off-list code: d1_trust_police = 5 (trust4 has 1-4, 98, 99)"),
    2: ("duplicate submission: one KEY twice (two overlapping downloads merged)",
        "too-short interview: 3 minutes between start and end",
        "exclusive code combined: c7_rep_phys = '0 13'",
        "two form versions: 8 submissions from one device with FormVersion 2026042801"),
    3: ("duplicate record: one instanceID twice",
        "under-18 respondent: a2_age = 17",
        "off-list code: b4_safe_day = 6 (safe4 has 1-4, 98, 99)"),
}


# ---------------------------------------------------------------------------------------------
# The form, read from the instrument's text source
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Field:
    """One data column of the form: name, XLSForm type, choice list, group path and English label."""

    name: str
    type: str
    list_name: str | None
    path: tuple[str, ...]
    label: str


@dataclass(frozen=True)
class Form:
    """The instrument as the generator needs it: fields in form order (notes included) and choices."""

    fields: tuple[Field, ...]
    choices: dict[str, tuple[tuple[str, str], ...]]
    form_id: str

    def field(self, name: str) -> Field:
        """The field called ``name``."""
        return next(f for f in self.fields if f.name == name)


def read_form(path: Path = SOURCE) -> Form:
    """Read the instrument's YAML source into a :class:`Form` (group paths resolved)."""
    source = yaml.safe_load(path.read_text(encoding="utf-8"))
    fields: list[Field] = []
    stack: list[str] = []
    for row in source["survey"]:
        kind = row["type"]
        if kind == "begin_group":
            stack.append(row["name"])
            continue
        if kind == "end_group":
            stack.pop()
            continue
        parts = kind.split()
        label = (row.get("label") or {}).get("en", "")
        path = ("meta",) if kind == "audit" else tuple(stack)
        fields.append(Field(row["name"], parts[0], parts[1] if len(parts) > 1 else None, path, label))
    choices = {name: tuple((c["name"], c["en"]) for c in rows) for name, rows in source["choices"].items()}
    return Form(tuple(fields), choices, source["settings"]["form_id"])


# ---------------------------------------------------------------------------------------------
# Sampling frame and census
# ---------------------------------------------------------------------------------------------
def sample_frame(plan: Plan = DEMO_PLAN) -> pd.DataFrame:
    """Stratum table: populations, PSUs in the frame (fpc) and the sample plan (same every round)."""
    rows = []
    for stratum, a1, a2, area, households, ratio, m in plan.strata:
        rows.append({
            "stratum": stratum, "admin1": a1, "admin2": a2, "area_type": area,
            "households": households, "adults": int(round(households * ratio)),
            "psu_total": int(round(households / plan.psu_households)), "psu_sampled": m,
            "households_per_psu": TAKE, "psu_selection": "pps_households",
        })
    return pd.DataFrame(rows)


AGE_GROUPS = ("18-24", "25-34", "35-49", "50-64", "65+")
POP_AGE = {"1": (0.24, 0.27, 0.26, 0.16, 0.07), "2": (0.22, 0.26, 0.27, 0.16, 0.09)}
POP_FEMALE = 0.505


def _apportion(total: int, shares: Sequence[float]) -> list[int]:
    """Integer counts summing exactly to ``total`` (largest-remainder rounding)."""
    raw = np.asarray(shares, dtype=float) / np.sum(shares) * total
    counts = np.floor(raw).astype(int)
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[: total - counts.sum()]] += 1
    return counts.tolist()


def census_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Adult population by region x sex x age group, summing to the frame's adults per region."""
    rows = []
    for admin1, adults in frame.groupby("admin1")["adults"].sum().items():
        shares = [(sex, age, (POP_FEMALE if sex == "2" else 1 - POP_FEMALE) * POP_AGE[sex][i])
                  for sex in ("1", "2") for i, age in enumerate(AGE_GROUPS)]
        for (sex, age, _), count in zip(shares, _apportion(int(adults), [s[2] for s in shares]), strict=True):
            rows.append({"admin1": admin1, "a1_sex": sex, "age_group": age, "population": count})
    return pd.DataFrame(rows)


def district_covariates(frame: pd.DataFrame) -> pd.DataFrame:
    """Per district (admin2), what a census gives: households, adults and the urban share of households
    (the small-area model's covariates)."""
    by = frame.groupby("admin2")
    urban = frame[frame["area_type"].astype(str) == "1"].groupby("admin2")["households"].sum()
    out = pd.DataFrame({"households": by["households"].sum(), "adults": by["adults"].sum()})
    out["urban_share"] = (urban.reindex(out.index).fillna(0) / out["households"]).round(4)
    return out.reset_index()


def census_margins(cells: pd.DataFrame) -> pd.DataFrame:
    """Tidy one-way margins (variable, category, population) of the census cells; equal totals."""
    parts = [cells.groupby(var, sort=True)["population"].sum().reset_index()
             .rename(columns={var: "category"}).assign(variable=var)
             for var in ("admin1", "a1_sex", "age_group")]
    return pd.concat(parts, ignore_index=True)[["variable", "category", "population"]]


# ---------------------------------------------------------------------------------------------
# Simulation helpers (vectorised over respondents)
# ---------------------------------------------------------------------------------------------
def ordinal(latent: np.ndarray, cuts: Sequence[float]) -> np.ndarray:
    """1 + number of cut points below the latent value (higher latent -> higher code)."""
    return 1 + (latent[:, None] > np.asarray(cuts)[None, :]).sum(axis=1)


def with_dkrf(rng: np.random.Generator, codes: np.ndarray, dk: float, rf: float) -> np.ndarray:
    """Replace a share ``dk`` of codes by 98 and a share ``rf`` by 99."""
    u = rng.random(len(codes))
    out = codes.astype(float).copy()
    out[u < dk] = 98
    out[(u >= dk) & (u < dk + rf)] = 99
    return out


def yes_no(rng: np.random.Generator, p: np.ndarray, dk: float = 0.01, rf: float = 0.005) -> np.ndarray:
    """Codes 1 (yes) with probability p, else 2, then don't know / refused."""
    return with_dkrf(rng, np.where(rng.random(len(p)) < p, 1, 2), dk, rf)


def pick(rng: np.random.Generator, weights: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Boolean matrix: for each row choose ``k[i]`` distinct columns with probability ~ weights."""
    weights = np.broadcast_to(weights, (len(k), weights.shape[-1]))
    keys = np.log(weights) + rng.gumbel(size=weights.shape)
    ranks = np.argsort(np.argsort(-keys, axis=1), axis=1)
    return ranks < k[:, None]


def summary(mask: np.ndarray, codes: Sequence[str]) -> np.ndarray:
    """Space-separated codes of the selected columns (list order); '' when none selected."""
    out = np.full(mask.shape[0], "", dtype=object)
    for j, code in enumerate(codes):
        out = np.where(mask[:, j], out + " " + code, out)
    return np.array([s.strip() for s in out], dtype=object)


def multi(rng: np.random.Generator, n: int, codes: Sequence[str], weights: Sequence[float | np.ndarray],
          k_probs: Sequence[float], exclusive: dict[str, float]) -> np.ndarray:
    """A select_multiple answer: 1..len(k_probs) substantive codes, or one exclusive code."""
    k = rng.choice(np.arange(1, len(k_probs) + 1), size=n, p=np.asarray(k_probs) / np.sum(k_probs))
    w = np.column_stack([np.broadcast_to(np.asarray(x, dtype=float), (n,)) for x in weights])
    answers = summary(pick(rng, w, k), codes)
    u = rng.random(n)
    edge = 0.0
    for code, share in exclusive.items():
        answers = np.where((u >= edge) & (u < edge + share), code, answers)
        edge += share
    return answers


def rand_uuid(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` reproducible version-4 UUID strings."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    return [str(uuid.UUID(bytes=bytes(row), version=4)) for row in raw]


def month_year(dates: pd.Series, days: int) -> pd.Series:
    """``format-date(today() - days, '%b %Y')`` with English month abbreviations."""
    shifted = pd.to_datetime(dates) - pd.to_timedelta(days, unit="D")
    return pd.Series([f"{MONTHS[m - 1]} {y}" for m, y in zip(shifted.dt.month, shifted.dt.year, strict=True)],
                     index=dates.index)


# ---------------------------------------------------------------------------------------------
# One round
# ---------------------------------------------------------------------------------------------
def _shift(latent: str, rnd: int, plan: Plan = DEMO_PLAN) -> np.ndarray:
    """Per-district shift of a latent scale in round ``rnd`` (the built-in true changes)."""
    return np.array([plan.true_changes.get((latent, d), (0.0,) * rnd)[rnd - 1] for d in plan.districts])


def sample_round(rng: np.random.Generator, frame: pd.DataFrame, rnd: int) -> pd.DataFrame:
    """Select PSUs and households; one row per selected household that was interviewed or refused."""
    psus = []
    for row in frame.itertuples():  # 18 strata: a loop over the plan, not over data rows
        chosen = np.sort(rng.choice(np.arange(1, row.psu_total + 1), size=row.psu_sampled, replace=False))
        for number in chosen:
            psus.append((row.stratum, row.admin1, row.admin2, row.area_type,
                         f"{row.admin2}-{AREA_LETTER[row.area_type]}{number:03d}"))
    psu = pd.DataFrame(psus, columns=["stratum", "admin1", "admin2", "area_type", "cluster_id"])
    achieved = rng.choice([6, 7], size=len(psu), p=[0.25, 0.75])
    df = psu.loc[np.repeat(psu.index.to_numpy(), achieved)].reset_index(drop=True)
    df["psu_seq"] = np.repeat(np.arange(len(psu)), achieved)
    return df


@dataclass(frozen=True)
class People:
    """Who was interviewed in one round: design position, demographics and latent attitudes."""

    rng: np.random.Generator
    form: Form
    rnd: int
    n: int
    d_idx: np.ndarray
    urban: np.ndarray
    camp: np.ndarray
    female: np.ndarray
    age: np.ndarray
    latent: dict[str, np.ndarray]
    plan: Plan = DEMO_PLAN

    def codes(self, list_name: str, k: int) -> list[str]:
        """The first ``k`` (substantive) codes of a choice list."""
        return [code for code, _ in self.form.choices[list_name][:k]]


def paradata(rng: np.random.Generator, df: pd.DataFrame, frame: pd.DataFrame, rnd: int,
             plan: Plan = DEMO_PLAN) -> pd.DataFrame:
    """Enumerators, devices, interview times, household size and consent (adds columns to ``df``)."""
    n = len(df)
    psu = df["psu_seq"].to_numpy()
    team = df["admin1"].map(plan.teams).to_numpy()
    size = plan.team_size  # demo: two teams of four per region
    number = 1 + (psu % plan.teams_per_region) * size + rng.integers(0, size, n)
    df["enumerator_id"] = [f"{t}{k:02d}" for t, k in zip(team, number, strict=True)]
    alphabet = list("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
    devices = {e: "collect:" + "".join(rng.choice(alphabet, 16)) for e in sorted(set(df["enumerator_id"]))}
    df["deviceid"] = df["enumerator_id"].map(devices)
    date = pd.Timestamp(plan.fieldwork[rnd]) + pd.to_timedelta((psu // 2) % 18, unit="D")
    start = (date + pd.to_timedelta(8 * 60 + rng.integers(0, 8 * 60, n), unit="min")
             + pd.to_timedelta(rng.integers(0, 60, n), unit="s"))
    consent = np.where(rng.random(n) < 0.022, 2, 1)
    minutes = np.where(consent == 1, np.maximum(14, rng.lognormal(np.log(27), 0.25, n)), rng.uniform(2, 4, n))
    df["start"] = start
    df["end"] = start + pd.to_timedelta(np.round(minutes * 60), unit="s")
    df["today"] = date.normalize()
    df["audit"] = "audit.csv"
    df["survey_round"] = f"R{rnd}"
    df["instrument_version"] = "cssp-core-0.1"
    for name, days in (("ref12", 365), ("ref24", 730), ("ref60", 1826)):
        df[name] = month_year(df["today"], days)
    plan = frame.set_index("stratum").loc[df["stratum"]]
    ratio = plan["adults"].to_numpy() / plan["households"].to_numpy()
    df["hh_adults"] = np.minimum(30, 1 + rng.poisson(ratio - 1))
    df["consent"] = consent
    return df


def respondents(rng: np.random.Generator, df: pd.DataFrame, form: Form, rnd: int,
                plan: Plan = DEMO_PLAN) -> tuple[People, dict]:
    """Module A answers and the latent scales that drive every other module."""
    n = len(df)
    d_idx = df["admin2"].map({d: i for i, d in enumerate(plan.districts)}).to_numpy()
    area = df["area_type"].to_numpy()
    urban, camp = area == "1", area == "3"
    female = rng.random(n) < 0.57
    # who is found at home: young men under-represented, older people over-represented
    age_w = np.array([0.19, 0.24, 0.28, 0.18, 0.11])
    age_w_male = age_w * np.array([0.65, 0.8, 1.0, 1.1, 1.2])
    group = np.where(female, rng.choice(5, n, p=age_w / age_w.sum()),
                     rng.choice(5, n, p=age_w_male / age_w_male.sum()))
    age = rng.integers(np.array([18, 25, 35, 50, 65])[group], np.array([24, 34, 49, 64, 88])[group] + 1)
    educ_latent = 0.6 * urban - 0.4 * camp - 0.015 * (age - 40) - 0.2 * female + rng.normal(0, 1, n)
    answers = {
        "a1_sex": np.where(female, 2, 1), "a2_age": age,
        "a3_educ": with_dkrf(rng, ordinal(educ_latent, [-1.0, 0.0, 1.1]), 0.003, 0.003),
        "a4_displacement": with_dkrf(rng, np.where(
            camp, rng.choice([2, 4, 3], n, p=[0.7, 0.2, 0.1]),
            rng.choice([1, 2, 3, 4, 5], n, p=[0.85, 0.06, 0.05, 0.02, 0.02])), 0.002, 0.005),
    }
    frailty = 0.045 * (age - 45) + rng.normal(0, 1, n)
    for name, cut in (("a5_wg_see", 1.0), ("a6_wg_hear", 1.5), ("a7_wg_walk", 0.9), ("a8_wg_cog", 1.4),
                      ("a9_wg_self", 2.2), ("a10_wg_comm", 2.3)):
        latent = frailty + rng.normal(0, 0.8, n)
        answers[name] = with_dkrf(rng, ordinal(latent, [cut, cut + 1.3, cut + 2.4]), 0.002, 0.001)
    wg = np.column_stack([answers[k] for k in answers if "_wg_" in k])
    answers["disability"] = np.isin(wg, [3, 4]).any(axis=1).astype(int)
    answers["age_group"] = np.array(AGE_GROUPS, dtype=object)[np.searchsorted([25, 35, 50, 65], age, side="right")]
    answers["youth_18_29"] = (age <= 29).astype(int)

    psu = df["psu_seq"].to_numpy()
    u_psu = rng.normal(0, 0.15, (4, psu.max() + 1))[:, psu]  # cluster random effects (ICC about 0.02)
    crime = plan.effects["crime"][d_idx] + 0.2 * urban + 0.3 * camp + u_psu[0]
    latent = {"crime": crime, "u_safety": u_psu[1], "u_police": u_psu[2], "u_cohesion": u_psu[3],
              "educ": educ_latent}
    people = People(rng, form, rnd, n, d_idx, urban, camp, female, age, latent, plan)
    return people, answers


def logistic(x: np.ndarray) -> np.ndarray:
    """Inverse logit."""
    return 1 / (1 + np.exp(-x))


def victimisation(p: People) -> dict[str, np.ndarray]:
    """c0-c3 (asked of everyone) and the latent scales that depend on victimisation."""
    rng, crime, female, n = p.rng, p.latent["crime"], p.female, p.n
    out = {
        "c0_theft": yes_no(rng, logistic(-1.7 + crime)),
        "c1_assault": yes_no(rng, logistic(-3.0 + crime - 0.3 * female - 0.01 * (p.age - 40))),
        "c2_robbery": yes_no(rng, logistic(-3.1 + crime + 0.3 * p.urban)),
        "c3_threat": yes_no(rng, logistic(-2.6 + crime)),
    }
    victim = (out["c1_assault"] == 1) | (out["c2_robbery"] == 1) | (out["c3_threat"] == 1)
    rural = ~p.urban & ~p.camp
    effect = p.plan.effects
    safety = (effect["safety"][p.d_idx] + _shift("safety", p.rnd, p.plan)[p.d_idx] + 0.2 * rural - 0.4 * p.camp
              + p.latent["u_safety"] - 0.45 * female - 0.6 * victim - 0.3 * (out["c0_theft"] == 1)
              + rng.normal(0, 0.9, n))
    police = (effect["police"][p.d_idx] + _shift("police", p.rnd, p.plan)[p.d_idx] + p.latent["u_police"] + 0.35 * safety
              - 0.3 * victim + rng.normal(0, 0.8, n))
    p.latent.update(
        safety=safety, police=police,
        cohesion=effect["cohesion"][p.d_idx] + p.latent["u_cohesion"] + 0.3 * safety - 0.3 * p.camp + rng.normal(0, 0.85, n),
        guns=effect["guns"][p.d_idx] + _shift("guns", p.rnd, p.plan)[p.d_idx] + 0.5 * crime + rng.normal(0, 0.8, n),
        efficacy=0.3 * police + 0.2 * p.latent["educ"] + rng.normal(0, 1.0, n),
    )
    return out


def module_b(p: People) -> dict[str, np.ndarray]:
    """Feelings of safety (b1-b7), including the never-go-out follow-up and the unsafe reasons."""
    rng, n, safety, guns = p.rng, p.n, p.latent["safety"], p.latent["guns"]
    never = rng.random(n) < (0.02 + 0.06 * (p.age >= 65) + 0.03 * p.female)
    b1 = with_dkrf(rng, np.where(never, 5, 5 - ordinal(safety, [-1.0, -0.05, 0.95])), 0.01, 0.004)
    b2 = np.where(b1 == 5, with_dkrf(rng, 5 - ordinal(safety, [-1.2, -0.2, 0.8]), 0.05, 0.01), np.nan)
    unsafe = np.isin(b1, [3, 4]) | np.isin(b2, [3, 4])
    b3 = multi(rng, n, p.codes("unsafe_reason", 9), [3, 1.2, 1.0 + p.female, 1.8, 0.6, 1.2, 0.6, 0.7, 0.2],
               [0.55, 0.3, 0.15], {"98": 0.02, "99": 0.005})
    change = 0.6 * _shift("safety", p.rnd, p.plan)[p.d_idx] + 0.3 * safety + rng.normal(0, 1, n)
    threat_w = np.tile([3, 2, 1.5, 0.4, 0.6, 0.5, 0.8, 0.7, 0.5, 0.9, 0.4, 1.4, 0.2, 0.1, 0.4, 0.2], (n, 1))
    threat_w[:, 3] *= np.exp(0.8 * guns)  # armed groups
    threat_w[:, 5] *= np.exp(guns)  # misuse of firearms
    threat_w[:, 8] *= np.exp(-p.latent["cohesion"])  # conflict between groups
    b6 = summary(pick(rng, threat_w, rng.choice([1, 2, 3], n, p=[0.35, 0.4, 0.25])), p.codes("threats", 16))
    u = rng.random(n)
    b6 = np.where(u < 0.07 + 0.05 * (safety > 1), "97", np.where(u > 0.975, "98", np.where(u > 0.97, "99", b6)))
    return {
        "b1_safe_dark": b1, "b2_safe_dark_would": b2, "b3_unsafe_reason": np.where(unsafe, b3, None),
        "b4_safe_day": with_dkrf(rng, 5 - ordinal(safety + 1.1, [-1.0, 0.0, 1.0]), 0.005, 0.003),
        "b5_sec_change": with_dkrf(rng, 4 - ordinal(change, [-0.7, 0.75]), 0.04, 0.005),
        "b6_threats": b6,
        "b7_avoid": yes_no(rng, logistic(-0.8 - 0.9 * safety), 0.01, 0.004),
    }


AUTHORITY_CODES = frozenset({"13", "14", "15", "16", "19", "21", "22", "23", "24", "29"})


def reported_to_authority(answers: np.ndarray) -> np.ndarray:
    """``rep_auth_*``: 1 when any code in 13-19 or 21-29 was selected, else 0 (also when not asked)."""
    tokens = pd.Series(answers, dtype=object).fillna("").str.split()
    return tokens.map(lambda t: int(bool(AUTHORITY_CODES & set(t)))).to_numpy()


def module_c(p: People, victims: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Privacy gate, sensitive items, reporting of the most recent incident and reasons for not reporting."""
    rng, n, crime, police = p.rng, p.n, p.latent["crime"], p.latent["police"]
    c1, c2, c3 = victims["c1_assault"], victims["c2_robbery"], victims["c3_threat"]
    c_private = rng.choice([1, 2, 3], n, p=[0.79, 0.12, 0.09])
    private = c_private == 1
    c4 = np.where(private, yes_no(rng, np.where(p.female, 0.03, 0.008) * np.exp(0.5 * crime), 0.005, 0.03), np.nan)
    c5 = np.where(private, yes_no(rng, np.where(p.female, 0.12, 0.03) * np.exp(0.4 * p.urban), 0.005, 0.02), np.nan)
    c6 = np.where(private, yes_no(rng, np.where(p.age < 35, 0.07, 0.025), 0.005, 0.02), np.nan)
    trust = logistic(police)

    def reporting(p_police: np.ndarray, informal: float) -> np.ndarray:
        ones = np.ones(n)
        w = np.column_stack([p_police * 4, 0.5 * ones, 0.6 * ones, 0.1 * ones, 0.1 * ones, informal * ones,
                             0.6 * ones, 1.2 * ones, 0.5 * ones, 0.2 * ones, 1.5 * ones])
        answer = summary(pick(rng, w, rng.choice([1, 2], n, p=[0.75, 0.25])), p.codes("report_to", 11))
        u = rng.random(n)
        answer = np.where(u < 0.28 - 0.08 * np.tanh(police), "0", answer)
        return np.where(u > 0.985, "98", np.where(u > 0.975, "99", answer))

    physical = (c1 == 1) | (c2 == 1)
    c7 = np.where(physical, reporting(trust, 1.2), None)
    c8 = np.where(c3 == 1, reporting(trust * 0.7, 1.0), None)
    c9 = np.where(private & (c4 == 1), reporting(trust * 0.4, 0.8), None)
    rep = {k: reported_to_authority(v) for k, v in (("phys", c7), ("threat", c8), ("sexual", c9))}
    ask_c10 = ((physical & (rep["phys"] == 0)) | ((c3 == 1) & (rep["threat"] == 0))
               | (private & (c4 == 1) & (rep["sexual"] == 0)))
    c10 = multi(rng, n, p.codes("noreport", 11),
                [2.5, 1.5, 1.2, 1.4 + (police < 0), 0.8, 1.0 + (police < 0), 0.5, 0.6, 0.5, 0.7, 0.2],
                [0.6, 0.3, 0.1], {"98": 0.03, "99": 0.02})
    return {
        **victims, "c_private": c_private, "c4_sexual": c4, "c5_harass_public": c5, "c6_online": c6,
        "c7_rep_phys": c7, "c8_rep_threat": c8, "c9_rep_sexual": c9, "rep_auth_phys": rep["phys"],
        "rep_auth_threat": rep["threat"], "rep_auth_sexual": rep["sexual"],
        "c10_noreport_reason": np.where(ask_c10, c10, None),
    }


def module_d(p: People) -> dict[str, np.ndarray]:
    """Police and security providers (d1-d7), driven by the police-legitimacy latent."""
    rng, n, police, urban = p.rng, p.n, p.latent["police"], p.urban

    def item(shift: float, noise: float, cuts: list[float], dk: float, rf: float) -> np.ndarray:
        return with_dkrf(rng, ordinal(police + shift + rng.normal(0, noise, n), cuts), dk, rf)

    first = np.column_stack([
        np.exp(1.2 * police) * 3, np.full(n, 0.4), np.full(n, 0.6), 0.9 * (1 + ~urban), np.full(n, 0.5),
        np.full(n, 0.5), 0.1 * np.exp(p.latent["guns"]), 0.2 * urban + 0.01, np.full(n, 1.5), np.full(n, 0.2),
        np.full(n, 0.05)])
    d6 = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 96])[pick(rng, first, np.ones(n, dtype=int)).argmax(axis=1)]
    return {
        "d1_trust_police": item(0.0, 0.45, [-0.9, 0.0, 0.9], 0.03, 0.01),
        "d2_police_respect": item(0.0, 0.6, [-1.2, -0.1, 1.1], 0.03, 0.01),
        "d3_police_fair": item(-0.2, 0.6, [-1.0, 0.0, 1.1], 0.04, 0.01),
        "d4_police_respond": with_dkrf(rng, ordinal(police + 0.3 * urban + rng.normal(0, 0.7, n), [-1.0, 0.0, 1.0]),
                                       0.04, 0.005),
        "d5_police_account": item(-0.4, 0.7, [-0.9, 0.1, 1.1], 0.07, 0.01),
        "d6_first_turn": with_dkrf(rng, d6, 0.015, 0.005),
        "d7_consulted": yes_no(rng, 0.18 + 0.08 * (police > 0.5), 0.02, 0.005),
    }


def module_e(p: People) -> dict[str, np.ndarray]:
    """Disputes in the past 2 years, the most recent one, mechanisms and reasons for no access (16.3.3)."""
    rng, n = p.rng, p.n
    has_dispute = rng.random(n) < 0.28 + 0.08 * p.camp
    types = summary(pick(rng, np.array([2.5, 1.5, 0.6, 1.2, 1.0, 0.8, 0.5, 1.0, 1.5, 0.4, 1.6]),
                         rng.choice([1, 2], n, p=[0.8, 0.2])), p.codes("dispute", 11))
    u = rng.random(n)
    e1 = np.where(has_dispute, types, np.where(u < 0.03, "98", np.where(u < 0.045, "99", "0")))
    recent = pd.Series(e1, dtype=object).str.split().str[-1].to_numpy()
    e2 = np.where(has_dispute, np.where(rng.random(n) < 0.01, "98", recent), None)
    e3 = multi(rng, n, p.codes("drm", 10), [0.6, 1.0, 0.4, 0.8, 0.3, 1.0 + 2 * ~p.urban, 0.6, 1.4, 0.5, 0.1],
               [0.8, 0.2], {"0": 0.36, "98": 0.015, "99": 0.01})
    e3 = np.where(has_dispute, e3, None)
    reason = rng.choice(np.arange(1, 12), n, p=np.array([18, 20, 14, 9, 6, 8, 9, 6, 3, 3, 4]) / 100)
    e4 = np.where(e3 == "0", with_dkrf(rng, reason, 0.04, 0.01), np.nan)
    return {"e1_disputes": e1, "e2_recent": e2, "e3_mechanism": e3, "e4_noaccess": e4}


def module_f(p: People) -> dict[str, np.ndarray]:
    """Contacts with public officials and bribery among the types contacted (16.5.1)."""
    rng, n = p.rng, p.n
    codes = p.codes("officials", 12)
    contact = rng.random(n) < 0.62
    contacted = pick(rng, np.array([1.6, 0.4, 2.5, 1.5, 0.5, 0.6, 1.0, 1.2, 0.9, 0.2, 0.3, 0.1]),
                     rng.choice([1, 2, 3], n, p=[0.55, 0.3, 0.15]))
    u = rng.random(n)
    f1 = np.where(contact, summary(contacted, codes), np.where(u < 0.02, "98", np.where(u < 0.03, "99", "0")))
    risk = np.array([0.14, 0.1, 0.07, 0.05, 0.12, 0.08, 0.1, 0.08, 0.06, 0.15, 0.12, 0.05])
    bribed = contacted & (rng.random((n, 12)) < risk * np.exp(-0.3 * p.latent["police"])[:, None])
    f2 = np.where(bribed.any(axis=1), summary(bribed, codes), "0")
    u = rng.random(n)
    f2 = np.where(u < 0.02, "98", np.where(u < 0.05, "99", f2))
    return {"f1_contact": f1, "f2_bribe": np.where(contact, f2, None)}


def module_g(p: People, demographics: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Discrimination: 5-year anchor, then grounds in the past 12 months (16.b.1)."""
    rng, n = p.rng, p.n
    minority = (demographics["a4_displacement"] != 1) | (demographics["disability"] == 1)
    g1 = yes_no(rng, 0.15 + 0.1 * p.camp + 0.07 * minority, 0.02, 0.01)
    g2 = multi(rng, n, p.codes("grounds", 12),
               [1.0 + p.female, 1.0, 0.6, 1.5, 1.0 + 2 * p.camp, 1.4, 1.1, 0.8, 0.4, 0.2, 0.7, 0.2],
               [0.75, 0.2, 0.05], {"0": 0.33, "98": 0.02, "99": 0.015})
    return {"g1_discrim_5y": g1, "g2_grounds_12m": np.where(g1 == 1, g2, None)}


def modules_h_to_z(p: People, c_private: np.ndarray) -> dict[str, np.ndarray]:
    """Voice (h), weapons (i), community relations (j), survivors' services (k) and closing items (z)."""
    rng, n, lat = p.rng, p.n, p.latent
    cohesion, guns, police, female = lat["cohesion"], lat["guns"], lat["police"], p.female

    def scale(latent: np.ndarray, noise: float, cuts: list[float], dk: float, rf: float) -> np.ndarray:
        return with_dkrf(rng, ordinal(latent + rng.normal(0, noise, n), cuts), dk, rf)

    gun_change = _shift("guns", p.rnd, p.plan)[p.d_idx] - _shift("guns", max(p.rnd - 1, 1), p.plan)[p.d_idx]
    private = c_private == 1
    z_privacy = np.where(private, rng.choice([1, 2], n, p=[0.9, 0.1]),
                         np.where(c_private == 2, rng.choice([1, 2, 3], n, p=[0.2, 0.6, 0.2]),
                                  rng.choice([2, 3], n, p=[0.4, 0.6])))
    return {
        "h1_say": scale(lat["efficacy"], 0.5, [-0.9, -0.1, 0.7, 1.5], 0.08, 0.02),
        "h2_influence": scale(lat["efficacy"], 0.5, [-0.8, 0.0, 0.8, 1.6], 0.09, 0.02),
        "h3_meeting": scale(0.3 * cohesion + 0.3 * ~female, 1.0, [-0.9, 0.0, 0.7, 1.4], 0.01, 0.005),
        "h4_women_say": scale(0.4 * cohesion - 0.3 * female, 0.9, [-1.0, 0.0, 1.0], 0.04, 0.01),
        "h5_youth_say": scale(0.4 * cohesion - 0.2, 0.9, [-1.0, 0.0, 1.0], 0.04, 0.01),
        "i1_gun_households": scale(guns, 0.0, [-0.6, 0.5, 1.4], 0.12, 0.04),
        "i2_gunshots": scale(guns, 0.5, [-0.3, 0.6, 1.5], 0.02, 0.01),
        "i3_gun_change": scale(0.8 * gun_change + 0.2 * guns, 0.7, [-0.6, 0.6], 0.1, 0.02),
        "i4_gun_safer": scale(0.5 + 0.3 * female - 0.2 * guns, 0.9, [-1.2, -0.4, 0.7], 0.03, 0.01),
        "j1_trust_neigh": scale(cohesion, 0.5, [-1.0, -0.1, 0.9], 0.01, 0.005),
        "j2_help_neigh": scale(cohesion, 0.6, [-1.3, -0.3, 1.0], 0.015, 0.005),
        "j3_intervene": scale(cohesion, 0.7, [-1.0, 0.0, 1.0], 0.03, 0.005),
        "j4_intergroup": scale(cohesion, 0.6, [-1.3, -0.3, 1.0], 0.03, 0.01),
        "j5_violence_risk": scale(-cohesion + 0.4 * guns, 0.7, [-0.5, 0.4, 1.3], 0.06, 0.01),
        "k1_gbv_services": yes_no(rng, logistic(0.3 + 0.4 * p.urban + 0.3 * female), 0.04, 0.005),
        "k2_gbv_police": scale(police + 0.2 * ~female, 0.8, [-0.9, 0.0, 1.0], 0.05, 0.01),
        "z_privacy": z_privacy, "z_referral": np.where(rng.random(n) < 0.97, 1, 2),
    }


def simulate(rng: np.random.Generator, frame: pd.DataFrame, form: Form, rnd: int,
             plan: Plan = DEMO_PLAN) -> pd.DataFrame:
    """Simulate one round as a canonical frame: one column per form field, codes as numbers or text."""
    df = paradata(rng, sample_round(rng, frame, rnd), frame, rnd, plan)
    people, answers = respondents(rng, df, form, rnd, plan)
    victims = victimisation(people)
    answers.update(module_b(people))
    answers.update(module_c(people, victims))
    answers.update(module_d(people))
    answers.update(module_e(people))
    answers.update(module_f(people))
    answers.update(module_g(people, answers))
    answers.update(modules_h_to_z(people, answers["c_private"]))
    modules = pd.DataFrame(answers).astype(object)
    modules.loc[(df["consent"] != 1).to_numpy(), :] = None  # no consent: every module is skipped
    df = pd.concat([df, modules], axis=1)
    df["instanceID"] = ["uuid:" + u for u in rand_uuid(rng, len(df))]
    delay = pd.to_timedelta(rng.integers(20 * 60, 30 * 3600, len(df)), unit="s")
    df["submitted_utc"] = df["end"] + delay - pd.Timedelta(hours=TZ_HOURS)
    df = df.sort_values(["submitted_utc", "instanceID"], kind="stable").reset_index(drop=True)
    return _to_nullable(df, form)


def _to_nullable(df: pd.DataFrame, form: Form) -> pd.DataFrame:
    """Select-one and integer columns as nullable Int64 codes; select_multiple/text as object strings."""
    for f in form.fields:
        if f.name not in df.columns:
            continue
        if f.type in ("integer", "select_one") and f.list_name not in ("admin1", "admin2"):
            df[f.name] = pd.to_numeric(pd.Series(df[f.name], dtype=object), errors="coerce").round().astype("Int64")
        elif f.type in ("select_multiple", "text", "calculate"):
            values = pd.Series(df[f.name], dtype=object)
            text = values.map(str).to_numpy(dtype=object)
            df[f.name] = pd.Series(np.where(values.notna(), text, None), index=df.index, dtype=object)
    return df


# ---------------------------------------------------------------------------------------------
# Planted data-quality problems
# ---------------------------------------------------------------------------------------------
def _consenting(df: pd.DataFrame, rng: np.random.Generator, k: int) -> list[int]:
    rows = np.flatnonzero((df["consent"] == 1).to_numpy())
    return sorted(rng.choice(rows, size=k, replace=False).tolist())


def plant(df: pd.DataFrame, rng: np.random.Generator, rnd: int, plan: Plan = DEMO_PLAN) -> pd.DataFrame:
    """Apply the round's planted problems (see :data:`PLANTED`); returns a new frame."""
    df = df.copy()
    a, b, c, d = _consenting(df, rng, 4)
    if rnd == 1:
        df.loc[b, "a2_age"] = 16
        df.loc[b, ["age_group", "youth_18_29"]] = ["18-24", "1"]
        df.loc[c, "end"] = df.loc[c, "start"] + pd.Timedelta(minutes=4)
        df.loc[d, "d1_trust_police"] = 5
        dup = df.loc[[a]].assign(submitted_utc=df.loc[a, "submitted_utc"] + pd.Timedelta(hours=6, minutes=13))
        df = pd.concat([df, dup], ignore_index=True)
    elif rnd == 2:
        df.loc[b, "end"] = df.loc[b, "start"] + pd.Timedelta(minutes=3)
        victims = np.flatnonzero(df["c7_rep_phys"].notna().to_numpy())
        df.loc[victims[0], "c7_rep_phys"] = "0 13"
        df.loc[victims[0], "rep_auth_phys"] = "1"
        df.loc[victims[0], "c10_noreport_reason"] = None
        df["form_version"] = plan.form_version[2]
        stale = df.index[(df["enumerator_id"] == sorted(set(df["enumerator_id"]))[2]) & (df.index != a)][:8]
        df.loc[stale, "form_version"] = "2026042801"
        df = pd.concat([df, df.loc[[a]]], ignore_index=True)
    else:
        df.loc[b, "a2_age"] = 17
        df.loc[b, ["age_group", "youth_18_29"]] = ["18-24", "1"]
        df.loc[c, "b4_safe_day"] = 6
        df = pd.concat([df, df.loc[[a]]], ignore_index=True)
    return df.sort_values("submitted_utc", kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Export writers
# ---------------------------------------------------------------------------------------------
def _data_fields(form: Form) -> list[Field]:
    return [f for f in form.fields if f.type != "note"]


def kobo_columns(form: Form) -> list[tuple[str, str, str | None]]:
    """(header, source column, choice code) for the KoBo XML export with groups joined by '/'."""
    cols: list[tuple[str, str, str | None]] = []
    for f in _data_fields(form):
        path = "/".join((*[p for p in f.path if p != "meta"], f.name))
        cols.append((path, f.name, None))
        if f.type == "select_multiple":
            cols += [(f"{path}/{code}", f.name, code) for code, _ in form.choices[f.list_name]]
    return cols


KOBO_COPY = ("_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by",
             "__version__", "_tags", "meta/rootUuid", "_index")


def dummies(values: pd.Series, code: str) -> pd.Series:
    """1/0 for 'code selected' in a space-separated answer; missing when the answer is missing."""
    padded = " " + values.fillna("").astype(str) + " "
    return padded.str.contains(f" {code} ", regex=False).astype("Int64").where(values.notna())


def write_kobo_xlsx(df: pd.DataFrame, form: Form, path: Path, rng: np.random.Generator) -> None:
    """KoBo XLSX export (formpack, XML values and headers, types not as text, groups '/')."""
    cols = kobo_columns(form)
    kinds = {f.name: f for f in form.fields}
    n = len(df)
    uuids = df["instanceID"].str.removeprefix("uuid:")
    copy = pd.DataFrame({
        "_id": 412000000 + np.arange(n) * 7 + rng.integers(0, 7, n),
        "_uuid": uuids, "_submission_time": df["submitted_utc"],
        "_validation_status": np.where(rng.random(n) < 0.6, "validation_status_approved",
                                       np.where(rng.random(n) < 0.03, "validation_status_on_hold", None)),
        "_notes": None, "_status": "submitted_via_web",
        "_submitted_by": "cssp_" + df["enumerator_id"].str.lower(), "__version__": KOBO_VERSION_UID,
        "_tags": None, "meta/rootUuid": df["instanceID"], "_index": np.arange(1, n + 1),
    })
    columns: list[list] = []
    for _header, source, code in cols:
        field = kinds[source]
        series = df[source]
        if code is not None:
            columns.append(dummies(series, code).astype(object).where(series.notna(), None).tolist())
        elif field.type in ("start", "end", "today"):
            columns.append(series.dt.to_pydatetime().tolist())
        else:
            columns.append(pd.Series(series, dtype=object).where(series.notna(), None).tolist())
    for name in KOBO_COPY:
        s = copy[name]
        columns.append(s.dt.to_pydatetime().tolist() if name == "_submission_time" else
                       pd.Series(s, dtype=object).where(pd.notna(s), None).tolist())
    headers = [h for h, _, _ in cols] + list(KOBO_COPY)

    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                               "strings_to_urls": False})
    created = dt.datetime.combine(FIELDWORK[1] + dt.timedelta(days=22), dt.time(9, 30))
    workbook.set_properties({"created": created})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    ws = workbook.add_worksheet("CSSP demo round 1")
    ws.write_row(0, 0, headers)
    for c, values in enumerate(columns):  # one pass per column; xlsxwriter needs a call per cell
        for r, value in enumerate(values, start=1):
            if value is None:
                continue
            if isinstance(value, dt.datetime):
                ws.write_datetime(r, c, value, date_format)
            elif isinstance(value, str):
                ws.write_string(r, c, value)
            else:
                ws.write_number(r, c, int(value))
    workbook.close()


def central_columns(form: Form) -> list[tuple[str, str]]:
    """(header, source column) of the ODK Central CSV (group paths joined by '-', no split)."""
    body = [f for f in form.fields if f.path != ("meta",)]
    meta = [f for f in form.fields if f.path == ("meta",)]
    cols = [("SubmissionDate", "_submission_date")]
    cols += [("-".join((*f.path, f.name)), f.name) for f in body]
    cols += [("meta-" + f.name, f.name) for f in meta]
    cols += [("meta-instanceID", "instanceID"), ("meta-instanceName", "_instance_name")]
    cols += [(name, "_" + name) for name in ("KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent",
                                             "AttachmentsExpected", "Status", "ReviewState", "DeviceID",
                                             "Edits", "FormVersion")]
    return cols


def _iso_local(values: pd.Series) -> pd.Series:
    return values.dt.strftime("%Y-%m-%dT%H:%M:%S.000") + TZ


def central_frame(df: pd.DataFrame, form: Form, rng: np.random.Generator) -> pd.DataFrame:
    """The round as ODK Central's CSV table: Central's headers, every cell as text ('' when empty)."""
    n = len(df)
    out = pd.DataFrame(index=df.index)
    ms = rng.integers(0, 1000, n)
    frame = df.copy()
    frame["_submission_date"] = (frame["submitted_utc"].dt.strftime("%Y-%m-%dT%H:%M:%S.")
                                 + pd.Series(ms, index=df.index).map("{:03d}".format) + "Z")
    frame["start"] = _iso_local(frame["start"])
    frame["end"] = _iso_local(frame["end"])
    frame["today"] = frame["today"].dt.strftime("%Y-%m-%d")
    frame["_instance_name"] = frame["admin2"] + "-" + frame["cluster_id"] + "-" + frame["survey_round"]
    frame["_KEY"] = frame["instanceID"]
    submitters = {e: str(20 + i) for i, e in enumerate(sorted(set(frame["enumerator_id"])))}
    frame["_SubmitterID"] = frame["enumerator_id"].map(submitters)
    frame["_SubmitterName"] = "enum-" + frame["enumerator_id"].str.lower()
    frame["_AttachmentsPresent"] = "1"
    frame["_AttachmentsExpected"] = "1"
    frame["_Status"] = ""
    frame["_ReviewState"] = np.where(rng.random(n) < 0.55, "approved", np.where(rng.random(n) < 0.05, "hasIssues", ""))
    frame["_DeviceID"] = frame["deviceid"]
    frame["_Edits"] = "0"
    frame["_FormVersion"] = frame["form_version"]
    for header, source in central_columns(form):
        series = frame[source] if source in frame.columns else pd.Series([None] * n, index=df.index)
        values = pd.Series(series, dtype=object)
        out[header] = np.where(values.notna(), values.map(str).to_numpy(dtype=object), "")
    return out


def write_central_zip(df: pd.DataFrame, form: Form, path: Path, rng: np.random.Generator) -> None:
    """ODK Central ``submissions.csv.zip`` without attachments (default options)."""
    out = central_frame(df, form, rng)
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    info = zipfile.ZipInfo(f"{form.form_id}.csv", date_time=(2026, 5, 25, 7, 41, 10))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o100644 << 16
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(info, buffer.getvalue().encode("utf-8"))


SAV_TIMESTAMP = b"30 Nov 2609:00:00"  # creation date/time written into the .sav header (bytes 92-108)


def spss_frame(df: pd.DataFrame, form: Form) -> tuple[pd.DataFrame, dict, dict, dict, dict]:
    """The round as SPSS variables: data, variable labels, value labels, user-missing and measures."""
    data: dict[str, object] = {}
    labels: dict[str, str] = {}
    value_labels: dict[str, dict[float, str]] = {}
    missing: dict[str, list[float]] = {}
    measure: dict[str, str] = {}
    skip = {"audit"}
    for f in _data_fields(form):
        if f.name in skip:
            continue
        label = (f.label or f.name).replace("${", "[").replace("}", "]")
        series = df[f.name]
        if f.type in ("start", "end"):
            data[f.name] = series
        elif f.type == "today":
            data[f.name] = series.dt.date
        elif f.type == "select_one" and f.list_name not in ("admin1", "admin2"):
            data[f.name] = series.astype("Float64").astype(float)
            value_labels[f.name] = {float(code): text for code, text in form.choices[f.list_name]}
            codes = [float(code) for code, _ in form.choices[f.list_name] if code in ("98", "99")]
            if codes:
                missing[f.name] = codes
            measure[f.name] = "nominal"
        elif f.type == "integer":
            data[f.name] = series.astype("Float64").astype(float)
            measure[f.name] = "scale"
        elif f.type == "select_multiple":
            data[f.name] = series.fillna("").astype(str)
            for code, text in form.choices[f.list_name]:
                name = f"{f.name}_{code}"
                data[name] = dummies(series, code).astype("Float64").astype(float)
                labels[name] = f"{label} :: {text}"
                value_labels[name] = {0.0: "Not selected", 1.0: "Selected"}
                measure[name] = "nominal"
        elif f.name in ("youth_18_29", "disability") or f.name.startswith("rep_auth_"):
            data[f.name] = pd.to_numeric(series, errors="coerce").astype(float)
            value_labels[f.name] = {0.0: "No", 1.0: "Yes"}
            measure[f.name] = "nominal"
        else:
            data[f.name] = series.fillna("").astype(str)
        labels.setdefault(f.name, label if f.label else f.name)
    data["instanceID"] = df["instanceID"]
    labels["instanceID"] = "Submission id (meta/instanceID)"
    data["submission_time"] = df["submitted_utc"]
    labels["submission_time"] = "Server submission time (UTC)"
    frame = pd.DataFrame(data)
    return frame, {k: v[:250] for k, v in labels.items()}, value_labels, missing, measure


def write_sav(df: pd.DataFrame, form: Form, path: Path) -> None:
    """SPSS ``.sav`` (bytecode-compressed) with labels and user-missing 98/99; fixed header timestamp."""
    frame, labels, value_labels, missing, measure = spss_frame(df, form)
    pyreadstat.write_sav(frame, str(path), file_label="CSSP demo - round 3", column_labels=labels,
                         row_compress=True, variable_value_labels=value_labels, missing_ranges=missing,
                         variable_measure=measure)
    raw = bytearray(path.read_bytes())
    raw[92:109] = SAV_TIMESTAMP
    path.write_bytes(bytes(raw))


# ---------------------------------------------------------------------------------------------
# Orchestration
# ---------------------------------------------------------------------------------------------
def generate(out: Path) -> list[Path]:
    """Write every demo file into ``out``; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    form = read_form()
    frame = sample_frame()
    cells = census_cells(frame)
    rng = np.random.default_rng(SEED)
    rounds = {rnd: plant(simulate(rng, frame, form, rnd), rng, rnd) for rnd in (1, 2, 3)}
    write_kobo_xlsx(rounds[1], form, out / "round1_kobo.xlsx", rng)
    write_central_zip(rounds[2], form, out / "round2_central.zip", rng)
    write_sav(rounds[3], form, out / "round3_spss.sav")
    frame.to_csv(out / "sample_frame.csv", index=False, lineterminator="\n")
    census_margins(cells).to_csv(out / "census_margins.csv", index=False, lineterminator="\n")
    cells.to_csv(out / "census_cells.csv", index=False, lineterminator="\n")
    district_covariates(frame).to_csv(out / "district_covariates.csv", index=False, lineterminator="\n")
    return [out / name for name in FILES]


def compare(reference: Path, candidate: Path) -> list[str]:
    """Names of the demo files that differ between two directories (byte comparison)."""
    differ = []
    for name in FILES:
        a, b = reference / name, candidate / name
        if not a.exists() or not b.exists() or a.read_bytes() != b.read_bytes():
            differ.append(name)
    return differ


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit code (1 when --check finds a difference)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare a fresh generation with examples/demo")
    parser.add_argument("--out", type=Path, default=DEMO, help="output directory (default examples/demo)")
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            generate(Path(tmp))
            differ = compare(args.out, Path(tmp))
        if differ:
            print(f"out of date in {args.out}: {', '.join(differ)}; run `python examples/generate.py`",
                  file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    for path in generate(args.out):
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
