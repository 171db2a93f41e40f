"""No output shows a suppressed value: HTML (text and charts), Excel, CSV and chart files."""

from __future__ import annotations

import base64
import re

import openpyxl
import pandas as pd
import pytest

from survey_toolkit.report import render

SECRET = 37.77  # estimate of a suppressed cell; its text forms must appear nowhere
SECRET_TEXTS = ("37.77", "37.8", "37,8", "0.3777", "3777")


def table() -> pd.DataFrame:
    rows = []
    for rnd, shift in (("R1", 0.0), ("R2", 3.0)):
        for loc, est, n, k in (("All", 20.0, 600, 120), ("North", 22.0, 300, 66), ("South", SECRET, 300, 3)):
            e = est + (shift if loc != "South" else 0.0)
            rows.append(
                dict(
                    indicator_id="sv",
                    round=rnd,
                    location=loc,
                    estimate=e,
                    se=1.21,
                    ci_low=e - 2.41,
                    ci_high=e + 2.43,
                    df=40.0,
                    n=n,
                    n_numerator=k,
                    n_weighted=n * 9.13,
                    n_eff=n * 0.81,
                    unit="percent",
                    direction="higher_is_worse",
                    sensitive=True,
                    label_en="Sexual violence",
                )
            )
    return pd.DataFrame(rows)


def _texts_of_html(path) -> str:
    html = path.read_text(encoding="utf-8")
    charts = [base64.b64decode(m).decode("utf-8") for m in re.findall(r"base64,([A-Za-z0-9+/=]+)", html)]
    return html + "\n".join(charts)


@pytest.mark.slow
def test_suppressed_values_appear_in_no_output(tmp_path):
    files = render(table(), tmp_path, languages=("en", "fr"), chart_formats=("svg",))
    texts = [_texts_of_html(p) for p in files["html"]]
    texts += [p.read_text(encoding="utf-8") for p in files["tidy"] if p.suffix == ".csv"]
    texts += [p.read_text(encoding="utf-8") for p in files["charts"]]
    for path in files["excel"]:
        wb = openpyxl.load_workbook(path)
        texts.append("\n".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row))
    assert len(texts) == 2 + 2 + len(files["charts"]) + 2
    assert all('<script type="application/json" id="explore-data">' in text for text in texts[:2])  # the explore view's table too
    for text in texts:
        for secret in SECRET_TEXTS:
            assert secret not in text
    # the secondary suppression hides North too, so South cannot be derived from All - North
    results = pd.read_csv(tmp_path / "results.csv")
    assert results.loc[results["location"] != "All", "suppressed"].all()
    assert set(results.loc[results["location"] == "North", "suppression_reason"]) == {"secondary"}
