"""The HTML report in headless Chromium: no network requests, no console messages, a screenshot.

Network: Chromium runs with every request sent through a local counting proxy, so any URL the page
tried to fetch is recorded. Chromium's own background requests (Google update, time and account
services) are ignored by host. A control page with an external image and a ``console.error`` proves
that the harness does detect both.
"""

from __future__ import annotations

import dataclasses
import http.server
import json
import re
import shutil
import socketserver
import subprocess
import threading
from pathlib import Path

import pytest

from survey_toolkit.report import write_html

from .conftest import make_meta, make_results, make_wide_results

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_HOSTS = ("google.com", "googleapis.com", "gstatic.com", "gvt1.com")

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian 'chromium' is not on PATH (apt-get install -y chromium)"
)


class _Proxy(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        self.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    do_POST = do_HEAD = do_GET

    def do_CONNECT(self) -> None:  # noqa: N802
        self.hits.append("https://" + self.path)
        self.send_response(502)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def _run(page: Path, *extra: str) -> tuple[str, str, list[str]]:
    """Open ``page`` headless; return stdout, stderr and the URLs the page requested."""
    handler = type("Proxy", (_Proxy,), {"hits": []})
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        cmd = [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--proxy-server=http://127.0.0.1:{port}",
            "--proxy-bypass-list=<-loopback>",
            "--enable-logging=stderr",
            "--v=0",
            *extra,
            page.as_uri(),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        server.shutdown()
    own = [
        h for h in handler.hits if not any(host in h.split("/")[2].split(":")[0] for host in BROWSER_HOSTS)
    ]
    return proc.stdout, proc.stderr, own


def _console(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln or "Failed to load" in ln]


@needs_chromium
def test_harness_detects_requests_and_console_errors(tmp_path):
    page = tmp_path / "control.html"
    page.write_text(
        '<!DOCTYPE html><p>x</p><img src="http://example.test/pixel.png"><script>console.error("boom")</script>',
        encoding="utf-8",
    )
    _, stderr, hits = _run(page, "--dump-dom")
    assert any("example.test" in h for h in hits)
    assert any("boom" in ln for ln in _console(stderr))


@needs_chromium
def test_report_opens_without_network_or_console_errors(tmp_path):
    page = write_html(tmp_path / "report.html", make_results(), meta=make_meta())
    dom, stderr, hits = _run(page, "--dump-dom")
    assert hits == []
    assert _console(stderr) == []
    assert "Demo district safety survey" in dom and "Methodology" in dom
    assert "<script>alert(1)</script>" not in dom  # the place name stays text in the live DOM


@needs_chromium
def test_report_screenshot(tmp_path):
    page = write_html(tmp_path / "report.html", make_results(), meta=make_meta(), lang="fr")
    shot = tmp_path / "report.png"
    _, stderr, hits = _run(page, f"--screenshot={shot}", "--window-size=1100,1600", "--hide-scrollbars")
    assert hits == [] and _console(stderr) == []
    assert shot.exists() and shot.stat().st_size > 20_000


@needs_chromium
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_explore_view_runs_offline(tmp_path, lang):
    """The "Explore the results" script runs (no console error, no request) and builds its table from the JSON:
    the latest round by location, the hostile place name as text, a withheld change with its reason."""
    page = write_html(tmp_path / "report.html", make_results(), meta=make_meta(), lang=lang)
    dom, stderr, hits = _run(page, "--dump-dom")
    assert hits == [] and _console(stderr) == []
    view = dom.split('id="explore-view"', 1)[1].split("</section>", 1)[0]
    assert not view.startswith(" hidden")  # the script showed it
    body = view.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)
    assert len(rows) == 5  # overall + 4 locations, latest round, no breakdown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert(1)" not in body
    assert "explore-dot" in body and "explore-ci" in body
    if lang == "en":
        assert "<td>55.0</td><td>53.0–57.0</td><td>402</td><td class=\"sig\">+13.0 points*</td>" in body
        assert "change not published: the R2 estimate is not published" in body
    else:
        assert "\u200e55.0" in body


@needs_chromium
def test_explore_view_filters_and_sorts(tmp_path):
    """Choosing a location and every round, then sorting by the estimate twice (descending): the rows are
    that location's rounds, largest estimate first, the withheld one last. The choices are made by a test
    script added after the report's own (the page itself has no other script)."""
    page = write_html(tmp_path / "report.html", make_results(), meta=make_meta())
    driver = """<script>
      var pick = function (id, value) { var s = document.getElementById(id); s.value = value;
        s.dispatchEvent(new Event("change")); };
      pick("explore-location", "3"); pick("explore-round", "-1");
      var sortBy = function (label) { Array.prototype.filter.call(document.querySelectorAll("button.explore-sort"),
        function (b) { return b.textContent === label; })[0].click(); };
      sortBy("Estimate"); sortBy("Estimate");
    </script>"""
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", driver + "</body>"), encoding="utf-8")
    dom, stderr, hits = _run(page, "--dump-dom")
    assert hits == [] and _console(stderr) == []
    body = dom.split('id="explore-view"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)]
    assert [c[0] for c in cells] == ["R3", "R1", "R2"]  # round column shown, location column not
    assert [c[1] for c in cells] == ["56.5", "41.5", "—"]  # 40.0 + 1.5 in R1, 55.0 + 1.5 in R3, R2 withheld
    assert "estimate not published: unweighted base below the minimum" in cells[2][5]
    assert 'aria-sort="descending"' in dom


@needs_chromium
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_wide_round_table_scrolls_in_its_box_with_the_location_column_in_view(tmp_path, lang):
    """22 locations x 6 rounds in a 1000 px window: the page itself does not scroll sideways, the round table's
    box does; scrolled to its far end, the location column is still at the box's reading-side edge (left in
    English, right in Arabic). A test script added after the report measures and writes the result."""
    page = write_html(tmp_path / "report.html", make_wide_results(), meta=make_meta(), lang=lang)
    probe = """<script>
      document.querySelectorAll("details").forEach(function (d) { d.open = true; });
      var box = document.querySelector("div.scroll:has(> table.rounds)"), rtl = document.dir === "rtl";
      var wide = box.scrollWidth > box.clientWidth + 200, page = document.documentElement.scrollWidth;
      box.scrollLeft = (rtl ? -1 : 1) * box.scrollWidth;
      var cell = box.querySelector("tbody tr:nth-child(3) td").getBoundingClientRect(), edge = box.getBoundingClientRect();
      var gap = rtl ? Math.abs(edge.right - cell.right) : Math.abs(cell.left - edge.left);
      document.body.setAttribute("data-probe", [wide, page <= window.innerWidth, Math.abs(box.scrollLeft) > 200,
        gap < 1].join(","));
    </script>"""
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", probe + "</body>"), encoding="utf-8")
    dom, stderr, hits = _run(page, "--dump-dom", "--window-size=1000,1400")
    assert hits == [] and _console(stderr) == []
    assert 'data-probe="true,true,true,true"' in dom


ROUND_LABELS = {
    "latin": {f"R{i}": f"Round {i} ({['May', 'Nov'][i % 2]} {2025 + i // 2})" for i in range(1, 7)},
    "arabic": {f"R{i}": f"الجولة {i} ({['مايو', 'نوفمبر'][i % 2]} {2025 + i // 2})" for i in range(1, 7)},
}


@needs_chromium
@pytest.mark.parametrize("script", ["latin", "arabic"])
def test_the_numbered_round_key_reads_right_to_left_in_arabic(tmp_path, script):
    """22 panels number their rounds 1-6 and the chart writes the key under them. In Arabic the key is aligned
    right and read right to left whatever the script of the round names: each entry's number rightmost with
    its colon to its left, entries following leftwards, and each label's brackets inside its own entry (turned
    for Arabic text, in Latin order for Latin text). Chromium lays the SVG out; a script reads where each
    character was drawn. (Before: with Latin round names, entry 1's label went to the far left, brackets
    turned, and entries 2-6 ran left to right.)"""
    from survey_toolkit.comparison import compare_rounds
    from survey_toolkit.report._common import prepare_results
    from survey_toolkit.report.charts import build_charts, figure_bytes
    from survey_toolkit.report.charts.style import WIDTH

    meta = dataclasses.replace(make_meta(), round_labels=ROUND_LABELS[script]).for_language("ar")
    results = prepare_results(make_wide_results(), meta.rules)
    svg = figure_bytes(build_charts(results, compare_rounds(results), meta=meta, lang="ar")["trust_police_trend"], "svg")
    page = tmp_path / "key.html"
    page.write_text("<!DOCTYPE html><html><body>" + svg.decode("utf-8") + """<script>
      var t = Array.prototype.filter.call(document.querySelectorAll("text"), function (e) {
        return e.textContent.indexOf("1: ") >= 0; })[0], s = t.textContent, out = {};
      var at = function (i) { var e = t.getExtentOfChar(i); return e.x + e.width / 2; };
      for (var k = 1; k <= 6; k++) { var i = s.indexOf(k + ": ");
        if (i >= 0) { out[k] = [at(i), at(i + 1), at(s.indexOf("(", i)), at(s.indexOf(")", i))]; } }
      document.body.setAttribute("data-probe", JSON.stringify(out));
    </script></body></html>""", encoding="utf-8")
    dom, stderr, hits = _run(page, "--dump-dom")
    assert hits == [] and _console(stderr) == []
    found = json.loads(re.search(r'data-probe="([^"]*)"', dom).group(1).replace("&quot;", '"'))
    entries = [found[k] for k in sorted(found, key=int)]
    assert len(entries) >= 4  # the first line holds several entries
    assert entries[0][0] > WIDTH - 8 - 12  # aligned right: entry 1's number at the right edge
    for k, (number, colon, opening, closing) in enumerate(entries):
        assert colon < number  # "1:" read right to left
        assert (opening > closing) if script == "arabic" else (opening < closing)
        assert max(opening, closing) < colon
        if k + 1 < len(entries):
            assert entries[k + 1][0] < min(opening, closing)  # the next entry starts left of this one's label


@needs_chromium
def test_latin_text_in_a_right_to_left_chart_keeps_its_end_punctuation(tmp_path):
    """An Arabic report's charts show English labels when the form has no Arabic: a wrapped label's last line
    "computation)" and a question "Do you feel safe?" keep their closing bracket and question mark at their
    right end (they were drawn at the left, turned: "(computation", "?Do you feel safe"); an Arabic label is
    left as it is. Chromium lays the SVG out; a script reads where the characters were drawn."""
    from survey_toolkit.report.canvas import Canvas

    c = Canvas(400, 80, rtl=True)
    for k, text in enumerate(["computation)", "Do you feel safe?", "(0-10) index"]):
        c.text(390, 20 + 20 * k, text, anchor="end")
    c.text(390, 80, "الجولة 1 (نوفمبر 2025)", anchor="end")
    svg = c.svg().decode("utf-8")
    assert "\u200eDo you feel safe?\u200e" in svg and ">الجولة 1 (نوفمبر 2025)<" in svg
    page = tmp_path / "rtl.html"
    page.write_text("<!DOCTYPE html><html><body>" + svg + """<script>
      var out = Array.prototype.map.call(document.querySelectorAll("text"), function (t) {
        var s = t.textContent, at = function (i) { var e = t.getExtentOfChar(i); return e.x + e.width / 2; };
        var first = s.search(/[A-Za-z(]/), last = s.length - 1;
        while (s.charCodeAt(last) === 0x200e) { last -= 1; }
        return [at(first), at(last)]; });
      document.body.setAttribute("data-probe", JSON.stringify(out));
    </script></body></html>""", encoding="utf-8")
    dom, stderr, hits = _run(page, "--dump-dom")
    assert hits == [] and _console(stderr) == []
    found = json.loads(re.search(r'data-probe="([^"]*)"', dom).group(1))
    for first, last in found[:3]:  # Latin: first character on the left, last on the right, all in view
        assert 0 < first < last < 400


@needs_chromium
@pytest.mark.parametrize("names", [{}, {"R1": "الجولة 1", "R2": "الجولة 2", "R3": "الجولة 3"}])
def test_rounds_and_estimates_compared_read_right_to_left_in_arabic(tmp_path, names):
    """In the Arabic list of every other significant change, "Rounds compared" and "Estimates (change)" read
    right to left: the earlier round and the old value on the right, the arrow pointing left to the later
    ones, with round names in Latin script ("R1") or in Arabic. (Before: "→" between them, so in an Arabic
    line the arrow pointed from the new round back to the old one.)"""
    from survey_toolkit.disclosure import apply_rules

    from .test_report_findings import many_changes

    meta = dataclasses.replace(make_meta(), round_labels=names)
    page = write_html(tmp_path / "report.html", apply_rules(many_changes()), meta=meta, lang="ar")
    probe = """<script>
      var row = document.querySelector("details.rest tbody tr"), out = [];
      [2, 3].forEach(function (k) {
        var cell = row.children[k], text = cell.firstChild, s = text.data, arrow = s.indexOf("←");
        var at = function (i) { var r = document.createRange(); r.setStart(text, i); r.setEnd(text, i + 1);
          var b = r.getBoundingClientRect(); return b.left + b.width / 2; };
        var old = s.search(/[0-9R]/), after = s.slice(arrow).search(/[0-9R]/) + arrow;
        out.push([at(old), at(arrow), at(after), s.indexOf("→")]); });
      document.body.setAttribute("data-probe", JSON.stringify(out));
    </script>"""
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", probe + "</body>"), encoding="utf-8")
    dom, stderr, hits = _run(page, "--dump-dom", "--window-size=1400,1400")
    assert hits == [] and _console(stderr) == []
    found = json.loads(re.search(r'data-probe="([^"]*)"', dom).group(1))
    for old, arrow, new, right_arrow in found:  # rounds, then estimates
        assert old > arrow > new and right_arrow == -1


@needs_chromium
def test_an_english_label_in_an_arabic_table_keeps_its_question_mark_at_the_end(tmp_path):
    """The form has no Arabic: the Arabic report's tables show the English label "Do you feel safe?"; its first
    cell takes its direction from its own text, so the question mark is drawn after "safe" (it was drawn at
    the cell's left end, before "Do"), and the cell is still aligned right."""
    results = make_results()
    results.loc[results["indicator_id"] == "trust_police", "label_en"] = "Do you feel safe?"
    page = write_html(tmp_path / "report.html", results, meta=make_meta(), lang="ar")
    probe = """<script>
      var cell = Array.prototype.filter.call(document.querySelectorAll("table.glance td:first-child"),
        function (td) { return td.textContent === "Do you feel safe?"; })[0], text = cell.firstChild;
      var at = function (i) { var r = document.createRange(); r.setStart(text, i); r.setEnd(text, i + 1);
        var b = r.getBoundingClientRect(); return b.left + b.width / 2; };
      var box = cell.getBoundingClientRect(), pad = parseFloat(getComputedStyle(cell).paddingRight);
      document.body.setAttribute("data-probe", JSON.stringify([at(0), at(16), box.right - pad - at(16)]));
    </script>"""
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", probe + "</body>"), encoding="utf-8")
    dom, stderr, hits = _run(page, "--dump-dom", "--window-size=1200,1400")
    assert hits == [] and _console(stderr) == []
    first, mark, gap = json.loads(re.search(r'data-probe="([^"]*)"', dom).group(1))
    assert first < mark and 0 < gap < 10  # "D" left of "?", and "?" at the right edge of the cell
