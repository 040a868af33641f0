"use strict";
// benchwh report: decodes the embedded data once, then draws each model's charts when its
// section comes into view or a filter changes. All warehouse text is inserted as text.
(async function () {
  const $ = (id) => document.getElementById(id);
  const progress = $("progress");
  const say = (t, cls) => { progress.textContent = t; progress.className = "progress" + (cls ? " " + cls : ""); };
  const tick = () => new Promise((r) => setTimeout(r, 0));
  const el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
    }
    for (const c of kids) if (c != null) e.append(c);
    return e;
  };

  let H, C;
  try {
    say("decoding the embedded data…");
    await tick();
    const text = $("payload").textContent.trim();
    const bin = atob(text);
    const u8 = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
    const stream = new Blob([u8]).stream().pipeThrough(new DecompressionStream("gzip"));
    const buf = new Uint8Array(await new Response(stream).arrayBuffer());
    const n = buf[0] | (buf[1] << 8) | (buf[2] << 16) | (buf[3] << 24);
    H = JSON.parse(new TextDecoder().decode(buf.subarray(4, 4 + n)));
    const start = 4 + n + ((4 - ((4 + n) % 4)) % 4);
    C = {};
    for (const [name, [kind, off, len]] of Object.entries(H.cols)) {
      const src = buf.subarray(start + off, start + off + 4 * len);
      const out = new Uint8Array(4 * len);
      for (let b = 0; b < 4; b++) { const base = b * len; for (let i = 0; i < len; i++) out[4 * i + b] = src[base + i]; }
      C[name] = kind === "f4" ? new Float32Array(out.buffer) : new Uint32Array(out.buffer);
    }
  } catch (e) {
    say("could not read the embedded data: " + e, "error");
    throw e;
  }

  const D = H.dicts, K = H.keys, NK = K.model.length;
  const METRICS = H.metrics, MBY = Object.fromEntries(METRICS.map((m) => [m.col, m]));
  const hwLabel = (k) => {
    const hw = D.hw[K.hw[k]], dev = D.device[K.device[k]];
    return hw + (dev && dev !== hw ? " " + dev : "") + (K.sim[k] ? " (simulated)" : "");
  };
  const cfgLabel = (k) => D.cfg[K.cfg[k]];
  const seriesName = (k) => cfgLabel(k) + " · " + hwLabel(k);
  // Plotly reads its labels, names and hover values as pseudo-HTML: every stored text that reaches
  // a chart goes through hx, so a name holding "<b>" or "<a href>" is drawn as the text it is.
  const hx = (s) => (s == null ? s : String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"));
  const when = (s) => new Date((H.t0 + s) * 1000);
  const iso = (s) => when(s).toISOString().replace("T", " ").slice(0, 19);
  const fmt = (v) => (v == null || Number.isNaN(v) ? "–" : Math.abs(v) >= 1000 ? Math.round(v).toLocaleString("en") : Number(v.toPrecision(4)).toString());
  const pct = (c) => (c == null ? "–" : (c >= 0 ? "+" : "") + c.toFixed(1) + "%");
  const shortCommit = (i) => { const c = D.commit[C.commit[i]]; return c ? hx(c.slice(0, 10)) : "(no commit)"; };

  // Keys per model, in configuration order.
  const byModel = new Map();
  const order = Array.from({ length: NK }, (_, k) => k).sort((a, b) => K.order[a] - K.order[b]);
  for (const k of order) { const m = K.model[k]; if (!byModel.has(m)) byModel.set(m, []); byModel.get(m).push(k); }
  const modelIds = [...byModel.keys()].sort((a, b) => (D.model[a] < D.model[b] ? -1 : 1));
  const hasMetric = (k, col) => { const v = C[col]; for (let i = C.koff[k]; i < C.koff[k + 1]; i++) if (!Number.isNaN(v[i])) return true; return false; };
  const changeBy = new Map(H.changes.map((c) => [c.k + "|" + c.m, c]));

  const state = {
    model: "", hw: new Set(), prec: new Set(), sim: false,
    metric: METRICS.length ? METRICS[0].col : null, axis: "time",
  };
  const usedHw = [...new Set(K.hw)].sort((a, b) => (D.hw[a] < D.hw[b] ? -1 : 1));
  const usedPrec = [...new Set(K.prec)].sort((a, b) => (String(D.prec[a]) < String(D.prec[b]) ? -1 : 1));
  usedHw.forEach((h) => state.hw.add(h));
  usedPrec.forEach((p) => state.prec.add(p));
  const visible = (k) => (state.model === "" || K.model[k] === Number(state.model)) && state.hw.has(K.hw[k])
    && state.prec.has(K.prec[k]) && (state.sim || !K.sim[k]);

  // ---- summary ------------------------------------------------------------------------
  const measured = H.verdicts.measured || {}, simulated = H.verdicts.simulated || {};
  const nsim = K.sim.filter((s) => s).length;
  const hwSet = new Set(), cells = new Set();
  for (let k = 0; k < NK; k++) if (!K.sim[k]) { hwSet.add(K.hw[k]); cells.add(K.model[k] + "|" + K.hw[k]); }
  const card = (n, label, cls) => el("div", { class: "card " + (cls || "") }, el("div", { class: "n", text: n }), el("div", { class: "l", text: label }));
  const newest = H.newest;
  $("summary").append(
    card(measured.regression || 0, "regressions (newest vs previous, measured)", "reg"),
    card(measured.improvement || 0, "improvements (measured)", "imp"),
    card(newest ? newest.at : "–", newest ? `newest ${newest.simulated ? "(simulated) " : "measured "}run ${newest.run.slice(0, 12)}${newest.commit ? " @ " + newest.commit.slice(0, 10) : ""} (${newest.model})` : "no results"),
    card(modelIds.length.toLocaleString("en"), `models; ${hwSet.size} hardware types measured; ${cells.size} model × hardware pairs measured`),
    card(NK.toLocaleString("en"), `series (${nsim.toLocaleString("en")} simulated, hidden until shown)`),
    card(H.results.toLocaleString("en"), `completed results (${H.simulated.toLocaleString("en")} simulated; ${(H.placeholders || 0).toLocaleString("en")} suspected placeholders, marked ◇); ${H.failed.toLocaleString("en")} failed attempts`),
    card(H.changepoints.length, "change points marked"),
    card(H.annotations.length, "annotated expected changes"),
  );
  if ((simulated.regression || 0) + (simulated.improvement || 0)) {
    $("summary").append(card(`${simulated.regression || 0} / ${simulated.improvement || 0}`, "regressions / improvements in simulated series"));
  }

  // ---- controls -----------------------------------------------------------------------
  const controls = $("controls");
  const modelSel = el("select", { id: "f-model", "aria-label": "model" }, el("option", { value: "", text: `all models (${modelIds.length})` }));
  for (const m of modelIds) modelSel.append(el("option", { value: String(m), text: D.model[m] }));
  modelSel.addEventListener("change", () => { state.model = modelSel.value; apply(); });
  const boxes = (id, title, ids, names, set) => {
    const fs = el("fieldset", { id }, el("legend", { text: title }));
    for (const i of ids) {
      const cb = el("input", { type: "checkbox", value: String(i) });
      cb.checked = true;
      cb.addEventListener("change", () => { cb.checked ? set.add(i) : set.delete(i); apply(); });
      fs.append(el("label", {}, cb, " " + (names[i] == null ? "(none)" : names[i])));
    }
    return fs;
  };
  const metricSel = el("select", { id: "f-metric", "aria-label": "metric" });
  for (const m of METRICS) metricSel.append(el("option", { value: m.col, text: `${m.title} (${m.unit})` }));
  metricSel.addEventListener("change", () => { state.metric = metricSel.value; apply(); });
  const axisSel = el("select", { id: "f-axis", "aria-label": "x axis" },
    el("option", { value: "time", text: "x: time" }), el("option", { value: "commit", text: "x: commit" }));
  axisSel.addEventListener("change", () => { state.axis = axisSel.value; apply(); });
  const simCb = el("input", { type: "checkbox", id: "f-sim" });
  simCb.addEventListener("change", () => { state.sim = simCb.checked; apply(); });
  const shown = el("span", { id: "shown", class: "meta" });
  controls.append(
    el("label", {}, "model ", modelSel), boxes("f-hw", "hardware", usedHw, D.hw, state.hw),
    boxes("f-prec", "precision", usedPrec, D.prec, state.prec), el("label", {}, metricSel), el("label", {}, axisSel),
    el("label", {}, simCb, ` show simulated (${H.simulated.toLocaleString("en")} results)`), shown,
  );

  // ---- latest changes table -------------------------------------------------------------
  const CHANGE_ROWS = 12;
  let changeLimit = CHANGE_ROWS;
  function renderChanges() {
    const body = $("changes-body");
    body.textContent = "";
    const rows = H.changes.filter((c) => visible(c.k))
      .sort((a, b) => (a.v === b.v ? Math.abs(b.c || 0) - Math.abs(a.c || 0) : a.v === "regression" ? -1 : 1));
    if (!rows.length) { body.append(el("p", { class: "empty", text: "No shown series' newest result is a regression or an improvement against the one before it." })); return; }
    const t = el("table", { id: "changes-table" });
    t.append(el("thead", {}, el("tr", {}, ...["model", "configuration", "hardware", "metric", "previous", "newest", "change", "judged by", "verdict", "newest run"].map((h) => el("th", { text: h })))));
    const tb = el("tbody");
    for (const c of rows.slice(0, changeLimit)) {
      const m = MBY[c.m] || { title: c.m, unit: "" };
      const link = el("a", { href: "#model-" + K.model[c.k], text: D.model[K.model[c.k]] });
      const hw = el("td", { text: hwLabel(c.k).replace(" (simulated)", "") });
      if (K.sim[c.k]) hw.append(el("span", { class: "sim", text: "simulated" }));
      tb.append(el("tr", { class: K.sim[c.k] ? "simrow" : "" }, el("td", {}, link), el("td", { text: cfgLabel(c.k) }), hw,
        el("td", { text: `${c.m} (${m.unit})` }), el("td", { class: "num", text: fmt(c.b) }), el("td", { class: "num", text: fmt(c.cur) }),
        el("td", { class: "num", text: pct(c.c) }), el("td", { text: c.how + (c.why ? " — " + c.why : "") }),
        el("td", { class: c.v, text: c.v }), el("td", { text: `${c.run.slice(0, 12)} ${iso(c.at)}` })));
    }
    t.append(tb);
    body.append(t);
    if (rows.length > changeLimit) {
      const more = el("button", { type: "button", text: `show all ${rows.length.toLocaleString("en")} (${changeLimit} shown)` });
      more.addEventListener("click", () => { changeLimit = rows.length; renderChanges(); });
      body.append(more);
    }
  }

  // ---- model sections ---------------------------------------------------------------------
  const list = $("model-list");
  const sections = new Map(), dirty = new Set(), inView = new Set();
  const observer = new IntersectionObserver((entries) => {
    for (const e of entries) {
      const m = Number(e.target.dataset.mid);
      if (e.isIntersecting) { inView.add(m); if (dirty.has(m)) render(m); } else inView.delete(m);
    }
  }, { rootMargin: "300px 0px" });
  for (const m of modelIds) {
    const keys = byModel.get(m);
    const npts = keys.reduce((s, k) => s + C.koff[k + 1] - C.koff[k], 0);
    const sec = el("section", { class: "model", id: "model-" + m, "data-mid": String(m), "data-model": D.model[m] },
      el("h3", { text: D.model[m] }),
      el("p", { class: "meta info" }),
      el("div", { class: "charts" }, el("div", { class: "chart trend" }), el("div", { class: "chart dist" })),
      el("details", { class: "series" }, el("summary", { text: `all ${keys.length} series of ${D.model[m]} (${npts.toLocaleString("en")} results): configuration, hardware, points, newest value` }),
        el("div", { class: "series-body" })));
    sections.set(m, sec);
    list.append(sec);
    observer.observe(sec);
    dirty.add(m);
  }
  if (!modelIds.length) list.append(el("p", { class: "empty", text: "No completed results in this warehouse." }));

  function yAxis(m, ys) {
    const pos = ys.filter((v) => v > 0);
    const ax = { title: { text: `${m.title} (${m.unit}, ${m.lower ? "lower" : "higher"} is better)` }, automargin: true, zeroline: true };
    if (pos.length && pos.length === ys.length && Math.max(...pos) / Math.min(...pos) > 20) ax.type = "log";
    else ax.rangemode = "tozero";
    return ax;
  }

  function pointsOf(k, col) {
    const out = [], v = C[col];
    for (let i = C.koff[k]; i < C.koff[k + 1]; i++) if (!Number.isNaN(v[i])) out.push(i);
    return out;
  }

  function drawTrend(div, m, keys) {
    const col = m.col, traces = [], allY = [], commitsT = new Map();
    const xOf = (i) => (state.axis === "time" ? when(C.t[i]) : shortCommit(i));
    const regX = [], regY = [], regT = [], impX = [], impY = [], impT = [];
    for (const k of keys) {
      const idx = pointsOf(k, col);
      if (!idx.length) continue;
      const x = [], y = [], cd = [];
      let prev = null;
      for (const i of idx) {
        const v = C[col][i];
        x.push(xOf(i)); y.push(v); allY.push(v);
        const ch = prev == null || prev === 0 ? "–" : pct(((v - prev) / Math.abs(prev)) * 100);
        cd.push([hx(D.run[C.run[i]] || "–"), hx(D.commit[C.commit[i]] || "–"), hx(D.source[C.src[i]] || "–"), C.ns[i], ch, iso(C.t[i]),
          C.ph[i] ? "<br>◇ suspected placeholder: " + hx(D.placeholder[C.ph[i]]) : ""]);
        if (state.axis === "commit") { const c = shortCommit(i); if (!commitsT.has(c)) commitsT.set(c, C.t[i]); }
        prev = v;
      }
      traces.push({
        type: "scatter", mode: "lines+markers", name: hx(seriesName(k)), x, y, customdata: cd,
        line: { dash: K.sim[k] ? "dash" : "solid", width: 1.5 }, opacity: K.sim[k] ? 0.65 : 1,
        hovertemplate: `<b>%{fullData.name}</b><br>${m.title}: <b>%{y:.4~g} ${m.unit}</b> (vs previous: %{customdata[4]})` +
          "<br>samples: %{customdata[3]}<br>run: %{customdata[0]}<br>commit: %{customdata[1]}<br>file: %{customdata[2]}<br>measured: %{customdata[5]}%{customdata[6]}<extra></extra>",
        marker: { size: 5, symbol: idx.map((i) => (C.ph[i] ? "diamond-open" : "circle")) },
      });
      const c = changeBy.get(k + "|" + col);
      if (c) {
        const last = idx[idx.length - 1];
        (c.v === "regression" ? regX : impX).push(xOf(last));
        (c.v === "regression" ? regY : impY).push(C[col][last]);
        (c.v === "regression" ? regT : impT).push(hx(`${seriesName(k)}: ${pct(c.c)} (${c.how})`));
      }
    }
    if (!traces.length) { Plotly.purge(div); div.textContent = ""; div.append(el("p", { class: "empty", text: `no shown series has ${m.title}` })); return 0; }
    const mark = (x, y, t, name, symbol, color) => x.length && traces.push({
      type: "scatter", mode: "markers", name, x, y, text: t, hovertemplate: "%{text}<extra>" + name + "</extra>",
      marker: { symbol, size: 13, color, line: { color: "black", width: 1 } },
    });
    mark(regX, regY, regT, "regression (newest vs previous)", "x", "#d62728");
    mark(impX, impY, impT, "improvement (newest vs previous)", "triangle-up", "#2ca02c");
    const shapes = [], notes = [];
    const keyset = new Set(keys);
    const atX = (k, t) => { // the x of the first point of series k at or after time t
      for (const i of pointsOf(k, col)) if (C.t[i] >= t) return xOf(i);
      return null;
    };
    const cpx = [], cpy = [], cpt = [];
    for (const cp of H.changepoints) {
      if (!keyset.has(cp.k) || cp.m !== col) continue;
      for (const i of pointsOf(cp.k, col)) if (C.t[i] >= cp.t) { cpx.push(xOf(i)); cpy.push(C[col][i]); cpt.push(`${seriesName(cp.k)}: ${cp.note || "change point"}`); break; }
    }
    mark(cpx, cpy, cpt, "change point", "diamond-open", "#ff7f0e");
    for (const cp of cpx) shapes.push({ type: "line", xref: "x", yref: "paper", x0: cp, x1: cp, y0: 0, y1: 1, line: { color: "#ff7f0e", dash: "dash", width: 1 } });
    for (const a of H.annotations) {
      if (a.metric && a.metric !== col && !(MBY[col] && col.startsWith(a.metric))) continue;
      const ks = a.keys.filter((k) => keyset.has(k));
      if (!ks.length) continue;
      const x = state.axis === "time" ? when(a.t) : atX(ks[0], a.t);
      if (x == null) continue;
      shapes.push({ type: "line", xref: "x", yref: "paper", x0: x, x1: x, y0: 0, y1: 1, line: { color: "#666", dash: "dot", width: 1.5 } });
      notes.push({ x, y: 1, xref: "x", yref: "paper", yanchor: "bottom", showarrow: false, font: { size: 10, color: "#444" }, text: "expected: " + hx((a.note || "annotated change").slice(0, 40)) });
    }
    const xaxis = state.axis === "time" ? { type: "date", title: { text: "measured at" }, automargin: true }
      : { type: "category", title: { text: "git commit (oldest first)" }, categoryorder: "array", automargin: true,
        categoryarray: [...commitsT.entries()].sort((a, b) => a[1] - b[1]).map((e) => e[0]) };
    const n = traces.length;
    Plotly.react(div, traces, {
      title: { text: `${m.title} over time (${m.unit})`, font: { size: 14 } }, xaxis, yaxis: yAxis(m, allY), shapes, annotations: notes,
      hovermode: "closest", legend: { orientation: "h", y: -0.25, font: { size: 10 } }, margin: { t: 40, r: 10 },
      height: 440 + 20 * Math.ceil(n / 3), font: { size: 12 },
    }, { displaylogo: false, responsive: true });
    return n;
  }

  function drawDist(div, m, keys) {
    const col = m.col, isLatency = col.startsWith("latency"), cats = [];
    const byHw = new Map();
    const sorted = keys.slice().sort((a, b) => (cfgLabel(a) === cfgLabel(b) ? 0 : 0) || K.order[a] - K.order[b]);
    for (const k of sorted) {
      const idx = pointsOf(k, col);
      if (!idx.length) continue;
      const last = idx[idx.length - 1];
      const cat = hx(cfgLabel(k) + " · " + hwLabel(k).replace(" (simulated)", " (sim)"));
      cats.push(cat);
      const hw = hx(hwLabel(k));
      if (!byHw.has(hw)) byHw.set(hw, { sim: K.sim[k], bx: [], by: [], mx: [], my: [], cd: [] });
      const g = byHw.get(hw);
      if (isLatency) for (let s = C.soff[k]; s < C.soff[k + 1]; s++) { g.bx.push(cat); g.by.push(C.sval[s]); }
      g.mx.push(cat); g.my.push(C[col][last]);
      g.cd.push([hx(D.run[C.run[last]] || "–"), hx(D.commit[C.commit[last]] || "–"), hx(D.source[C.src[last]] || "–"), C.ns[last], iso(C.t[last])]);
    }
    if (!cats.length) { Plotly.purge(div); div.textContent = ""; div.append(el("p", { class: "empty", text: `no shown series has ${m.title}` })); return; }
    const traces = [], palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#d62728"];
    let c = 0;
    const allY = [];
    for (const [hw, g] of byHw) {
      const color = palette[c++ % palette.length];
      if (g.bx.length) traces.push({ type: "box", name: hw + " samples", legendgroup: hw, x: g.bx, y: g.by, marker: { color, size: 3 }, line: { width: 1 }, opacity: g.sim ? 0.5 : 1, boxpoints: false, hoverinfo: "y" });
      traces.push({
        type: "scatter", mode: "markers", name: hw + " mean", legendgroup: hw, x: g.mx, y: g.my, customdata: g.cd,
        marker: { symbol: "diamond", size: 10, color, line: { color: "black", width: 1 }, opacity: g.sim ? 0.55 : 1 },
        hovertemplate: `<b>%{x}</b><br>newest ${m.title}: <b>%{y:.4~g} ${m.unit}</b><br>samples: %{customdata[3]}<br>run: %{customdata[0]}` +
          "<br>commit: %{customdata[1]}<br>file: %{customdata[2]}<br>measured: %{customdata[4]}<extra></extra>",
      });
      allY.push(...g.my, ...g.by);
    }
    Plotly.react(div, traces, {
      title: { text: `newest result per configuration and hardware${isLatency ? ": raw samples and mean" : ""}`, font: { size: 14 } },
      xaxis: { type: "category", categoryorder: "array", categoryarray: cats, tickangle: cats.length > 4 ? -35 : 0, automargin: true, tickfont: { size: 10 } },
      yaxis: yAxis(m, allY), boxmode: "overlay", hovermode: "closest", legend: { orientation: "h", y: -0.45, font: { size: 10 } },
      margin: { t: 40, r: 10 }, height: 440 + 8 * Math.max(0, cats.length - 10), font: { size: 12 },
    }, { displaylogo: false, responsive: true });
  }

  function seriesTable(body, m, keys) {
    body.textContent = "";
    const t = el("table", { class: "series-table" });
    t.append(el("thead", {}, el("tr", {}, ...["configuration", "hardware", "precision", "points", `newest ${m ? m.title + " (" + m.unit + ")" : ""}`, "newest run", "newest measured", "samples", "verdict (newest vs previous)"].map((h) => el("th", { text: h })))));
    const tb = el("tbody");
    for (const k of keys) {
      const a = C.koff[k], b = C.koff[k + 1];
      const idx = m ? pointsOf(k, m.col) : [];
      const last = idx.length ? idx[idx.length - 1] : b - 1;
      const ch = m && changeBy.get(k + "|" + m.col);
      const hw = el("td", { text: hwLabel(k).replace(" (simulated)", "") });
      if (K.sim[k]) hw.append(el("span", { class: "sim", text: "simulated" }));
      tb.append(el("tr", { class: (K.sim[k] ? "simrow " : "") + (visible(k) ? "" : "hidden"), "data-key": String(k) },
        el("td", { class: "cfg", text: cfgLabel(k) }), hw, el("td", { text: D.prec[K.prec[k]] == null ? "–" : D.prec[K.prec[k]] }),
        el("td", { class: "num", text: String(b - a) }), el("td", { class: "num", text: idx.length ? fmt(C[m.col][last]) : "–" }),
        el("td", { text: (D.run[C.run[last]] || "–").slice(0, 16) }), el("td", { text: iso(C.t[last]) }),
        el("td", { class: "num", text: String(C.ns[last]) }),
        el("td", { class: ch ? ch.v : "", text: ch ? `${ch.v} ${pct(ch.c)}` : "–" })));
    }
    t.append(tb);
    body.append(t);
  }

  function render(mid) {
    dirty.delete(mid);
    const sec = sections.get(mid), m = MBY[state.metric];
    const keys = byModel.get(mid).filter(visible);
    sec.querySelector(".info").textContent = `${keys.length} of ${byModel.get(mid).length} series shown` +
      (state.sim ? "" : `; ${byModel.get(mid).filter((k) => K.sim[k]).length} simulated hidden`);
    seriesTable(sec.querySelector(".series-body"), m, byModel.get(mid));
    if (!m) return;
    drawTrend(sec.querySelector(".trend"), m, keys);
    drawDist(sec.querySelector(".dist"), m, keys);
    sec.dataset.rendered = String(Number(sec.dataset.rendered || 0) + 1);
  }

  function apply() {
    document.body.classList.toggle("hide-sim", !state.sim);
    let nModels = 0, nSeries = 0;
    for (const [mid, sec] of sections) {
      const v = byModel.get(mid).filter(visible).length;
      sec.classList.toggle("hidden", v === 0);
      if (v) { nModels++; nSeries += v; }
      dirty.add(mid);
    }
    for (const tr of document.querySelectorAll("table.compat tr[data-model]")) {
      tr.classList.toggle("hidden", state.model !== "" && tr.dataset.model !== D.model[Number(state.model)]);
    }
    shown.textContent = `${nModels} of ${modelIds.length} models, ${nSeries.toLocaleString("en")} of ${NK.toLocaleString("en")} series shown`;
    renderChanges();
    for (const mid of [...inView]) if (dirty.has(mid) && !sections.get(mid).classList.contains("hidden")) render(mid);
  }

  say("drawing…");
  await tick();
  apply();
  say(`ready: ${H.results.toLocaleString("en")} results in ${NK.toLocaleString("en")} series of ${modelIds.length} models; each model's charts are drawn when it comes into view`, "done");
  window.benchwhReport = { state, apply, render, sections, header: H, ready: true };
})();
