/* Assess page: formulations pasted one a line, or read in the browser from a CSV file's `formulation` column,
 * are POSTed to /api/assess; the answer is a table ranked by score (failed lines after it, in input order),
 * each row opening its explanation: regime, score breakdown and trade-offs with their criteria, components
 * with the rules behind their mechanisms and products, diluent checks, amounts and the densities used, the
 * review's precedents, and the review sections and references all of these cite. */
"use strict";

(() => {
  const { post, el, sectionRef, refRef } = LMAKG;
  const $ = (id) => document.getElementById(id);
  let sources = { sections: {}, references: {} };

  /* ---------------- input ---------------- */

  /* Rows of a CSV text (RFC 4180: quoted fields may hold commas, quotes as "" and line breaks). */
  function parseCsv(text) {
    const rows = [];
    let row = [], field = "", quoted = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
        else if (c === '"') quoted = false;
        else field += c;
      } else if (c === '"') quoted = true;
      else if (c === ",") { row.push(field); field = ""; }
      else if (c === "\n" || c === "\r") {
        if (c === "\r" && text[i + 1] === "\n") i++;
        row.push(field); rows.push(row); row = []; field = "";
      } else field += c;
    }
    if (field || row.length) { row.push(field); rows.push(row); }
    return rows;
  }

  function csvFormulations(text, name) {
    const rows = parseCsv(text.replace(/^\uFEFF/, ""));
    const header = (rows[0] || []).map((h) => h.trim().toLowerCase());
    const column = header.indexOf("formulation");
    if (column < 0) {
      throw new Error(`${name}: no "formulation" column in the header (${(rows[0] || []).join(", ") || "empty file"})`);
    }
    return rows.slice(1).map((r) => (r[column] || "").replace(/\s+/g, " ").trim()).filter(Boolean);
  }

  function loadFile() {
    const file = $("csv-file").files[0];
    if (!file) return;
    const reader = new FileReader();
    reader.onload = () => {
      try {
        const lines = csvFormulations(String(reader.result), file.name);
        $("formulations").value = lines.join("\n");
        run(`${lines.length} formulations from ${file.name}`);
      } catch (err) {
        showError(err.message);
      }
    };
    reader.onerror = () => showError(`could not read ${file.name}`);
    reader.readAsText(file);
    $("csv-file").value = "";
  }

  function showError(message) {
    $("error").textContent = message;
    $("error").hidden = false;
    $("status").textContent = "";
  }

  /* ---------------- the ranked table ---------------- */

  const signed = (x) => (x > 0 ? `+${x}` : String(x));
  const sec = (n) => el("span", { class: "section-ref", "data-section": n, title: sources.sections[n] || "" }, `§${n}`);
  const refs = (list) => (list || []).map((r) => el("span", { class: "ref", "data-ref": String(r),
    title: sources.references[String(r)] || "" }, ` [${r}]`));

  /* Where a criterion comes from: its file, review section and references. */
  function origin(x) {
    return el("span", { class: "origin" }, x.file ? el("code", null, x.file) : null,
      x.section ? [" ", sec(x.section)] : null, refs(x.references),
      x.basis && x.basis !== "review" ? el("span", { class: "muted small" }, ` (${x.basis})`) : null);
  }

  function perComponent(result, key) {
    const parts = result.components.filter((c) => c[key].length);
    if (!parts.length) return el("span", { class: "muted" }, "none");
    return parts.map((c) => el("div", null, el("b", null, c.id), ": ", c[key].map((m) => m.id).join(", ")));
  }

  function row(result) {
    if (result.status !== "ok") {
      return el("tr", { class: "failed", "data-status": "error", "data-line": String(result.line) },
        el("td"), el("td", { class: "num muted" }, "—"),
        el("td", null, result.formulation, el("div", { class: "muted small" }, `line ${result.line}`)),
        el("td", { colspan: "5", class: "status-error" }, "error: ", result.error));
    }
    const detail = el("tr", { class: "detail", hidden: true },
      el("td", { colspan: "8" }, el("div", { class: "placeholder" })));
    const toggle = el("button", { class: "toggle", "aria-expanded": "false", title: "explanation",
      "aria-label": `explanation of ${result.formulation}`, onclick: () => {
        const open = toggle.getAttribute("aria-expanded") !== "true";
        if (open && detail.querySelector(".placeholder")) detail.firstChild.replaceChildren(explanation(result));
        toggle.setAttribute("aria-expanded", String(open));
        toggle.textContent = open ? "▾" : "▸";
        detail.hidden = !open;
      } }, "▸");
    const main = el("tr", { class: "ranked", "data-status": "ok", "data-rank": String(result.rank),
      "data-line": String(result.line) },
      el("td", null, toggle), el("td", { class: "num" }, String(result.rank)),
      el("td", null, result.formulation, el("div", { class: "muted small" }, `line ${result.line}`)),
      el("td", { class: "regime" }, el("span", { class: "chip", title: result.regime.label },
        result.regime.id.replace(/^regime-/, ""))),
      el("td", { class: "num score" }, String(result.score)),
      el("td", null, perComponent(result, "mechanisms")),
      el("td", null, perComponent(result, "seiProducts")),
      el("td", { class: "small" }, result.notAssessed.length
        ? el("ul", { class: "plain" }, result.notAssessed.map((n) => el("li", null, n))) : el("span", { class: "muted" }, "—")));
    return [main, detail];
  }

  /* ---------------- one formulation's explanation ---------------- */

  function termsTable(terms, empty) {
    if (!terms.length) return el("p", { class: "muted small" }, empty);
    return el("table", { class: "results inner" },
      el("thead", null, el("tr", null, ["term", "points", "because", "criterion"].map((h) => el("th", null, h)))),
      el("tbody", null, terms.map((t) => el("tr", null, el("td", null, t.term),
        el("td", { class: "num" }, signed(t.points)),
        el("td", null, el("ul", { class: "plain" }, (t.because || []).map((b) => el("li", null, b)))),
        el("td", null, origin(t))))));
  }

  function ruled(items, what) {
    if (!items || !items.length) return null;
    return el("li", null, el("span", { class: "label" }, `${what}: `), el("ul", null, items.map((m) =>
      el("li", null, el("b", null, m.id), m.rules && m.rules.length ? ` — by ${m.rules.join(", ")}` : ""))));
  }

  function component(c) {
    const fraction = c.moleFraction !== undefined && c.moleFraction !== null ? ` · mole fraction ${c.moleFraction}` : "";
    const checks = c.diluentRequirements || [];
    return el("li", { class: "component", "data-component": c.id }, el("details", { open: true },
      el("summary", null, el("span", { class: "label" }, c.id), ` (${c.role}${c.role !== c.kind ? `, written as ${c.kind}` : ""})`,
        c.label ? el("span", { class: "muted" }, ` ${c.label}`) : null, fraction),
      el("ul", null,
        ruled(c.mechanisms, "mechanisms"), ruled(c.seiProducts, "SEI products"), ruled(c.ruleTradeoffs, "trade-offs"),
        checks.length ? el("li", null, el("span", { class: "label" }, "diluent requirements: "), el("ul", null, checks.map((q) =>
          el("li", { class: `check-${q.status}` }, el("b", null, q.status), ` — ${q.requirement}${q.necessary ? " (necessary)" : ""}: `,
            q.reason, " ", origin(q))))) : null,
        c.precedents && c.precedents.length ? el("li", null, el("details", null,
          el("summary", null, el("span", { class: "label" }, "precedents in the review"), ` (${c.precedents.length})`),
          el("ul", null, c.precedents.map((p) => el("li", null, p.design, ` as ${p.roles.join(", ")}`,
            p.mechanisms.length ? ` acting through ${p.mechanisms.join(", ")}` : "", " ", p.section ? sec(p.section) : null,
            refs(p.references)))))) : null)));
  }

  function amounts(a) {
    const value = (x, unit) => (x === null || x === undefined ? el("span", { class: "muted" }, "not computed") : `${x}${unit}`);
    const fractions = Object.entries(a.moleFractions || {});
    const densities = Object.entries(a.densitiesUsed || {});
    return [
      el("dl", { class: "kv" },
        el("dt", null, "salt molarity"), el("dd", null, value(a.saltMolarity, " mol/L")),
        el("dt", null, "salt molality"), el("dd", null, value(a.saltMolality, " mol/kg")),
        el("dt", null, "solvent : salt"), el("dd", null, value(a.solventToSalt, " mol/mol")),
        el("dt", null, "salt in the solvating solvents"), el("dd", null, value(a.localSaltMolarity, " mol/L")),
        el("dt", null, "mole fractions"), el("dd", null, fractions.length ? fractions.map(([k, v]) => `${k} ${v}`).join(" · ") : value(null))),
      densities.length ? el("table", { class: "results inner" },
        el("thead", null, el("tr", null, ["density used", "g/mL", "source"].map((h) => el("th", null, h)))),
        el("tbody", null, densities.map(([k, d]) => el("tr", null, el("td", null, k), el("td", { class: "num" }, String(d.gPerMl)),
          el("td", { class: "small" }, d.source))))) : null,
    ];
  }

  /* Every section number and reference number mentioned in a result (as the server's _collect). */
  function cited(tree, sections, references) {
    if (Array.isArray(tree)) tree.forEach((x) => cited(x, sections, references));
    else if (tree && typeof tree === "object") {
      for (const [k, v] of Object.entries(tree)) {
        if (k === "section" && typeof v === "string" && v) sections.add(v);
        else if (k === "references" && Array.isArray(v)) v.forEach((r) => references.add(r));
        else cited(v, sections, references);
      }
    }
  }

  function explanation(r) {
    const sections = new Set(), references = new Set();
    cited(r, sections, references);
    const byNumber = (a, b) => a.localeCompare(b, undefined, { numeric: true });
    return el("div", { class: "explanation", "data-line": String(r.line) },
      el("h3", null, "Regime"),
      el("p", null, el("b", null, r.regime.label), ` — ${r.regime.reason} `, origin(r.regime),
        r.regime.mechanism ? el("span", { class: "muted" }, ` (brings ${r.regime.mechanism})`) : null),
      el("h3", null, `Score ${r.score}`),
      termsTable(r.scoreBreakdown, "no score criterion holds"),
      el("h3", null, "Trade-offs"),
      termsTable(r.tradeoffs, "no trade-off criterion holds"),
      el("h3", null, "Components"),
      el("ul", { class: "tree" }, r.components.map(component)),
      el("h3", null, "Amounts"),
      amounts(r.amounts),
      el("h3", null, "Not assessed"),
      r.notAssessed.length ? el("ul", null, r.notAssessed.map((n) => el("li", null, n))) : el("p", { class: "muted small" }, "everything was judged"),
      el("h3", null, "Review sections and references"),
      el("ul", { class: "tree sources" }, [...sections].sort(byNumber).map((s) => el("li", null, sectionRef(s, sources))),
        [...references].sort((a, b) => a - b).map((n) => el("li", null, refRef(n, sources)))));
  }

  /* ---------------- running ---------------- */

  async function run(note) {
    const lines = $("formulations").value.split("\n").map((l) => l.trim()).filter(Boolean);
    $("error").hidden = true;
    if (!lines.length) {
      showError("no formulations: write one a line, or load a CSV file with a formulation column");
      return;
    }
    $("assess").disabled = true;
    $("status").textContent = `${note ? `${note}: ` : ""}assessing ${lines.length} formulation${lines.length > 1 ? "s" : ""}…`;
    const started = performance.now();
    try {
      const data = await post("/api/assess", { formulations: lines });
      sources = data.sources;
      $("assess-table").tBodies[0].replaceChildren(...data.results.flatMap(row));
      $("results-title").textContent = `${data.assessed} ranked formulation${data.assessed === 1 ? "" : "s"}`
        + (data.failed ? `, ${data.failed} not assessed` : "");
      $("results-panel").hidden = false;
      $("status").textContent = `${data.count} lines in ${((performance.now() - started) / 1000).toFixed(1)} s`;
    } catch (err) {
      showError(err.message);
    } finally {
      $("assess").disabled = false;
    }
  }

  function init() {
    $("assess").addEventListener("click", () => run());
    $("formulations").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); }
    });
    $("csv-file").addEventListener("change", loadFile);
    document.body.dataset.ready = "true";
  }

  document.addEventListener("DOMContentLoaded", init);
})();
