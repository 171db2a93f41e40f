"""Each section of survey.yaml read into its frozen settings, every mistake located."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ..design import REPLICATE_TYPES, Replicates
from ..disclosure import ReportingRules
from ..errors import did_you_mean
from ..i18n import available_languages, has_interface
from ..labels import cue_pattern_errors
from ..offlist import DEFAULT_OFF_LIST_MAX_SHARE, OFF_LIST_RULES, OffListRule
from ..outputs import is_language_tag
from ..weighting.margins import MARGINS_KINDS
from .keys import (
    _BASE,
    _DERIVE,
    _DESIGN,
    _ESTIMATION,
    _KIND_TEXT,
    _PLAN,
    _PLAN_RANGES,
    _QUALITY,
    _REPLICATES,
    _REPORT,
    _RULE,
    _RULE_FIELDS,
    _SHARE,
    _SMALL_AREAS,
    _TRIM,
    _WEIGHTING,
    DF_RULES,
    INTERVALS,
    QUALITY_CHECKS,
    _above,
    _choice,
    _Ctx,
    _type_name,
)
from .model import (
    BOOTSTRAP_TYPES,
    BUILT_REPLICATE_TYPES,
    CALFUNS,
    CHART_FORMATS,
    LONELY_PSU,
    MISSING_WEIGHTS,
    WEIGHTING_METHODS,
    BaseWeightSettings,
    DesignSettings,
    EstimationSettings,
    LocationSettings,
    PlanSettings,
    QualitySettings,
    ReplicateBuild,
    ReportSettings,
    ShareSettings,
    SmallAreaSettings,
    WeightingSettings,
    _frozen,
)
from .rounds import _encoding

if TYPE_CHECKING:
    from ..derive import Derived


def _off_list(ctx: _Ctx, raw: Mapping[str, Any]) -> OffListRule:
    """``off_list`` (missing / other), ``off_list_questions`` (question: rule), ``off_list_max_share`` (0-1)."""
    answers = _choice(ctx, ctx.value(raw, "off_list", "str", ()), OFF_LIST_RULES, ("off_list",), "off_list")
    questions = {}
    for name, rule in (ctx.value(raw, "off_list_questions", "str_map", ()) or {}).items():
        if _choice(ctx, rule, OFF_LIST_RULES, ("off_list_questions", name), f"off_list of '{name}'") is not None:
            questions[name] = rule
    share = ctx.value(raw, "off_list_max_share", "number", ())
    if share is not None and not 0 <= share <= 1:
        ctx.add("bad-value", f"'off_list_max_share' must be a share between 0 and 1, not {share:g}",
                ("off_list_max_share",), expected="a number from 0 to 1 (0.05 = 5% of a question's answers)",
                got=f"{share:g}", hint="write the share as a fraction: 0.1 for 10%")  # fmt: skip
        share = None
    return OffListRule(answers or "missing", MappingProxyType(questions),
                       DEFAULT_OFF_LIST_MAX_SHARE if share is None else float(share))  # fmt: skip


def _estimation(ctx: _Ctx, data: Any) -> EstimationSettings:
    path = ("estimation",)
    raw = ctx.keys(data, _ESTIMATION, path, "estimation")
    interval = _choice(ctx, ctx.value(raw, "interval", "str", path), INTERVALS, (*path, "interval"), "interval")
    df = _choice(ctx, ctx.value(raw, "df", "str", path), DF_RULES, (*path, "df"), "df rule")
    return EstimationSettings(interval=interval, df=df or "domain")


def _derive(ctx: _Ctx, items: list | None) -> tuple[Derived, ...]:
    """The ``derive:`` list: each variable's rules parsed with the indicators' condition parser."""
    from ..derive import Derived, Rule
    from ..expressions import ConditionSyntaxError, parse_condition

    out: list[Derived] = []
    seen: set[str] = set()
    for i, item in enumerate(items or ()):
        path = ("derive", i)
        raw = ctx.keys(item, _DERIVE, path, f"derived variable {i + 1}")
        if not isinstance(item, dict):
            continue
        ok = ctx.require(raw, "name", path, f"derived variable {i + 1}") & ctx.require(raw, "when", path,
                                                                                       f"derived variable {i + 1}")  # fmt: skip
        name = ctx.value(raw, "name", "str", path)
        if name is not None and name in seen:
            ctx.add("bad-value", f"the derived variable '{name}' is declared twice", (*path, "name"), got=name)
            ok = False
        rules = []
        for j, rule in enumerate(ctx.value(raw, "when", "list", path) or ()):
            rpath = (*path, "when", j)
            rraw = ctx.keys(rule, _RULE, rpath, "a rule")
            if not isinstance(rule, dict) or not (ctx.require(rraw, "if", rpath, "the rule")
                                                  & ctx.require(rraw, "value", rpath, "the rule")):  # fmt: skip
                ok = False
                continue
            text = ctx.value(rraw, "if", "str", rpath)
            try:
                condition = parse_condition(text or "")
            except ConditionSyntaxError as exc:
                ctx.add("condition-syntax", f"the condition of {name}'s rule {j + 1} cannot be read: {exc.message} "
                        f"(at character {exc.offset + 1})", (*rpath, "if"), got=text, hint=exc.hint)  # fmt: skip
                ok = False
                continue
            rules.append(Rule(condition, ctx.value(rraw, "value", "str", rpath) or "",
                              ctx.value(rraw, "label", "text", rpath) or _frozen(None)))  # fmt: skip
        if ok and name is not None and rules:
            seen.add(name)
            out.append(Derived(name, tuple(rules), ctx.value(raw, "else", "str", path),
                               ctx.value(raw, "label", "text", path) or _frozen(None), ctx.source.locate(path)))  # fmt: skip
    return tuple(out)


def _quality(ctx: _Ctx, data: Any) -> QualitySettings:
    path = ("quality",)
    raw = ctx.keys(data, _QUALITY, path, "quality")
    values = {k: ctx.value(raw, k, kind, path) for k, kind in _QUALITY.items()}
    for key in ("min_duration", "min_age"):
        values[key] = _above(ctx, values[key], 0, (*path, key), strict=False)
    for i, code in enumerate(values["exclude"] or ()):
        _choice(ctx, code, QUALITY_CHECKS, (*path, "exclude", i), "quality check")
    return QualitySettings(**values)


def _design(ctx: _Ctx, data: Any) -> DesignSettings:
    path = ("design",)
    raw = ctx.keys(data, _DESIGN, path, "design")
    base = None
    if raw.get("base_weights") is not None:
        bpath = (*path, "base_weights")
        braw = ctx.keys(raw["base_weights"], _BASE, bpath, "design.base_weights")
        ctx.require(braw, "sample_frame", bpath, "design.base_weights")
        frame = ctx.value(braw, "sample_frame", "file", bpath)
        given = {
            k: ctx.value(braw, k, _BASE[k], bpath)
            for k in ("stratum", "population", "sample", "eligible", "eligible_cap", "fpc")
        }
        given["eligible_cap"] = _above(ctx, given["eligible_cap"], 1, (*bpath, "eligible_cap"), strict=False)
        if frame is not None:
            base = BaseWeightSettings(frame, **{k: v for k, v in given.items() if v is not None})
    lonely = _choice(ctx, ctx.value(raw, "lonely_psu", "str", path), LONELY_PSU, (*path, "lonely_psu"),
                     "lonely_psu")  # fmt: skip
    strata_from = ctx.value(raw, "strata_from", "str_list", path) or ()
    strata = ctx.value(raw, "strata", "str", path)
    sources = [k for k in ("weights", "probabilities", "base_weights") if raw.get(k) is not None]
    if len(sources) > 1:
        ctx.add("bad-value", f"design has {' and '.join(repr(k) for k in sources)}: give one source of design weights",
                (*path, sources[1]), key=True, expected="one of weights (a weight column), probabilities (a "
                "selection-probability column) or base_weights (the sample plan)", got=", ".join(sources),
                hint=f"remove '{sources[1]}'")  # fmt: skip
    missing = _choice(ctx, ctx.value(raw, "missing_weights", "str", path), MISSING_WEIGHTS,
                      (*path, "missing_weights"), "missing_weights")  # fmt: skip
    if missing is not None and not (raw.get("weights") or raw.get("probabilities")):
        ctx.add("bad-value", "'missing_weights' applies to a weight or probability column of the data",
                (*path, "missing_weights"), expected="design.weights or design.probabilities", got=missing,
                hint="add 'weights: <column>' (or 'probabilities: <column>'), or remove 'missing_weights'")  # fmt: skip
    if strata_from and strata is None:
        ctx.add("missing-key", "design has 'strata_from' but no 'strata' column name to build", path, key=True,
                hint="add 'strata: stratum' (the name of the column to build)")  # fmt: skip
    rpath = (*path, "replicates")
    given = isinstance(raw.get("replicates"), dict) and "columns" in raw["replicates"]
    replicates = _replicates(ctx, raw["replicates"], rpath) if raw.get("replicates") and given else None
    build = _replicate_build(ctx, raw["replicates"], rpath) if raw.get("replicates") and not given else None
    if build is not None and build.type in ("JKn", "BRR", "Fay") and strata is None:
        ctx.add("bad-value", f"{build.type} replicates are built per stratum, and the design has no 'strata'",
                (*rpath, "type"), expected="design.strata (the stratum column)", got=build.type,
                hint="add 'strata: <column>', or use 'type: JK1' or 'bootstrap' for an unstratified design")  # fmt: skip
    if replicates is not None:
        for key in ("strata", "psu", "fpc", "strata_from", "base_weights"):
            if raw.get(key) is not None:
                ctx.add("bad-value", f"a design with replicate weights takes no '{key}'", (*path, key),
                        expected="replicates alone (they carry the design)", got=key,
                        hint=f"remove '{key}', or remove 'replicates' for a Taylor design")  # fmt: skip
    return DesignSettings(
        strata=strata,
        psu=ctx.value(raw, "psu", "str", path),
        weights=ctx.value(raw, "weights", "str", path),
        probabilities=ctx.value(raw, "probabilities", "str", path),
        missing_weights=missing or "error",
        fpc=ctx.value(raw, "fpc", "str", path),
        strata_from=strata_from,
        strata_separator=ctx.value(raw, "strata_separator", "str", path) or "-",
        lonely_psu=lonely,
        base_weights=base,
        nest=bool(ctx.value(raw, "nest", "bool", path)),
        replicates=replicates,
        replicate_build=build,
    )


def _replicates(ctx: _Ctx, data: Any, path: tuple) -> Replicates | None:
    """``design.replicates``: the replicate weight columns and R ``svrepdesign``'s type and scales."""
    raw = ctx.keys(data, _REPLICATES, path, "design.replicates")
    ok = ctx.require(raw, "columns", path, "design.replicates")
    ok &= ctx.require(raw, "type", path, "design.replicates")
    rtype = _choice(ctx, ctx.value(raw, "type", "str", path), REPLICATE_TYPES, (*path, "type"), "replicate type")
    columns = ctx.value(raw, "columns", "str_list", path)
    options = {k: ctx.value(raw, k, _REPLICATES[k], path) for k in ("scale", "rho", "mse", "combined_weights", "df")}
    rscales = ctx.value(raw, "rscales", "list", path)
    if rscales is not None and not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in rscales):
        ctx.add("wrong-type", "'rscales' must be a list of numbers, one per replicate column", (*path, "rscales"),
                expected="[0.5, 0.5, ...]", got="a list with non-numbers")  # fmt: skip
        return None
    if not ok or rtype is None or not columns:
        return None
    try:
        return Replicates(tuple(columns), rtype, rscales=rscales,
                          **{k: v for k, v in options.items() if v is not None})  # fmt: skip
    except ValueError as err:
        ctx.add("bad-value", f"design.replicates: {err}", path, expected="R svrepdesign's arguments",
                got=str(rtype), hint="see 'Replicate weights' in docs/project-file.md")  # fmt: skip
        return None


def _replicate_build(ctx: _Ctx, data: Any, path: tuple) -> ReplicateBuild | None:
    """``design.replicates`` without ``columns``: replicates built from the design (R ``as.svrepdesign``):
    ``type``, ``replicates`` and ``seed`` (bootstrap types), ``rho`` (Fay), ``mse``."""
    raw = ctx.keys(data, _REPLICATES, path, "design.replicates")
    if not ctx.require(raw, "type", path, "design.replicates"):
        return None
    what = "replicate type (built from the design; give 'columns' for replicate weights in the data)"
    rtype = _choice(ctx, ctx.value(raw, "type", "str", path), BUILT_REPLICATE_TYPES, (*path, "type"), what)
    for key in ("scale", "rscales", "combined_weights", "df"):
        if key in raw:
            ctx.add("bad-value", f"'{key}' describes replicate weight columns of the data; built replicates take "
                    "R as.svrepdesign's", (*path, key), key=True, expected="type, replicates, seed, rho, mse",
                    got=key, hint=f"remove '{key}', or add 'columns:' naming the replicate weight columns")  # fmt: skip
    count, seed = ctx.value(raw, "replicates", "int", path), ctx.value(raw, "seed", "int", path)
    rho, mse = ctx.value(raw, "rho", "number", path), bool(ctx.value(raw, "mse", "bool", path))
    if rtype is None:
        return None
    ok = True
    if rtype in BOOTSTRAP_TYPES:
        if "seed" not in raw:
            ctx.add("missing-key", f"{rtype} replicates are random draws: give 'seed' so that every run draws the "
                    "same replicates", path, key=True, expected="seed: <a whole number>", got="no seed",
                    hint="add 'seed: 20261202' (any whole number; keep it to reproduce the results)")  # fmt: skip
            ok = False
        ok &= seed is not None and (count is not None or "replicates" not in raw)  # else: reported as wrong type
        if count is not None and count < 2:
            ctx.add("bad-value", f"'replicates' must be at least 2, not {count}", (*path, "replicates"),
                    expected="a whole number >= 2 (R's default 50; 500 or more for stable SEs)", got=str(count),
                    hint="replicates: 500")  # fmt: skip
            ok = False
    else:
        for key in ("replicates", "seed"):
            if key in raw:
                ctx.add("bad-value", f"'{key}' applies to bootstrap replicates; {rtype} replicates are not random "
                        "and their number is set by the design", (*path, key), key=True,
                        expected="type: bootstrap or subbootstrap", got=f"type: {rtype}",
                        hint=f"remove '{key}'")  # fmt: skip
                ok = False
    if rtype == "Fay" and (rho is None or not 0 < rho < 1):
        ctx.add("bad-value", "Fay replicates need 'rho', Fay's coefficient, between 0 and 1", (*path, "rho"),
                key=rho is None, expected="0 < rho < 1 (R fay.rho), e.g. rho: 0.3",
                got="no rho" if rho is None else f"{rho:g}", hint="add 'rho: 0.3', or use 'type: BRR'")  # fmt: skip
        ok = False
    elif rtype != "Fay" and rho is not None:
        ctx.add("bad-value", "'rho' is Fay's coefficient", (*path, "rho"), key=True, expected="type: Fay",
                got=f"type: {rtype}", hint="remove 'rho', or use 'type: Fay'")  # fmt: skip
        ok = False
    if not ok:
        return None
    return ReplicateBuild(rtype, 50 if count is None else int(count), seed, rho, mse)


def _weighting(ctx: _Ctx, data: Any) -> WeightingSettings:
    path = ("weighting",)
    raw = ctx.keys(data, _WEIGHTING, path, "weighting")
    method = _choice(ctx, ctx.value(raw, "method", "str", path), WEIGHTING_METHODS, (*path, "method"), "method")
    margins = ctx.value(raw, "margins", "file", path)
    if method in ("rake", "post_stratify", "calibrate") and "margins" not in raw:
        ctx.add("missing-key", f"weighting method '{method}' needs 'margins'", path, key=True,
                hint="add 'margins: census_margins.csv' or set 'method: none'")  # fmt: skip
    traw = ctx.keys(raw.get("trim"), _TRIM, (*path, "trim"), "weighting.trim")
    relative = _choice(ctx, ctx.value(traw, "relative_to", "str", (*path, "trim")), ("absolute", "median"),
                       (*path, "trim", "relative_to"), "relative_to")  # fmt: skip
    method = method or ("rake" if "margins" in raw else "none")
    partial = bool(ctx.value(raw, "partial", "bool", path))
    if partial and method != "post_stratify":
        ctx.add("bad-value", f"'partial' applies to post-stratification only, not to method '{method}'",
                (*path, "partial"), expected="method: post_stratify", got=method,
                hint="remove 'partial: true', or set 'method: post_stratify'")  # fmt: skip
    calfun, bounds, bounds_const = _calibration_options(ctx, raw, path, method)
    margins_are = _choice(ctx, ctx.value(raw, "margins_are", "str", path), MARGINS_KINDS, (*path, "margins_are"),
                          "margins_are")  # fmt: skip
    margins_encoding = _encoding(ctx, ctx.value(raw, "margins_encoding", "str", path), (*path, "margins_encoding"))
    tpath = (*path, "trim")
    upper = _above(ctx, ctx.value(traw, "upper", "number", tpath), 0, (*tpath, "upper"))
    lower = _above(ctx, ctx.value(traw, "lower", "number", tpath), 0, (*tpath, "lower"), strict=False)
    if upper is not None and lower is not None and lower >= upper:
        ctx.add("bad-value", f"the trimming bounds are crossed: lower {lower:g} is not below upper {upper:g}",
                (*tpath, "lower"), expected=f"lower < {upper:g}", got=f"{lower:g}")  # fmt: skip
    if traw and upper is None and lower is None and "upper" not in traw and "lower" not in traw:
        ctx.add("missing-key", "weighting.trim has no bound", tpath, key=True, expected="upper: 5 and/or lower: 0.3",
                hint="add 'upper:' (and/or 'lower:'), or remove 'trim'")  # fmt: skip
    return WeightingSettings(
        margins=margins,
        method=method,
        partial=partial,
        calfun=calfun,
        bounds=bounds,
        bounds_const=bounds_const,
        margins_are=margins_are or "auto",
        margins_encoding=margins_encoding,
        trim_upper=upper,
        trim_lower=lower,
        trim_relative_to=relative,
    )


def _replicate_weighting(ctx: _Ctx, weighting: WeightingSettings) -> None:
    """Replicate weights can be post-stratified, raked or calibrated (linear or raking distance; every
    replicate adjusted); trimming and bounded or logit calibration cannot."""
    if weighting.trim_upper is not None or weighting.trim_lower is not None:
        ctx.add("bad-value", "trimming cannot be combined with replicate weights", ("weighting", "trim"),
                expected="no 'trim' with 'replicates'", got="trim",
                hint="trimming would leave the replicates untrimmed (not supported): remove 'trim', or trim the "
                "weights before making the replicates")  # fmt: skip
    ok_calfun = weighting.calfun in ("linear", "raking")
    if weighting.method == "calibrate" and (not ok_calfun or weighting.bounds is not None):
        ctx.add("bad-value", "only linear or raking calibration without bounds can be combined with replicate "
                "weights", ("weighting", "calfun" if not ok_calfun else "bounds"),
                expected="calfun: linear or raking, no bounds", got=f"calfun: {weighting.calfun}",
                hint="every replicate is calibrated like the full sample: use 'calfun: linear' or 'raking' "
                "without 'bounds', or 'method: rake'")  # fmt: skip


def _calibration_options(ctx: _Ctx, raw: dict, path: tuple, method: str | None):
    """``calfun``, ``bounds`` and ``bounds_const`` of ``method: calibrate`` (checked)."""
    calfun = _choice(ctx, ctx.value(raw, "calfun", "str", path), CALFUNS, (*path, "calfun"), "calfun")
    bounds_raw = ctx.value(raw, "bounds", "list", path)
    bounds_const = bool(ctx.value(raw, "bounds_const", "bool", path))
    bounds = None
    if bounds_raw is not None:
        ok = len(bounds_raw) == 2 and all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds_raw)
        if ok and bounds_raw[0] < bounds_raw[1]:
            bounds = (float(bounds_raw[0]), float(bounds_raw[1]))
        else:
            ctx.add("bad-value", "'bounds' must be two numbers, lower then upper", (*path, "bounds"),
                    expected="[lower, upper], e.g. [0.5, 3]", got=str(bounds_raw), hint="bounds: [0.5, 3]")  # fmt: skip
    given = [k for k in ("calfun", "bounds", "bounds_const") if k in raw]
    if given and method != "calibrate":
        ctx.add("bad-value", f"'{given[0]}' applies to 'method: calibrate' only, not to method '{method}'",
                (*path, given[0]), expected="method: calibrate", got=str(method),
                hint=f"remove '{given[0]}', or set 'method: calibrate'")  # fmt: skip
    if method == "calibrate" and calfun == "logit" and bounds is None and bounds_raw is None:
        ctx.add("missing-key", "calfun 'logit' needs 'bounds'", path, key=True, expected="bounds: [lower, upper]",
                got="no bounds", hint="add 'bounds: [0.5, 3]' (lower < 1 < upper)")  # fmt: skip
    return calfun or "linear", bounds, bounds_const


def _rules(ctx: _Ctx, data: Any, path: tuple) -> ReportingRules:
    if data is None:
        return ReportingRules()
    if not isinstance(data, dict):
        ctx.add("wrong-type", "'suppression' must be a mapping of rule to threshold", path,
                expected="min_n: 30 ...", got=_type_name(data))  # fmt: skip
        return ReportingRules()
    allowed = [n for n in _RULE_FIELDS if n not in ("blank_columns", "percent_units", "total_label")]
    values: dict[str, Any] = {}
    for key, value in data.items():
        where = (*path, key)
        if key not in allowed:
            ctx.add("unknown-key", f"unknown suppression rule '{key}'", where, key=True,
                    expected=", ".join(allowed), got=str(key), hint=did_you_mean(str(key), allowed))  # fmt: skip
            continue
        default = getattr(ReportingRules(), key)
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif key == "percent_scale":
            ok = value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))
        else:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
            if ok and isinstance(default, int):
                ok = float(value).is_integer()
                value = int(value) if ok else value
        if not ok:
            ctx.add("wrong-type", f"suppression rule '{key}' must be {_KIND_TEXT['bool' if isinstance(default, bool) else 'number']}",
                    where, got=_type_name(value), expected=f"like the default, {default}")  # fmt: skip
            continue
        values[key] = value
    return ReportingRules(**values)


def _report(ctx: _Ctx, data: Any) -> ReportSettings:
    path = ("report",)
    raw = ctx.keys(data, _REPORT, path, "report")
    get = {k: ctx.value(raw, k, kind, path) for k, kind in _REPORT.items() if k not in ("suppression",)}
    alpha = get["significance"]
    for key in ("significance", "fdr"):
        if get[key] is not None and not 0 < get[key] < 1:
            ctx.add("bad-value", f"'{key}' must be between 0 and 1", (*path, key), expected="e.g. 0.05",
                    got=str(get[key]))  # fmt: skip
    for i, lang in enumerate(get["languages"] or ()):
        if not is_language_tag(lang):  # languages name output files: never a path
            ctx.add("bad-language", f"report language {str(lang)[:40]!r} is not a language tag",
                    (*path, "languages", i), expected="a tag like en, fr or pt-BR", got=str(lang)[:40],
                    hint="use language codes, e.g. languages: [en, fr]")  # fmt: skip
        elif not has_interface(lang):
            ctx.add("unknown-language", f"no interface text in report language {lang!r}", (*path, "languages", i),
                    expected=f"one of {', '.join(available_languages())}", got=str(lang),
                    hint="pick one of those languages, or add a catalog for it (docs/languages.md)")  # fmt: skip
    for i, message in cue_pattern_errors(get["interviewer_cues"] or ()):
        ctx.add("bad-value", f"interviewer cue pattern is not a regular expression: {message}",
                (*path, "interviewer_cues", i), expected="a regular expression such as 'no leer( opciones)?'",
                got=str(get["interviewer_cues"][i])[:60], hint="escape brackets and dots with a backslash")  # fmt: skip
    charts = get["charts"]
    for i, fmt in enumerate(charts or ()):
        _choice(ctx, fmt, CHART_FORMATS, (*path, "charts", i), "chart format")
    output = ctx.root / (get["output"] or "output")
    return ReportSettings(
        output=output,
        title=get["title"] or _frozen(None),
        languages=get["languages"],
        alpha=alpha,
        fdr=get["fdr"],
        compare=get["compare"],
        rules=_rules(ctx, raw.get("suppression"), (*path, "suppression")),
        indicators=get["indicators"],
        disaggregate=True if get["disaggregate"] is None else get["disaggregate"],
        chart_formats=charts,
        parquet=get["parquet"],
        show_empty=bool(get["show_empty"]),
        interviewer_cues=tuple(get["interviewer_cues"] or ()),
    )


def _small_areas(ctx: _Ctx, data: Any, locations: LocationSettings) -> SmallAreaSettings | None:
    if data is None:
        return None
    path = ("small_areas",)
    raw = ctx.keys(data, _SMALL_AREAS, path, "small_areas")
    ok = ctx.require(raw, "covariates", path, "small_areas") & ctx.require(raw, "level", path, "small_areas")
    values = {k: ctx.value(raw, k, kind, path) for k, kind in _SMALL_AREAS.items()}
    level = values["level"]
    if level is not None and level not in locations.levels:
        ctx.add("bad-value", f"small_areas.level '{level}' is not a location level", (*path, "level"),
                expected=", ".join(locations.levels) or "a level listed under locations.levels", got=level,
                hint=did_you_mean(level, locations.levels) or "add it to locations.levels, or use one of them")  # fmt: skip
        ok = False
    if not ok or values["covariates"] is None or level is None:
        return None
    return SmallAreaSettings(**{k: v for k, v in values.items() if v is not None or k not in ("substitute",)})


def _plan(ctx: _Ctx, data: Any) -> PlanSettings:
    """The ``plan:`` section; every number checked against its range (open bounds, except overlap and
    correlation which may reach theirs)."""
    if data is None:
        return PlanSettings()
    path = ("plan",)
    raw = ctx.keys(data, _PLAN, path, "plan")
    values = {k: ctx.value(raw, k, kind, path) for k, kind in _PLAN.items()}
    for key, (low, high, expected) in _PLAN_RANGES.items():
        v = values[key]
        if v is not None and not (low < float(v) < high):
            ctx.add("bad-value", f"plan.{key} is out of range", (*path, key), expected=expected, got=str(v))
            values[key] = None
    return PlanSettings(**{k: (float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v)
                           for k, v in values.items() if v is not None})


def _share(ctx: _Ctx, data: Any) -> ShareSettings | None:
    if data is None:
        return None
    path = ("share",)
    raw = ctx.keys(data, _SHARE, path, "share")
    values = {k: ctx.value(raw, k, kind, path) for k, kind in _SHARE.items()}
    if values["k"] is not None and values["k"] < 2:
        ctx.add("bad-value", "share.k must be at least 2", (*path, "k"), expected="e.g. 5", got=str(values["k"]))
        values["k"] = None
    for col, rule in (values["coarsen"] or {}).items():
        if not rule:
            ctx.add("bad-value", f"share.coarsen.{col} has no rule", (*path, "coarsen", col),
                    expected="age_bands or the name of a coarser column", got="nothing")  # fmt: skip
    return ShareSettings(**{k: v for k, v in values.items() if v is not None})


def _cross_checks(ctx: _Ctx, report: ReportSettings) -> None:
    ids = list(dict.fromkeys(ctx.round_ids))
    for i, rid in enumerate(report.compare or ()):
        if rid not in ids:
            ctx.add("unknown-round", f"report.compare names round '{rid}', which is not in 'rounds'",
                    ("report", "compare", i), expected=", ".join(ids), got=rid,
                    hint=did_you_mean(rid, ids) or f"use round ids from 'rounds': {', '.join(ids)}")  # fmt: skip
