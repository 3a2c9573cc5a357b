/* Hypothesis browser: the ranked list (GET /api/hypotheses), a mechanism filter, and each hypothesis's
 * explanation tree (GET /api/hypothesis): family -> mechanism -> evidence (review designs, rules with their
 * principles, and on demand the rule derivation from GET /api/why) -> review sections and references. */
"use strict";

(() => {
  const { api, el } = LMAKG;
  const $ = (id) => document.getElementById(id);
  let all = [];
  let current = null;

  /* ---------------- list ---------------- */

  function renderList() {
    const mechanism = $("mechanism").value;
    const novelOnly = $("novel-only").checked;
    const shown = all.filter((h) => (!mechanism || h.mechanisms.includes(mechanism) || h.families.includes(mechanism))
      && (!novelOnly || h.novel));
    $("count").textContent = `${shown.length} of ${all.length} hypotheses`;
    $("hyp-list").replaceChildren(...shown.map((h) => el("li", null, el("button", {
      "data-id": h.id, "aria-pressed": String(current === h.id), onclick: () => open(h.id, true),
      title: h.label,
    }, el("span", { class: "rank" }, `${h.rank}.`),
       el("span", { class: "hlabel" }, h.components.join(" + "), " ",
         h.novel ? el("span", { class: "chip novel" }, "novel") : null,
         el("br"), h.families.map((f) => el("span", { class: "chip" }, f))),
       el("span", { class: "score" }, h.score.toFixed(2))))));
  }

  /* ---------------- sources ---------------- */

  const sectionItem = LMAKG.sectionRef;
  const refItem = LMAKG.refRef;

  function refsInline(refs) {
    return (refs || []).map((r) => el("span", { class: "ref", "data-ref": String(r) }, ` [${r}]`));
  }

  function nodeLink(localName, iris) {
    const iri = iris[localName];
    return iri ? el("a", { href: `/graph?iri=${encodeURIComponent(iri)}` }, localName) : el("span", null, localName);
  }

  function group(title, items, openIt) {
    if (!items.length) return null;
    return el("li", null, el("details", { open: openIt || null },
      el("summary", null, el("span", { class: "label" }, title), ` (${items.length})`),
      el("ul", null, items.map((x) => (x instanceof HTMLLIElement ? x : el("li", null, x))))));
  }

  /* ---------------- derivation trees (lmakg why) ---------------- */

  function statementItem(node, sources, depth) {
    const status = node.status;
    const src = node.source || {};
    const head = [el("span", { class: "mono" }, node.statement.join(" ")), " ",
      el("span", { class: `status-${status === "ontology" ? "asserted" : status} small` }, status),
      (src.sections || []).map((s) => [" ", el("span", { class: "section-ref", "data-section": s }, `§${s}`)]),
      refsInline(src.references), src.external ? el("span", { class: "cite" }, ` ${src.external}`) : null];
    const derivations = node.derivations || [];
    if (!derivations.length) return el("li", null, head);
    return el("li", null, el("details", { open: depth < 1 || null }, el("summary", null, head),
      el("ul", null, derivations.map((d) => derivationItem(d, sources, depth + 1)))));
  }

  function derivationItem(d, sources, depth) {
    const head = d.rule
      ? [el("span", { class: "label" }, `rule ${d.rule}`), d.confidence !== undefined ? ` (${d.confidence})` : "",
         `: ${d.label}`, d.principle ? ` — principle ${d.principleLabel || d.principle}` : "",
         d.section ? [" ", el("span", { class: "section-ref", "data-section": d.section }, `§${d.section}`)] : null]
      : [d.agent || "derivation"];
    if (d.seeAbove) return el("li", { class: "muted" }, head, " (expanded above)");
    return el("li", null, el("details", { open: depth < 2 || null }, el("summary", null, head),
      el("ul", null, (d.premises || []).map((p) => statementItem(p, sources, depth + 1)))));
  }

  async function loadWhy(button, iri, mechanism) {
    const holder = button.parentElement;
    button.disabled = true;
    button.textContent = "loading…";
    try {
      const tree = await api("/api/why", { iri, mechanism });
      const items = [];
      if (tree.reportedByReview.length) {
        items.push(el("li", null, el("span", { class: "label" }, "reported by the review: "),
          tree.reportedByReview.map((r) => [r.design, " ", el("span", { class: "section-ref", "data-section": r.section }, `§${r.section}`),
            refsInline(r.references), "; "])));
      }
      if ((tree.reportedByUser || []).length) {
        items.push(el("li", null, el("span", { class: "label" }, "claimed in users' additions (not the review): "),
          tree.reportedByUser.map((r) => [r.design, " (user: ", r.user, "); "])));
      }
      items.push(el("li", null, el("span", { class: "label" }, "derivation: "), el("ul", null, statementItem(tree.predicted, tree.sources, 0))));
      if (tree.ruledOut) {
        items.push(el("li", null, el("span", { class: "label status-absent" }, "ruled out: "), el("ul", null, statementItem(tree.ruledOut, tree.sources, 0))));
      }
      button.replaceWith(el("ul", { class: "why" }, items));
    } catch (err) {
      button.replaceWith(el("span", { class: "status-absent small" }, err.message));
    }
    holder.dataset.loaded = "true";
  }

  function evidenceItem(e, data) {
    if (e.kind === "review") {
      return el("li", { class: "evidence review" }, el("span", { class: "label" }, "review: "),
        "reported in ", (e.designs || []).map((d) => [nodeLink(d, data.iris), " "]),
        e.section ? el("span", { class: "section-ref", "data-section": e.section }, `§${e.section}`) : null,
        refsInline(e.references), el("span", { class: "muted small" }, ` weight ${e.weight}`));
    }
    if (e.kind === "user") {  // a design from a user's addition: the user's claim, never the review's
      return el("li", { class: "evidence user" }, el("span", { class: "label" }, `${e.via || "user"}: `),
        "claimed in ", (e.designs || []).map((d) => [nodeLink(d, data.iris), " "]),
        el("span", { class: "muted small" }, ` weight ${e.weight}`));
    }
    const subject = e.via ? data.iris[e.via] : (data.components.length === 1 ? data.iris[data.components[0].id] : null);
    const why = subject && e.derivation
      ? el("button", { class: "link", onclick: (ev) => loadWhy(ev.target, subject, e.mechanism) }, "show derivation")
      : null;
    return el("li", { class: "evidence rule" },
      el("span", { class: "label" }, `rule ${e.rule}`), ` (${e.weight}): ${e.ruleLabel || ""}`,
      e.principle ? el("span", null, ` — principle: ${e.principleLabel || e.principle}`) : null,
      e.section ? [" ", el("span", { class: "section-ref", "data-section": e.section }, `§${e.section}`)] : null,
      e.via ? el("span", { class: "muted" }, ` via ${e.via}`) : null,
      e.designs && e.designs.length ? [" · designs ", e.designs.map((d) => [nodeLink(d, data.iris), " "])] : null,
      refsInline(e.references), " ", why);
  }

  function explanationTree(data) {
    const tree = el("ul", { class: "tree", id: "explanation" });
    for (const info of data.explanations) {
      const mechanisms = data.perMechanism.filter((m) => m.family === info.family);
      tree.append(el("li", { class: "family", "data-family": info.family }, el("details", { open: true },
        el("summary", null, el("span", { class: "label" }, info.family),
          ` — strength ${info.strength}${info.counted ? "" : " (abstains)"}, ${info.evidenceCount} evidence, `,
          info.reportedByReview ? "reported by the review" : "predicted by the rules"),
        el("ul", null, mechanisms.map((m) => {
          const evidence = info.evidence.filter((e) => e.mechanism === m.mechanism);
          return el("li", { class: "mechanism", "data-mechanism": m.mechanism }, el("details", { open: true },
            el("summary", null, el("span", { class: "label" }, m.mechanism), ` — ${m.evidenceCount} evidence`),
            el("ul", null,
              group("Evidence", evidence.map((e) => evidenceItem(e, data)), true),
              group("Rules", m.rules, false),
              group("Principles", m.principles, false),
              group("Review sections", m.sections.map((s) => sectionItem(s, data.sources)), true),
              group("Supporting designs", m.supportingDesigns.map((d) => nodeLink(d, data.iris)), false),
              group("References", m.references.map((r) => refItem(r, data.sources)), true))));
        })))));
    }
    return tree;
  }

  /* ---------------- detail ---------------- */

  async function open(id, push) {
    current = id;
    for (const b of document.querySelectorAll("#hyp-list button")) b.setAttribute("aria-pressed", String(b.dataset.id === id));
    const detail = $("detail");
    detail.replaceChildren(el("p", { class: "muted" }, "Loading…"));
    let data;
    try {
      data = await api("/api/hypothesis", { id });
    } catch (err) {
      detail.replaceChildren(el("div", { class: "error", role: "alert" }, err.message));
      return;
    }
    if (push) history.replaceState(null, "", `/hypotheses?id=${encodeURIComponent(id)}`);
    detail.replaceChildren(
      el("h1", null, data.label),
      el("dl", { class: "kv" },
        el("dt", null, "rank"), el("dd", null, `${data.rank} of ${all.length}`),
        el("dt", null, "score"), el("dd", null, String(data.score)),
        el("dt", null, "kind"), el("dd", null, data.kind, data.pattern ? ` (pattern ${data.pattern})` : ""),
        el("dt", null, "status"), el("dd", null, data.novel ? el("span", { class: "chip novel" }, "novel") : "already reported by the review"),
        el("dt", null, "families"), el("dd", null, data.families.map((f) => el("span", { class: "chip" }, f))),
        el("dt", null, "mechanisms"), el("dd", null, data.mechanisms.join(", "))),
      el("h2", null, "Components"),
      el("div", { class: "table-wrap" }, el("table", { class: "results" },
        el("thead", null, el("tr", null, ["component", "role", "SMILES", "InChIKey"].map((c) => el("th", null, c)))),
        el("tbody", null, data.components.map((c) => el("tr", null,
          el("td", null, nodeLink(c.id, data.iris), c.label && c.label !== c.id ? el("span", { class: "muted" }, ` ${c.label}`) : null),
          el("td", null, c.role || "proposed by the pattern"),
          el("td", { class: "mono" }, c.smiles || ""), el("td", { class: "mono" }, c.inchiKey || "")))))),
      el("h2", null, "Explanation"),
      explanationTree(data),
      data.tradeoffs.length ? el("h2", null, "Trade-offs") : null,
      data.tradeoffs.length ? el("ul", null, data.tradeoffs.map((t) => el("li", null, el("span", { class: "label" }, t.label),
        t.statement ? `: ${t.statement}` : "", t.section ? [" ", el("span", { class: "section-ref" }, `§${t.section}`)] : null,
        refsInline(t.references)))) : null,
      data.excluded.length ? el("h2", null, "Excluded mechanisms") : null,
      data.excluded.length ? el("ul", null, data.excluded.map((x) => el("li", null, `${x.mechanism}: ${x.reason}`))) : null,
    );
    detail.dataset.hypothesis = id;
  }

  async function init() {
    try {
      const data = await api("/api/hypotheses");
      all = data.hypotheses;
      $("mechanism").append(...data.mechanisms.map((m) => el("option", { value: m }, m)));
    } catch (err) {
      $("count").replaceChildren(el("span", { class: "error" }, err.message));
      return;
    }
    const params = new URLSearchParams(window.location.search);
    if (params.get("mechanism")) $("mechanism").value = params.get("mechanism");
    $("mechanism").addEventListener("change", renderList);
    $("novel-only").addEventListener("change", renderList);
    renderList();
    if (params.get("id")) await open(params.get("id"), false);
    document.body.dataset.ready = "true";
  }

  document.addEventListener("DOMContentLoaded", init);
})();
