"""The report's interface text, in English, each string with its context (the key the code looks it up by).

This module is the source of the message catalog: ``pybabel extract`` reads the :func:`N_` calls here
(``-k N_:1c,2``) into ``survey_toolkit/locale/survey_toolkit.pot``, and each language's ``.po`` file
translates them (``docs/languages.md``). Code never reads these dicts for display: it calls
:func:`survey_toolkit.report._common.t` (``t("fr", "key_findings")``), which looks the English text up
here and its translation in the language's catalog.

Keys: plain for the report's own strings (``"key_findings"``); ``reason:<code>`` for why an estimate is
withheld or flagged, ``unit:<unit>``, ``group:<column>`` and ``group:<column>=<code>`` for the standard
disaggregations, ``annex:<column>`` and ``annex_value:<code>`` for the methodology tables,
``excel:<key>`` for the workbook, ``category:<code>`` for categories compute() adds, ``design:<key>``
for the sentence describing the design. Placeholders in braces (``{round}``) are filled by ``str.format``
and must be kept, untranslated, in every translation.
"""

from __future__ import annotations

from ..i18n import N_

__all__ = ["MESSAGES", "REPORT", "REASONS", "UNITS", "GROUPS", "ANNEX", "WORKBOOK", "CATEGORIES", "DESIGN"]

REPORT: dict[str, str] = dict((
    N_("report_title", "Community safety perception survey"),
    N_("generated", "Generated"),
    N_("contents", "Contents"),
    N_("key_findings", "Key findings"),
    N_("at_a_glance", "All indicators at a glance (all locations)"),
    N_("summary", "Summary: SDG 16 headline indicators"),
    N_("summary_note",
       "All locations, latest round; 95% confidence interval in brackets; change since the baseline (* "
       "significant after false discovery rate control)."),
    N_("indicator", "Indicator"),
    N_("question", "Question"),
    N_("interpretation", "Interpretation"),
    N_("breakdown", "Breakdown"),
    N_("group", "Group"),
    N_("secondary_for",
       "withheld so that the withheld value for {cell} cannot be worked out from the total and the other "
       "published values"),
    N_("no_findings", "No statistically significant change after false discovery rate control."),
    N_("indicators", "Indicators"),
    N_("heatmap", "Change by location and indicator"),
    N_("since", "Since {round}"),
    N_("since_lower", "since {round}"),
    N_("heatmap_note",
       "Colour: green improved, red worsened, blue changed (no direction), grey no significant change "
       "(after false discovery rate control); white: not published. Numbers: change since {from_round}."),
    N_("heatmap_print_note",
       "Not printed: with {n} locations the heatmap cannot be read on a page; see it in the report on "
       "screen (it scrolls), or the changes by location in the workbook's sheet {sheet}."),
    N_("methodology", "Methodology"),
    N_("sample_sizes", "Sample sizes"),
    N_("design", "Design"),
    N_("weights", "Weights and their diagnostics"),
    N_("exclusions", "Data-quality exclusions"),
    N_("off_list", "Answers outside the choice lists"),
    N_("off_list_note",
       "Answers whose code is not in the question's list of choices in the form (a code 5 on a 1-4 scale, a "
       "choice added on the phones only), per round and question. The answers themselves are listed in "
       "off_list.csv, not in this report."),
    N_("definitions", "Definitions"),
    N_("rules", "Reporting rules"),
    N_("trend", "Trend across rounds (95% confidence intervals)"),
    N_("bars", "By location, {round} (95% confidence intervals)"),
    N_("location", "Location"),
    N_("round", "Round"),
    N_("estimate", "Estimate"),
    N_("ci", "95% CI"),
    N_("change_previous", "Change since {round}"),
    N_("change_baseline", "Change since baseline {round}"),
    N_("all", "All locations"),
    N_("suppressed", "suppressed"),
    N_("not_published", "not published"),
    N_("not_available", "not available"),
    N_("footnote_dash", "— estimate not published: {reasons}."),
    N_("footnote_secondary", "— {cells}: {why}."),
    N_("footnote_paren", "(…) interpret with caution: {flags}."),
    N_("footnote_sig",
       "* statistically significant change after false discovery rate control (Benjamini–Hochberg, q < "
       "{fdr}); † significant before adjustment only (p < {alpha})."),
    N_("improved", "improved"),
    N_("worsened", "worsened"),
    N_("increased", "increased"),
    N_("decreased", "decreased"),
    N_("no significant change", "no significant change"),
    N_("finding", "{label} ({location}): {word}, from {old} in {r_from} to {new} in {r_to} ({change})."),
    N_("finding_also", "Also significant since {r_from} ({change})."),
    N_("findings_note",
       "{count} changes are statistically significant after false discovery rate control, ranked "
       "national first, then by size of change: the most important in full below, every other one in the"
       " table that follows (none is left out)."),
    N_("findings_note_all",
       "{count} changes are statistically significant after false discovery rate control, ranked "
       "national first, then by size of change; all are listed below."),
    N_("findings_note_one",
       "{count} change is statistically significant after false discovery rate control; it is listed "
       "below."),
    N_("other_findings_count", "Every other significant change: {count}, the most important first"),
    N_("print_latest_ci",
       "Printed: every round's estimate, with the 95% CI and n of {round} only; the report on screen and "
       "the workbook give them for every round."),
    N_("compared", "Rounds compared"),
    N_("change_col", "Estimates (change)"),
    N_("q_col", "q-value"),
    N_("change_not_published", "change not published: {why}"),
    N_("footnote_change", "— change not published: {reasons}."),
    N_("by_answer", "by answer"),
    N_("latest_value", "{label}: {value} ({location}, {round})."),
    N_("points", "points"),
    N_("no_data", "No data."),
    N_("n", "n"),
    N_("sdg", "SDG"),
    N_("unit", "Unit"),
    N_("sensitive_note", "Sensitive indicator: small cells suppressed; not published below admin1."),
    N_("rule_min_n",
       "Unweighted base below {min_n}: not published; {min_n} to {caution_n}: shown in parentheses."),
    N_("rule_n_eff", "Effective sample size below {min_n_eff}: not published."),
    N_("rule_ci",
       "Percentages with a 95% CI at least {max_ci} points wide, or wider than {floor} points and more "
       "than {rel}% of the estimate: not published."),
    N_("rule_all_or_none",
       "Percentages of exactly 0% or 100% (every respondent in the group gave the same answer): standard "
       "error 0 and the Korn–Graubard interval for this case; shown in parentheses, and not withheld for "
       "the width of the interval relative to the estimate."),
    N_("rule_df", "Fewer than {min_df} design degrees of freedom: shown in parentheses."),
    N_("rule_dk", "Don't know and refused above {dk}% of the base: shown in parentheses."),
    N_("rule_cell",
       "Sensitive indicators: fewer than {k} respondents in the numerator: not published, with further "
       "cells hidden so that the value cannot be derived."),
    N_("change_input_suppressed", "the {round} estimate is not published"),
    N_("rule_change",
       "Changes between rounds: independent samples, SE = √(SE₁² + SE₂²), t test; significance after "
       "Benjamini–Hochberg false discovery rate control within families of tests: the headline estimates"
       " of every indicator at one geographic level, for one comparison (since the previous round, since"
       " the baseline), form a family; sub-groups and answer categories form their own families. Changes"
       " significant before adjustment only are marked †."),
    N_("sample_note", "Largest unweighted base of any indicator."),
    N_("model_based_short", "model-based"),
    N_("plan_title", "Planning the next round"),
    N_("plan_note",
       "From {round}, for each location: the smallest change the next round could detect at its current size "
       "(two-sided test at level {alpha}, power {power}%), and the respondents needed to detect a change of "
       "{target} points. The design effects are those this round actually had. Median over the percentage "
       "indicators; the whiskers and the range show the middle half of the indicators (quartiles)."),
    N_("plan_chart",
       "Smallest detectable change next round at the current size (median over indicators; target {target} "
       "points)"),
    N_("plan_axis", "percentage points"),
    N_("plan_n", "Respondents"),
    N_("plan_deff", "Design effect"),
    N_("plan_mdc", "Detectable change (points)"),
    N_("plan_range", "Middle half of the indicators"),
    N_("plan_needed", "Respondents needed for the target"),
    N_("plan_extra", "Extra respondents"),
    N_("plan_footnote",
       "Green: the current size can detect the target change; red: it cannot. Every indicator and location is "
       "in the workbook's Plan sheet; formulas in the methodology (docs/methodology.md, Planning the next "
       "round)."),
    N_("labels_fallback", "Some labels are not available in this language and are shown in {fallback}."),
    N_("explore", "Explore the results"),
    N_("explore_note",
       "Choose an indicator, then narrow the table by location, round and group; select a column heading to "
       "sort by it. Only published figures are here: a withheld estimate says why, as everywhere in this "
       "report. The dots and lines show each estimate and its 95% confidence interval."),
    N_("explore_noscript",
       "This interactive view needs JavaScript, which is turned off. Every published figure is in the Excel "
       "workbook delivered with this report ({file})."),
    N_("explore_every_location", "Each location"),
    N_("explore_every_round", "Each round"),
    N_("explore_every_group", "Each group"),
    N_("explore_no_group", "No breakdown (everyone)"),
    N_("explore_change", "Change since the previous round"),
    N_("explore_remark", "Note"),
    N_("explore_chart", "Estimate and 95% CI"),
    N_("explore_count", "{count} rows"),
    N_("explore_empty", "No figure for this selection."),
    N_("explore_withheld", "estimate not published: {reasons}"),
    N_("explore_caution", "interpret with caution: {flags}"),
    N_("explore_group_value", "{group}: {value}"),
    N_("explore_unit", "Unit: {unit}"),
))

REASONS: dict[str, str] = dict((
    N_("reason:small-base", "unweighted base below the minimum"),
    N_("reason:low-n-eff", "effective sample size below the minimum"),
    N_("reason:wide-ci", "confidence interval too wide"),
    N_("reason:wide-relative-ci", "confidence interval too wide relative to the estimate"),
    N_("reason:no-estimate", "no estimate could be computed"),
    N_("reason:small-cell", "fewer than 5 respondents in the numerator of a sensitive indicator"),
    N_("reason:sensitive-admin2", "sensitive indicator not published below admin1"),
    N_("reason:secondary", "suppressed so that another suppressed value cannot be derived"),
    N_("reason:caution-base", "small unweighted base: interpret with caution"),
    N_("reason:low-df", "few design degrees of freedom"),
    N_("reason:high-dk", "more than 10% don't know or refused"),
    N_("reason:all-or-none",
       "0% or 100%: every respondent in the group gave the same answer, so the standard error is 0; the interval "
       "is the Korn-Graubard interval for this case"),
    N_("reason:model-based",
       "model-based estimate (Fay-Herriot small-area model with the project's covariates), shown because the "
       "survey's own estimate for this location is withheld; its interval comes from the model's mean squared "
       "error, and no change is computed from it"),
))

UNITS: dict[str, str] = dict((
    N_("unit:percent", "%"),
    N_("unit:proportion", "%"),
    N_("unit:mean", "mean"),
    N_("unit:median", "median"),
    N_("unit:index_score", "index score"),
    N_("unit:index", "index score"),
    N_("unit:ratio", "ratio"),
    N_("unit:count", "count"),
))

GROUPS: dict[str, str] = dict((
    N_("group:a1_sex", "Sex"),
    N_("group:sex", "Sex"),
    N_("group:age_group", "Age group"),
    N_("group:disability", "Disability"),
    N_("group:area_type", "Area type"),
    N_("group:a4_displacement", "Displacement status"),
    N_("group:displacement", "Displacement status"),
    N_("group:youth_18_29", "Youth (18–29)"),
    N_("group:disability=0", "without disability"),
    N_("group:disability=1", "with disability"),
    N_("group:youth_18_29=0", "30 or older"),
    N_("group:youth_18_29=1", "18–29"),
))

ANNEX: dict[str, str] = dict((
    N_("annex:round", "Round"),
    N_("annex:step", "Step"),
    N_("annex:weight", "Weight"),
    N_("annex:n", "Respondents"),
    N_("annex:sum_w", "Sum of weights"),
    N_("annex:deff_kish", "Design effect of weighting (Kish)"),
    N_("annex:kish_deff", "Design effect of weighting (Kish)"),
    N_("annex:n_eff", "Effective sample size"),
    N_("annex:max_ratio", "Largest weight / median"),
    N_("annex:ess", "Effective sample size"),
    N_("annex:min", "Smallest weight"),
    N_("annex:max", "Largest weight"),
    N_("annex:convergence_converged", "Calibration converged"),
    N_("annex:convergence_iterations", "Iterations"),
    N_("annex:check", "Check"),
    N_("annex:count", "Interviews excluded"),
    N_("annex:reason", "Reason"),
    N_("annex:answers", "Answers"),
    N_("annex:off_list", "Outside the list"),
    N_("annex:off_list_share", "Share (%)"),
    N_("annex:off_list_rule", "How they count"),
    N_("off_list_rule:missing", "as missing: out of the base of the indicators reading the question"),
    N_("off_list_rule:other", "as another answer: in the base, never as a listed choice"),
    N_("annex:interviews", "Interviews"),
    N_("annex:psus", "PSUs"),
    N_("annex_value:True", "yes"),
    N_("annex_value:False", "no"),
    N_("annex_value:base_weights", "design weights"),
    N_("annex_value:rake", "raking"),
    N_("annex_value:post_stratify", "post-stratification"),
    N_("annex_value:trim", "trimming"),
    N_("annex_value:nonresponse", "non-response adjustment"),
    N_("annex_value:calibrate", "calibration"),
    N_("annex_value:no-consent", "no consent"),
    N_("annex_value:under-age", "under the minimum age"),
    N_("annex_value:duplicate-record-id", "duplicate record id"),
    N_("annex_value:duplicate-submission-id", "duplicate submission"),
    N_("annex_value:duplicate-row", "duplicate row"),
    N_("annex_value:too-short", "interview too short"),
    N_("annex_value:bad-duration", "interview ends before it starts"),
))

WORKBOOK: dict[str, str] = dict((
    N_("excel:index", "Index"),
    N_("excel:summary", "Summary"),
    N_("excel:analysis", "Analysis"),
    N_("excel:data", "Data"),
    N_("excel:changes", "Changes"),
    N_("excel:notes", "Notes"),
    N_("excel:charts", "Charts"),
    N_("excel:sheet", "Sheet"),
    N_("excel:contents", "What it holds"),
    N_("excel:index_summary", "Every indicator: latest overall estimate and its changes"),
    N_("excel:index_analysis",
       "Wide table: indicator rows x location, round and group columns (estimate, CI, n)"),
    N_("excel:index_data", "Every estimate, one row each (tidy), with its publication status"),
    N_("excel:index_changes", "Every change between rounds, with p- and q-values"),
    N_("excel:index_notes", "Reporting rules, reasons for suppression, design, definitions"),
    N_("excel:index_charts", "Every indicator by location, latest round, each location in its colour of the report"),
    N_("excel:indicators", "Indicators"),
    N_("excel:indicator", "Indicator"),
    N_("excel:id", "Indicator id"),
    N_("excel:unit", "Unit"),
    N_("excel:round", "Round"),
    N_("excel:location", "Location"),
    N_("excel:level", "Level"),
    N_("excel:breakdown", "Breakdown"),
    N_("excel:group", "Group"),
    N_("excel:estimate", "Estimate"),
    N_("excel:ci_low", "CI low"),
    N_("excel:ci_high", "CI high"),
    N_("excel:se", "Standard error"),
    N_("excel:n", "Unweighted n"),
    N_("excel:n_eff", "Effective n"),
    N_("excel:dk_share", "Don't know / refused share"),
    N_("excel:status", "Status"),
    N_("excel:comparison", "Comparison"),
    N_("excel:from", "From"),
    N_("excel:to", "To"),
    N_("excel:change", "Change"),
    N_("excel:p_value", "p-value"),
    N_("excel:q_value", "q-value (FDR)"),
    N_("excel:significant", "Significant after FDR"),
    N_("excel:interpretation", "Interpretation"),
    N_("excel:published", "published"),
    N_("excel:caution", "interpret with caution"),
    N_("excel:suppressed", "not published"),
    N_("excel:estimate_in", "Estimate, {round}"),
    N_("excel:change_since", "Change since {round}"),
    N_("excel:q_since", "q-value, change since {round}"),
    N_("excel:previous", "since the previous round"),
    N_("excel:baseline", "since the baseline"),
    N_("excel:yes", "yes"),
    N_("excel:no", "no"),
    N_("excel:national", "national"),
    N_("excel:admin1", "admin 1"),
    N_("excel:admin2", "admin 2"),
    N_("excel:all_groups", "all"),
    N_("excel:plan", "Plan"),
    N_("excel:index_plan", "Planning the next round: detectable change and sample size needed, per indicator and location"),
    N_("excel:deff", "Design effect"),
    N_("excel:mdc", "Detectable change at this size"),
    N_("excel:target", "Target change"),
    N_("excel:n_needed", "Respondents needed for the target"),
    N_("excel:n_extra", "Extra respondents needed"),
    N_("excel:note", "Note"),
    N_("excel:deff_unavailable", "design effect not available"),
    N_("excel:suppressed_sensitive", "withheld (sensitive indicator)"),
    N_("excel:deff_few", "design effect from fewer than {n} respondents: uncertain"),
))

CATEGORIES: dict[str, str] = dict((
    N_("category:dk_refused", "don't know or refused"),
    N_("category:off_list", "answer not in the list"),
))

DESIGN: dict[str, str] = dict((
    N_("design:strata", "Strata: {strata}"),
    N_("design:no_strata", "No strata"),
    N_("design:psu", "PSU: {psu}"),
    N_("design:no_psu", "no clustering"),
    N_("design:base_weights", "design weight {population} / ({sample}){eligible} from {frame}"),
    N_("design:calibrated", "weights calibrated ({method}) to {margins}{trim}, round by round"),
    N_("design:trim", ", trimmed at {upper} x {relative_to}"),
    N_("design:trim_absolute", ", trimmed at {upper}"),
    N_("design:taylor", "Taylor-linearised standard errors; rounds are independent samples"),
    N_("design:replicates_given", "{type} replicate-weight standard errors from the {count} replicate weights of "
       "the data; rounds are independent samples"),
    N_("design:replicates_built", "{type} replicate-weight standard errors: replicates built from the design{details} "
       "and weighted like the full sample; rounds are independent samples"),
    N_("design:bootstrap_details", " ({count} replicates, seed {seed})"),
    N_("design:df_design", "the whole design's degrees of freedom"),
    N_("design:df_domain", "the domain's degrees of freedom"),
    N_("design:interval", "confidence intervals of percentages: {interval}, with {df}"),
    N_("design:separator", "; "),
))
MESSAGES: dict[str, str] = {**REPORT, **REASONS, **UNITS, **GROUPS, **ANNEX, **WORKBOOK, **CATEGORIES, **DESIGN}
"""Every interface string by key (context), in English."""
