"use strict";
// benchwh serve, runs page: the live table of published progress (text only). Updates come as
// server-sent events from /api/progress/stream; where those fail (or ?transport=poll), the page
// polls /api/progress instead. #live carries data-transport ("sse" or "poll") and data-updates.
(function () {
  const box = document.getElementById("live");
  if (!box) return;
  const every = Number(box.dataset.pollMs || 1000);
  const cell = (text, cls) => { const td = document.createElement("td"); td.textContent = text == null ? "–" : String(text); if (cls) td.className = cls; return td; };
  function draw(doc) {
    const body = document.getElementById("live-body");
    body.textContent = "";
    for (const p of doc.runs) {
      const tr = document.createElement("tr");
      tr.dataset.run = p.run_id; tr.dataset.state = p.shown; tr.dataset.done = p.done;
      tr.append(cell(p.run_id), cell(p.what), cell(p.shown, "state"));
      const td = document.createElement("td");
      if (p.total) { const bar = document.createElement("progress"); bar.max = p.total; bar.value = p.done || 0; td.append(bar, " "); }
      td.append(`${p.done ?? 0} of ${p.total ?? "?"}`);
      tr.append(td, cell(p.current), cell(p.eta_s == null ? null : p.eta_s + " s"),
                cell(p.results == null ? (doc.warehouse_note || null) : p.results, "num"),
                cell(p.age_s == null ? null : p.age_s + " s ago"), cell(p.host + " pid " + p.pid), cell(p.error));
      body.append(tr);
    }
    document.getElementById("live-note").textContent = doc.runs.length ? "" : "no run has published progress";
    box.dataset.updates = String(Number(box.dataset.updates || 0) + 1);
  }
  async function poll() {
    box.dataset.transport = "poll";
    try {
      const r = await fetch("/api/progress", { headers: { accept: "application/json" }, credentials: "same-origin" });
      if (!r.ok) throw new Error("HTTP " + r.status);
      draw(await r.json());
    } catch (e) {
      document.getElementById("live-note").textContent = "could not read progress: " + e;
    }
    setTimeout(poll, every);
  }
  const forcePoll = new URLSearchParams(location.search).get("transport") === "poll";
  if (forcePoll || typeof EventSource !== "function") { poll(); return; }
  const es = new EventSource("/api/progress/stream");
  let got = false;
  box.dataset.transport = "sse";
  es.onmessage = (ev) => { got = true; draw(JSON.parse(ev.data)); };
  es.onerror = () => {
    // A closed stream reconnects by itself; one that never delivered falls back to polling.
    if (!got) { es.close(); poll(); }
  };
})();
