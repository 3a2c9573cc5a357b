/* Mechanism map: the review's Figure 2 (mechanism families, their mechanisms, the designs acting through
 * each) as an interactive graph, from GET /api/mechanism-map (built by sparql/mechanism-map.rq). */
"use strict";

(() => {
  const { api, el, drawGraph, kindChip, shorten } = LMAKG;
  const $ = (id) => document.getElementById(id);

  function sizeOf(node) {
    if (node.role === "family") return 30;
    if (node.role === "mechanism") return 20;
    return 9;
  }

  function describe(node, data) {
    const designs = data.edges.filter((e) => e.to === node.id && e.label === "actsThrough").map((e) => e.from);
    const parts = data.edges.filter((e) => e.to === node.id && e.label === "broaderMechanism").map((e) => e.from);
    const broader = data.edges.filter((e) => e.from === node.id).map((e) => e.to);
    const byId = new Map(data.nodes.map((n) => [n.id, n]));
    const link = (iri) => el("a", { href: `/graph?iri=${encodeURIComponent(iri)}` }, (byId.get(iri) || { label: shorten(iri) }).label);
    $("node-info").replaceChildren(
      el("h2", null, node.title || node.label),
      el("dl", null,
        el("dt", null, "kind"), el("dd", null, kindChip(node.kind), node.family ? " family" : ""),
        el("dt", null, "IRI"), el("dd", { class: "mono" }, node.short || shorten(node.id)),
        broader.length ? [el("dt", null, node.role === "design" ? "acts through" : "broader"), el("dd", null, broader.map((b) => [link(b), " "]))] : null,
        parts.length ? [el("dt", null, "mechanisms"), el("dd", null, parts.map((p) => [link(p), " "]))] : null,
        designs.length ? [el("dt", null, `designs (${designs.length})`), el("dd", null, el("ul", { class: "small" }, designs.map((d) => el("li", null, link(d)))))] : null),
      el("p", null, el("a", { class: "button", href: `/graph?iri=${encodeURIComponent(node.id)}` }, "Neighbourhood"),
        node.kind === "mechanism" ? [" ", el("a", { class: "button", href: `/hypotheses?mechanism=${encodeURIComponent(LMAKG.localName(node.id))}` }, "Hypotheses")] : null),
    );
  }

  async function init() {
    let data;
    try {
      data = await api("/api/mechanism-map");
    } catch (err) {
      $("error").textContent = err.message;
      $("error").hidden = false;
      return;
    }
    // Designs first get short labels on the canvas (their full names are in the tooltip and the side panel).
    const nodes = data.nodes.map((n) => Object.assign({}, n, {
      label: n.role === "design" && n.label.length > 28 ? `${n.label.slice(0, 26)}…` : n.label,
      title: n.title || n.label,
      level: n.role === "family" ? 0 : 1,
    }));
    await drawGraph($("graph"), { nodes, edges: data.edges }, {
      legend: $("legend"), sizeOf, edgeLabels: false,
      onSelect: (n) => describe(data.nodes.find((x) => x.id === n.id), data),
      onOpen: (n) => { window.location.href = `/graph?iri=${encodeURIComponent(n.id)}`; },
    });
    const families = data.nodes.filter((n) => n.role === "family").length;
    const mechanisms = data.nodes.filter((n) => n.role === "mechanism").length;
    const designs = data.nodes.filter((n) => n.role === "design").length;
    $("status").textContent = `${families} families, ${mechanisms} mechanisms, ${designs} designs`;
    $("legend").append(el("span", { class: "item muted" }, "size: family > mechanism > design; arrows: design → mechanism → family"));
    $("node-count").textContent = String(data.nodes.length);
    $("node-list").replaceChildren(...data.nodes.map((n) => el("li", { "data-id": n.id, "data-role": n.role },
      el("button", { class: "link", onclick: () => { window.lmakgNetwork.selectNodes([n.id]); window.lmakgNetwork.focus(n.id, { scale: 1.2 }); describe(n, data); } },
        n.label), " ", el("span", { class: "muted" }, n.role), n.designCount ? el("span", { class: "muted" }, ` · ${n.designCount} designs`) : null)));
    $("map-query").textContent = data.query;
    $("open-in-editor").setAttribute("href", `/?query=${encodeURIComponent(data.query)}`);
    document.body.dataset.ready = "true";
  }

  document.addEventListener("DOMContentLoaded", init);
})();
