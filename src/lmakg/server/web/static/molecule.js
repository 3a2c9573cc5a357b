/* Molecule page: a SMILES (with optional name, role and concentration) sent to GET /api/predict; shows the
 * structure as RDKit drew it and what the rules predict: mechanisms with the rules that concluded them, SEI
 * products, trade-offs, mechanisms ruled out, derived values, the hypotheses it joins, what was not assessed.
 * The drawing is shown through an <img> with a data: URL, so nothing in it can run or load anything. */
"use strict";

(() => {
  const { api, el, shorten } = LMAKG;
  const $ = (id) => document.getElementById(id);
  const FIELDS = ["smiles", "name", "role", "concentration", "unit"];

  function showError(message) {
    $("error").textContent = message;
    $("error").hidden = false;
    $("status").textContent = "";
  }

  function section(title, items) {
    return [el("h2", null, title), items.length ? el("ul", null, items) : el("p", { class: "muted small" }, "none")];
  }

  function render(data, labels) {
    const name = (x) => (labels[x] && labels[x] !== x ? [el("b", null, labels[x]), el("span", { class: "muted" }, ` (${x})`)] : el("b", null, x));
    const known = !data.species.includes("/user/");
    const picture = el("img", { class: "depiction", id: "depiction", width: "420", height: "300",
      alt: `2-D structure of ${data.input.smiles}, drawn by RDKit`,
      src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(data.depiction)}` });
    $("result").replaceChildren(el("div", { class: "prediction" },
      el("h1", null, data.input.name || data.input.smiles),
      el("div", { class: "molecule-head" }, el("figure", null, picture, el("figcaption", { class: "muted small" }, "drawn by RDKit")),
        el("dl", { class: "kv" },
          el("dt", null, "SMILES"), el("dd", { class: "mono" }, data.input.smiles),
          el("dt", null, "in the graph"), el("dd", null, known
            ? el("a", { href: `/graph?iri=${encodeURIComponent(data.species)}` }, shorten(data.species))
            : "no: a new species, judged by its structure"),
          el("dt", null, "role"), el("dd", null, data.input.role + (data.input.concentration ? ` at ${data.input.concentration} mol/L` : "")),
          el("dt", null, "InChIKey"), el("dd", { class: "mono" }, data.inchiKey),
          el("dt", null, "formal charge"), el("dd", null, String(data.formalCharge)),
          el("dt", null, "elements"), el("dd", null, data.elements.join(", ")),
          el("dt", null, "functional groups"), el("dd", null, data.features.join(", ") || "—"),
          el("dt", null, "F mass fraction"), el("dd", null, String(data.fMassFraction)))),
      section("Mechanisms", data.mechanisms.map((m) => el("li", { class: "mechanism", "data-mechanism": m.id },
        name(m.id), ` of ${m.of} — by rule${m.rules.length > 1 ? "s" : ""} ${m.rules.join(", ")}`,
        m.supportingDesigns.length ? el("div", { class: "muted small" }, "review designs acting through it: ",
          m.supportingDesigns.map((d) => `${d.design} [${d.references.join(", ")}]`).join("; ")) : null))),
      section("SEI products it forms", data.forms.map((f) => el("li", null, name(f)))),
      section("Trade-offs", data.conflicts.map((c) => el("li", null, name(c)))),
      data.ruledOut.length ? section("Ruled out", data.ruledOut.map((r) => el("li", null, `${r.mechanism} for ${r.species}`))) : null,
      data.derived.length ? section("Derived values", data.derived.map((d) =>
        el("li", null, `${d.kind} of ${d.of} = ${d.value} ${d.unit} (${d.rule})`))) : null,
      section("Hypotheses it joins", (data.hypotheses || []).map((h) => el("li", null,
        el("a", { href: `/hypotheses?id=${encodeURIComponent(h.id)}` }, h.id), ` — ${h.families.join(" + ")}, score ${h.score}`))),
      section("Not assessed", data.notAssessed.map((n) => el("li", null, n)))));
  }

  async function predict() {
    const params = {};
    for (const f of FIELDS) {
      const value = $(f).value.trim();
      if (value) params[f] = value;
    }
    if (!params.concentration) delete params.unit;
    $("error").hidden = true;
    if (!params.smiles) {
      showError("give a SMILES");
      return;
    }
    $("predict").disabled = true;
    $("status").textContent = "predicting…";
    try {
      const data = await api("/api/predict", params);
      render(data, data.labels || {});
      history.replaceState(null, "", `/molecule?${new URLSearchParams(params)}`);
      $("status").textContent = "";
    } catch (err) {
      showError(err.message);
    } finally {
      $("predict").disabled = false;
    }
  }

  async function init() {
    $("molecule-form").addEventListener("submit", (e) => { e.preventDefault(); predict(); });
    for (const b of document.querySelectorAll("button[data-smiles]")) {
      b.addEventListener("click", () => {
        $("smiles").value = b.dataset.smiles;
        $("name").value = b.dataset.name || "";
        $("role").value = b.dataset.role || "additive";
        predict();
      });
    }
    const params = new URLSearchParams(window.location.search);
    for (const f of FIELDS) if (params.get(f)) $(f).value = params.get(f);
    if (params.get("smiles")) await predict();
    document.body.dataset.ready = "true";
  }

  document.addEventListener("DOMContentLoaded", init);
})();
