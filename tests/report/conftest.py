"""A small, fixed results table for the report tests (no randomness: every value is written out)."""

from __future__ import annotations

import pandas as pd
import pytest

from survey_toolkit.report import ReportMeta

LOCATIONS = ["R01D01", "R01D02", "<script>alert(1)</script>", '=HYPERLINK("http://x")']
ROUNDS = ["R1", "R2", "R3"]

# indicator -> (unit, direction, sensitive, {location: [estimate per round]}, base n per round)
SPEC = {
    "trust_police": ("percent", "higher_is_better", False, [40.0, 42.0, 55.0], [410, 395, 402]),
    "tf_harassment": ("percent", "higher_is_worse", True, [18.0, 17.0, 15.0], [380, 390, 385]),
    "csi": ("index_score", "higher_is_better", False, [61.0, 60.5, 60.0], [410, 395, 402]),
}
LABELS = {
    "trust_police": ("Trust the police somewhat or a lot", "Font confiance à la police"),
    "tf_harassment": (
        "Technology-facilitated harassment <b>(12 months)</b>",
        "Harcèlement en ligne (12 mois)",
    ),
    "csi": ("Community Safety Index (0–100)", "Indice de sécurité communautaire (0–100)"),
}


def _rows():
    rows = []
    for ind, (unit, direction, sensitive, levels, bases) in SPEC.items():
        for r_i, rnd in enumerate(ROUNDS):
            for l_i, loc in enumerate(["All", *LOCATIONS]):
                shift = 0.0 if loc == "All" else (l_i - 2.5) * 3.0
                est = levels[r_i] + shift + (4.0 if (loc == "R01D01" and rnd == "R3") else 0.0)
                n = bases[r_i] if loc == "All" else bases[r_i] // 4
                if loc == LOCATIONS[2] and rnd == "R2":
                    n = 25  # small base: suppressed
                if loc == LOCATIONS[1] and rnd == "R3":
                    n = 45  # caution
                se = (2.0 if loc != "All" else 1.0) * (1.0 if unit == "percent" else 0.8)
                k = round(n * est / 100) if unit == "percent" else None
                if ind == "tf_harassment" and loc == LOCATIONS[0] and rnd == "R3":
                    k = 3  # small sensitive cell: suppressed, with a secondary suppression
                rows.append(
                    dict(
                        indicator_id=ind,
                        round=rnd,
                        location=loc,
                        estimate=est,
                        se=se,
                        ci_low=est - 1.97 * se,
                        ci_high=est + 1.97 * se,
                        df=60.0 if loc == "All" else 14.0,
                        n=n,
                        n_numerator=k,
                        n_weighted=n * 10.5,
                        n_eff=n * 0.8,
                        dk_share=0.12 if (ind == "csi" and loc == "R01D02") else 0.03,
                        unit=unit,
                        direction=direction,
                        sensitive=sensitive,
                        label_en=LABELS[ind][0],
                        label_fr=LABELS[ind][1],
                    )
                )
    return pd.DataFrame(rows)


@pytest.fixture
def results() -> pd.DataFrame:
    return make_results()


@pytest.fixture
def meta() -> ReportMeta:
    return make_meta()


def make_results() -> pd.DataFrame:
    """The fixed results table (also used by scripts that regenerate the golden files)."""
    return _rows()


def make_meta() -> ReportMeta:
    """Report metadata for the fixed table: names, a definition, methodology tables."""
    sizes = pd.DataFrame({"round": ROUNDS, "interviews": [410, 395, 402], "psus": [40, 40, 40]})
    weights = pd.DataFrame(
        {
            "round": ROUNDS,
            "kish_deff": [1.21, 1.18, 1.25],
            "n_eff": [339, 335, 322],
            "max_ratio": [4.1, 3.9, 4.6],
        }
    )
    exclusions = pd.DataFrame({"reason": ["speeding (< 8 min)", "duplicate submission"], "count": [7, 2]})
    return ReportMeta(
        title={"en": "Demo district safety survey", "fr": "Enquête de sécurité (démo)"},
        location_names={"R01D01": "Riverside", "R01D02": "Hillcrest"},
        indicator_definitions={
            "trust_police": {"en": "d1 in {3, 4} among valid answers", "fr": "d1 ∈ {3, 4}"}
        },
        design={"en": "Two-stage cluster sample, 40 PSUs per round.", "fr": "Sondage à deux degrés."},
        sample_sizes=sizes,
        weight_diagnostics=weights,
        exclusions=exclusions,
    )


def make_wide_results(n_locations: int = 22, n_rounds: int = 6) -> pd.DataFrame:
    """A project of the wide shape (22 districts x 6 rounds by default), one percent indicator, fixed values:
    the round table has 3 columns a round, the trend chart a panel a location."""
    locs = ["All", *(f"R{1 + i // 6:02d}D{i % 6 + 1:02d}" for i in range(n_locations))]
    rows = []
    for r_i in range(n_rounds):
        for l_i, loc in enumerate(locs):
            est = 40.0 + 0.5 * l_i + (3.0 * r_i if l_i % 3 == 0 else -0.4 * r_i)
            n = 3000 if loc == "All" else 130
            se = 1.0 if loc == "All" else 4.0
            rows.append(dict(indicator_id="trust_police", round=f"R{r_i + 1}", location=loc, estimate=est, se=se,
                             ci_low=est - 1.97 * se, ci_high=est + 1.97 * se, df=60.0, n=n,
                             n_numerator=round(n * est / 100), n_weighted=n * 10.5, n_eff=n * 0.8, dk_share=0.03,
                             unit="percent", direction="higher_is_better", sensitive=False,
                             label_en=LABELS["trust_police"][0], label_fr=LABELS["trust_police"][1]))  # fmt: skip
    return pd.DataFrame(rows)
