/* Query page: the named queries as a menu of questions, a SPARQL editor, Run (POST /sparql), results as a
 * table with CSV/JSON download, and any result drawn as a graph of the IRIs in its rows. */
"use strict";

(() => {
  const { api, el, shorten, drawGraph, nodeInfo } = LMAKG;
  const $ = (id) => document.getElementById(id);
  const MAX_TABLE_ROWS = 2000;
  const MAX_GRAPH_NODES = 400;
  const NUMERIC = /#(integer|decimal|double|float|int|long|short|nonNegativeInteger|positiveInteger)$/;

  let queries = [];
  let last = null; // {kind: "select"|"ask"|"rdf", json, text, contentType}

  function setStatus(text) { $("status").textContent = text; }

  function showError(message) {
    $("error").textContent = message;
    $("error").hidden = false;
  }

  function clearError() {
    $("error").hidden = true;
    $("error").textContent = "";
  }

  /* ---------------- named queries ---------------- */

  function renderMenu(filter) {
    const list = $("query-list");
    const needle = (filter || "").toLowerCase();
    const matches = (q) => !needle || `${q.title} ${q.question} ${q.name}`.toLowerCase().includes(needle);
    const items = [];
    for (const [label, group] of [["Questions", queries.filter((q) => !q.check)],
                                  ["Consistency checks (no rows expected)", queries.filter((q) => q.check)]]) {
      const shown = group.filter(matches);
      if (!shown.length) continue;
      items.push(el("li", { class: "group" }, label));
      for (const q of shown) {
        items.push(el("li", null, el("button", {
          "data-name": q.name, "aria-pressed": "false", title: q.question,
          onclick: () => selectQuery(q.name, true),
        }, el("span", { class: "q-title" }, q.title),
           el("span", { class: "q-question" }, q.question),
           q.section ? el("span", { class: "q-section" }, `§ ${q.section} · ${q.name}`) : null)));
      }
    }
    list.replaceChildren(...(items.length ? items : [el("li", { class: "muted small" }, "No question matches.")]));
  }

  function selectQuery(name, updateUrl) {
    const q = queries.find((x) => x.name === name);
    if (!q) return;
    $("editor").value = q.text;
    $("query-title").textContent = q.title;
    $("question").textContent = q.question;
    for (const b of document.querySelectorAll("#query-list button")) {
      b.setAttribute("aria-pressed", b.dataset.name === name ? "true" : "false");
    }
    if (updateUrl) history.replaceState(null, "", `/?name=${encodeURIComponent(name)}`);
  }

  /* ---------------- running ---------------- */

  async function run() {
    const query = $("editor").value;
    clearError();
    $("run").disabled = true;
    setStatus("Running…");
    const started = performance.now();
    try {
      const response = await fetch("/sparql", {
        method: "POST",
        headers: {
          "Content-Type": "application/sparql-query",
          "Accept": "application/sparql-results+json, text/turtle;q=0.9, */*;q=0.1",
        },
        body: query,
      });
      const contentType = response.headers.get("Content-Type") || "";
      const text = await response.text();
      const ms = Math.round(performance.now() - started);
      if (!response.ok) {
        let message = text;
        try { const j = JSON.parse(text); message = j.error || j.message || text; } catch (_) { /* plain text */ }
        setStatus(`HTTP ${response.status} after ${ms} ms`);
        showError(`Error ${response.status}: ${message.trim() || response.statusText}`);
        $("results-panel").hidden = true;
        return;
      }
      if (contentType.includes("json")) {
        const json = JSON.parse(text);
        last = { kind: "boolean" in json ? "ask" : "select", json, text, contentType };
      } else {
        last = { kind: "rdf", text, contentType };
      }
      renderResults(ms);
    } catch (err) {
      setStatus("");
      showError(`Could not reach the SPARQL endpoint: ${err.message}`);
    } finally {
      $("run").disabled = false;
    }
  }

  function cell(term) {
    if (!term) return el("td");
    if (term.type === "uri") {
      return el("td", null, el("a", { href: `/graph?iri=${encodeURIComponent(term.value)}`, title: term.value },
        shorten(term.value)));
    }
    if (term.type === "bnode") return el("td", { class: "muted" }, `_:${term.value}`);
    const numeric = term.datatype && NUMERIC.test(term.datatype);
    return el("td", { class: numeric ? "num" : null, lang: term["xml:lang"] || null }, term.value);
  }

  function renderResults(ms) {
    $("results-panel").hidden = false;
    $("graph-section").hidden = true;
    const wrap = $("table-wrap");
    const pre = $("rdf");
    $("show-graph").disabled = last.kind !== "select";
    $("download-csv").disabled = last.kind !== "select";
    if (last.kind === "rdf") {
      wrap.hidden = true;
      pre.hidden = false;
      pre.textContent = last.text;
      $("results-title").textContent = "Result (RDF)";
      $("download-json").textContent = "Download Turtle";
      setStatus(`graph result in ${ms} ms`);
      return;
    }
    $("download-json").textContent = "Download JSON";
    pre.hidden = true;
    wrap.hidden = false;
    if (last.kind === "ask") {
      $("results-title").textContent = "Answer";
      wrap.replaceChildren(el("p", { style: "padding:0.6rem", class: "ask" }, last.json.boolean ? "yes (true)" : "no (false)"));
      setStatus(`answered in ${ms} ms`);
      return;
    }
    const vars = last.json.head.vars || [];
    const rows = last.json.results.bindings || [];
    $("results-title").textContent = `Results (${rows.length} row${rows.length === 1 ? "" : "s"})`;
    const table = el("table", { class: "results", id: "results" },
      el("thead", null, el("tr", null, vars.map((v) => el("th", { scope: "col" }, v)))),
      el("tbody", null, rows.slice(0, MAX_TABLE_ROWS).map((row) => el("tr", null, vars.map((v) => cell(row[v]))))));
    const note = rows.length > MAX_TABLE_ROWS
      ? el("p", { class: "muted small", style: "padding:0.4rem" }, `First ${MAX_TABLE_ROWS} rows shown; the downloads hold all ${rows.length}.`)
      : null;
    wrap.replaceChildren(table, ...(note ? [note] : []));
    setStatus(`${rows.length} row${rows.length === 1 ? "" : "s"} in ${ms} ms`);
  }

  /* ---------------- downloads ---------------- */

  function download(filename, type, content) {
    const url = URL.createObjectURL(new Blob([content], { type }));
    const a = el("a", { href: url, download: filename });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  function csvField(value) {
    return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
  }

  function toCsv(json) {
    const vars = json.head.vars || [];
    const lines = [vars.map(csvField).join(",")];
    for (const row of json.results.bindings) {
      lines.push(vars.map((v) => csvField(row[v] ? row[v].value : "")).join(","));
    }
    return lines.join("\r\n") + "\r\n";
  }

  function baseName() {
    const params = new URLSearchParams(window.location.search);
    return params.get("name") || "lmakg-results";
  }

  /* ---------------- result as a graph ---------------- */

  async function showGraph() {
    if (!last || last.kind !== "select") return;
    const vars = last.json.head.vars || [];
    const ids = new Set();
    const edges = new Map();
    for (const row of last.json.results.bindings) {
      const iris = vars.filter((v) => row[v] && row[v].type === "uri").map((v) => [v, row[v].value]);
      if (!iris.length) continue;
      const [, hub] = iris[0];
      for (const [, iri] of iris) ids.add(iri);
      for (const [v, iri] of iris.slice(1)) {
        if (iri === hub) continue;
        const key = `${hub}\u0000${iri}`;
        if (!edges.has(key)) edges.set(key, { from: hub, to: iri, label: v });
      }
      if (ids.size > MAX_GRAPH_NODES) break;
    }
    if (!ids.size) {
      showError("This result has no IRIs to draw.");
      return;
    }
    setStatus("Drawing graph…");
    const list = [...ids].slice(0, MAX_GRAPH_NODES);
    const nodes = [];
    for (let i = 0; i < list.length; i += 80) {
      const chunk = await api("/api/nodes", { iri: list.slice(i, i + 80) });
      nodes.push(...chunk.nodes);
    }
    const kept = new Set(nodes.map((n) => n.id));
    const drawn = [...edges.values()].filter((e) => kept.has(e.from) && kept.has(e.to));
    $("graph-section").hidden = false;
    await drawGraph($("graph"), { nodes, edges: drawn }, {
      legend: $("legend"),
      onSelect: (n) => nodeInfo($("node-info"), n),
      onOpen: (n) => { window.location.href = `/graph?iri=${encodeURIComponent(n.id)}`; },
    });
    setStatus(`graph of ${nodes.length} nodes, ${drawn.length} edges`);
    $("graph-section").scrollIntoView({ behavior: "smooth", block: "start" });
  }

  /* ---------------- wiring ---------------- */

  async function init() {
    $("run").addEventListener("click", run);
    $("editor").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); }
      if (e.key === "Tab" && !e.shiftKey) {
        e.preventDefault();
        const t = e.target;
        const at = t.selectionStart;
        t.setRangeText("  ", at, t.selectionEnd, "end");
      }
    });
    $("query-filter").addEventListener("input", (e) => renderMenu(e.target.value));
    $("download-csv").addEventListener("click", () => download(`${baseName()}.csv`, "text/csv", toCsv(last.json)));
    $("download-json").addEventListener("click", () => {
      if (last.kind === "rdf") download(`${baseName()}.ttl`, last.contentType || "text/turtle", last.text);
      else download(`${baseName()}.json`, "application/sparql-results+json", last.text);
    });
    $("show-graph").addEventListener("click", () => showGraph().catch((err) => showError(err.message)));
    try {
      queries = (await api("/api/queries")).queries;
    } catch (err) {
      showError(`Could not load the named queries: ${err.message}`);
      return;
    }
    renderMenu("");
    const params = new URLSearchParams(window.location.search);
    if (params.get("name")) selectQuery(params.get("name"), false);
    else if (params.get("query")) $("editor").value = params.get("query");
    document.body.dataset.ready = "true";
  }

  document.addEventListener("DOMContentLoaded", init);
})();
