/* The report's explore view (survey_toolkit/report/explore.py): the published table of the JSON block
   #explore-data as a filtered, sortable table. No library, no network, no eval, no HTML parsing of data:
   every cell is a DOM node with textContent. */
(function () {
  "use strict";
  var source = document.getElementById("explore-data");
  var view = document.getElementById("explore-view");
  if (!source || !view || !window.JSON) { return; }
  var data = JSON.parse(source.textContent);
  var text = data.text;
  var fmt = data.fmt;
  var F = {};
  data.fields.forEach(function (name, i) { F[name] = i; });
  /* rows whose estimate is withheld come without numbers: the same shape as the others, no value at all */
  data.withheld.forEach(function (short) {
    var row = data.fields.map(function (name) { return name === "mark" ? 0 : null; });
    data.withheld_fields.forEach(function (name, i) { row[F[name]] = short[i]; });
    row[F.change_note] = 0;
    data.rows.push(row);
  });
  var ORDER = [F.indicator, F.round, F.location, F.group];
  data.rows.sort(function (a, b) {
    for (var i = 0; i < ORDER.length; i += 1) {
      if (a[ORDER[i]] !== b[ORDER[i]]) { return a[ORDER[i]] - b[ORDER[i]]; }
    }
    return 0;
  });
  var state = { indicator: 0, location: -1, round: data.latest, group: 0, sort: null, descending: false };

  function node(tag, cls, content) {
    var element = document.createElement(tag);
    if (cls) { element.className = cls; }
    if (content !== undefined && content !== null) { element.textContent = String(content); }
    return element;
  }

  /* a number as the report writes it (survey_toolkit.i18n.fmt_decimal): the value is already rounded */
  function number(value, digits, signed) {
    if (value === null || value === undefined) { return ""; }
    var size = Math.abs(value);
    var parts = size.toFixed(digits).split(".");
    var whole = parts[0];
    if (size >= fmt.group_from) {
      var grouped = "";
      while (whole.length > 3) {
        grouped = fmt.group + whole.slice(-3) + grouped;
        whole = whole.slice(0, -3);
      }
      whole += grouped;
    }
    var body = parts.length > 1 ? whole + fmt.decimal + parts[1] : whole;
    var sign = value < 0 ? fmt.minus : (signed && value > 0 ? "+" : "");
    return fmt.prefix + sign + body;
  }

  /* options: [value, text] or [value, text, optgroup title] (the indicators by theme) */
  function picker(name, label, options, selected) {
    var wrap = node("label", "explore-pick");
    wrap.appendChild(node("span", null, label));
    var select = node("select");
    select.id = "explore-" + name;
    var group = null;
    options.forEach(function (option) {
      var item = node("option", null, option[1]);
      item.value = String(option[0]);
      if (option[0] === selected) { item.selected = true; }
      if (option.length > 2 && (!group || group.label !== option[2])) {
        group = node("optgroup");
        group.label = option[2];
        select.appendChild(group);
      }
      (option.length > 2 ? group : select).appendChild(item);
    });
    select.addEventListener("change", function () {
      state[name] = Number(select.value);
      draw();
    });
    wrap.appendChild(select);
    return wrap;
  }

  function indexed(list, first) {
    var out = first ? [first] : [];
    list.forEach(function (item, i) { out.push([i, typeof item === "string" ? item : (item.label || item.name)]); });
    return out;
  }

  var groups = indexed(data.groups, [-1, text.explore_every_group]);
  groups[1] = [0, text.explore_no_group];
  var controls = node("div", "explore-controls");
  /* the indicators by theme, in the report's order (those without one last) */
  var indicators = indexed(data.indicators);
  if (data.themes.length) {
    var rank = function (option) {
      var theme = data.indicators[option[0]].theme;
      return theme < 0 ? data.themes.length : theme;
    };
    indicators.sort(function (a, b) { return rank(a) - rank(b) || a[0] - b[0]; });
    indicators.forEach(function (option) {
      var theme = data.indicators[option[0]].theme;
      option.push(theme < 0 ? text.indicators : data.themes[theme]);
    });
  }
  state.indicator = indicators[0][0];
  controls.appendChild(picker("indicator", text.indicator, indicators, state.indicator));
  controls.appendChild(picker("location", text.location,
    indexed(data.locations, [-1, text.explore_every_location]), -1));
  controls.appendChild(picker("round", text.round, indexed(data.rounds, [-1, text.explore_every_round]),
    data.latest));
  if (data.groups.length > 1) {
    controls.appendChild(picker("group", text.group, groups, 0));
  }
  view.appendChild(controls);
  var unitLine = node("p", "note");
  var count = node("p", "note explore-count");
  view.appendChild(unitLine);
  var table = node("table", "explore");
  var thead = node("thead");
  var tbody = node("tbody");
  table.appendChild(thead);
  table.appendChild(tbody);
  var scroll = node("div", "explore-table");
  scroll.appendChild(table);
  view.appendChild(count);
  view.appendChild(scroll);
  view.appendChild(node("p", "note", data.sig));

  var columns = [
    ["location", text.location, function (r) { return r[F.location]; }],
    ["round", text.round, function (r) { return r[F.round]; }],
    ["group", text.group, function (r) { return r[F.group]; }],
    ["estimate", text.estimate, function (r) { return r[F.estimate]; }],
    ["ci", text.ci, function (r) { return r[F.ci_low]; }],
    ["n", text.n, function (r) { return r[F.n]; }],
    ["change", text.explore_change, function (r) { return r[F.change]; }],
    ["note", text.explore_remark, function (r) { return r[F.note] || r[F.change_note]; }],
    ["chart", text.explore_chart, function (r) { return r[F.estimate]; }]
  ];

  var TEXT_COLUMNS = ["location", "round", "group", "note"];

  /* the columns shown: a filter set to one location, round or group needs no column */
  function shown(key) {
    if (key === "location" || key === "round") { return state[key] < 0; }
    if (key === "group") { return data.groups.length > 1 && state.group < 0; }
    return true;
  }

  function selected() {
    return data.rows.filter(function (r) {
      return r[F.indicator] === state.indicator &&
        (state.location < 0 || r[F.location] === state.location) &&
        (state.round < 0 || r[F.round] === state.round) &&
        (state.group < 0 || r[F.group] === state.group);
    });
  }

  function sorted(rows) {
    var column = columns.filter(function (c) { return c[0] === state.sort; })[0];
    if (!column) { return rows; }
    var key = column[2];
    var sign = state.descending ? -1 : 1;
    return rows.map(function (r, i) { return [r, i]; }).sort(function (a, b) {
      var x = key(a[0]);
      var y = key(b[0]);
      if (x === null && y === null) { return a[1] - b[1]; }
      if (x === null) { return 1; }
      if (y === null) { return -1; }
      return x === y ? a[1] - b[1] : (x < y ? -sign : sign);
    }).map(function (pair) { return pair[0]; });
  }

  function scale(rows) {
    var low = Infinity;
    var high = -Infinity;
    rows.forEach(function (r) {
      [r[F.ci_low], r[F.estimate], r[F.ci_high]].forEach(function (v) {
        if (v !== null) { low = Math.min(low, v); high = Math.max(high, v); }
      });
    });
    if (low === Infinity) { return null; }
    if (high === low) { low -= 1; high += 1; }
    var step = Math.pow(10, Math.floor(Math.log(high - low) / Math.LN10));
    low = Math.floor(low / step) * step;
    high = Math.ceil(high / step) * step;
    return [low, high];
  }

  function header(range, digits) {
    while (thead.firstChild) { thead.removeChild(thead.firstChild); }
    var tr = node("tr");
    columns.filter(function (column) { return shown(column[0]); }).forEach(function (column) {
      var th = node("th", TEXT_COLUMNS.indexOf(column[0]) >= 0 ? "explore-text" : "");
      th.scope = "col";
      var button = node("button", "explore-sort", column[1]);
      button.type = "button";
      button.addEventListener("click", function () {
        state.descending = state.sort === column[0] ? !state.descending : false;
        state.sort = column[0];
        draw();
      });
      if (state.sort === column[0]) { th.setAttribute("aria-sort", state.descending ? "descending" : "ascending"); }
      th.appendChild(button);
      if (column[0] === "chart" && range) {
        var axis = node("div", "explore-axis");
        axis.dir = "ltr";
        axis.appendChild(node("span", null, number(range[0], digits)));
        axis.appendChild(node("span", null, number(range[1], digits)));
        th.appendChild(axis);
      }
      tr.appendChild(th);
    });
    thead.appendChild(tr);
  }

  function percent(value, range) {
    return (100 * (value - range[0]) / (range[1] - range[0])).toFixed(2) + "%";
  }

  function bar(r, range) {
    var box = node("div", "explore-bar");
    box.dir = "ltr";
    if (!range || r[F.estimate] === null) { return box; }
    var colour = data.locations[r[F.location]].colour;
    if (r[F.ci_low] !== null && r[F.ci_high] !== null) {
      var line = node("span", "explore-ci");
      line.style.left = percent(r[F.ci_low], range);
      line.style.width = (100 * (r[F.ci_high] - r[F.ci_low]) / (range[1] - range[0])).toFixed(2) + "%";
      line.style.backgroundColor = colour;
      box.appendChild(line);
    }
    var dot = node("span", "explore-dot");
    dot.style.left = percent(r[F.estimate], range);
    dot.style.backgroundColor = colour;
    box.appendChild(dot);
    return box;
  }

  function cells(r, ind, range) {
    var note = data.notes[r[F.note]];
    var estimate = r[F.estimate] === null ? "—" : number(r[F.estimate], ind.digits);
    if (r[F.estimate] !== null && note.caution) { estimate = "(" + estimate + ")"; }
    var ci = r[F.ci_low] === null || r[F.ci_high] === null ? ""
      : number(r[F.ci_low], ind.digits) + "–" + number(r[F.ci_high], ind.digits);
    var change = "";
    if (r[F.change] !== null) {
      change = number(r[F.change], ind.digits, true) + (ind.points ? " " + text.points : "") +
        ["", "†", "*"][r[F.mark]];
    } else if (r[F.change_note] || (r[F.estimate] === null && r[F.round] === data.latest && data.latest > 0)) {
      change = "—";
    }
    /* a withheld estimate's reason says it all: its change is withheld too */
    var notes = r[F.estimate] === null ? [note.text] : [note.text, data.notes[r[F.change_note]].text];
    notes = notes.filter(function (s) { return s; });
    var group = r[F.group] ? data.groups[r[F.group]] : text.explore_no_group;
    var out = {
      location: [data.locations[r[F.location]].name, "explore-text"], round: [data.rounds[r[F.round]], "explore-text"],
      group: [group, "explore-text"], estimate: [estimate, r[F.estimate] === null ? "sup" : ""], ci: [ci, ""],
      n: [r[F.n] === null ? "" : String(r[F.n]), ""],
      change: [change, r[F.mark] === 2 ? "sig" : (change === "—" ? "sup" : "")],
      note: [notes.join("; "), "explore-text explore-note"], chart: [bar(r, range), "explore-chart"]
    };
    return columns.filter(function (column) { return shown(column[0]); }).map(function (column) {
      return out[column[0]];
    });
  }

  function draw() {
    var ind = data.indicators[state.indicator];
    var rows = sorted(selected());
    var range = scale(rows);
    unitLine.textContent = ind.unit ? text.explore_unit.replace("{unit}", ind.unit) : "";
    count.textContent = rows.length ? text.explore_count.replace("{count}", String(rows.length)) : text.explore_empty;
    header(range, ind.digits);
    while (tbody.firstChild) { tbody.removeChild(tbody.firstChild); }
    rows.forEach(function (r) {
      var tr = node("tr");
      if (r[F.location] === data.overall && r[F.group] === 0) { tr.className = "total"; }
      cells(r, ind, range).forEach(function (cell) {
        var td = node("td", cell[1]);
        if (typeof cell[0] === "string") { td.textContent = cell[0]; } else { td.appendChild(cell[0]); }
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
  }

  draw();
  view.hidden = false;
}());
