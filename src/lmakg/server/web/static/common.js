/* lmakg workbench: helpers shared by every page (JSON API calls, DOM building, graph drawing with the
 * vendored vis-network). No framework, no build step, nothing loaded from outside this server. */
"use strict";

const LMAKG = (() => {
  /* Node kinds in legend order and their colours, from the server (GET /api/kinds: the same as
   * `lmakg viz` draws); loaded once, on first use. */
  const colours = {};
  let kindOrder = [];
  let kindsLoading = null;
  function loadKinds() {
    if (!kindsLoading) {
      kindsLoading = api("/api/kinds").then((data) => {
        kindOrder = data.kinds.map((k) => k.kind);
        for (const k of data.kinds) colours[k.kind] = k.colour;
      });
    }
    return kindsLoading;
  }
  const colourOf = (kind) => colours[kind] || colours.other || "#e0e0e0";

  /* The project prefixes (lmakg.vocab.PREFIXES), written into every page by the server (lmakg.workbench). */
  const PREFIXES = JSON.parse(document.getElementById("lmakg-prefixes").textContent);

  function shorten(iri) {
    let best = null;
    for (const [p, ns] of Object.entries(PREFIXES)) {
      if (iri.startsWith(ns) && (!best || ns.length > PREFIXES[best].length)) best = p;
    }
    return best ? `${best}:${iri.slice(PREFIXES[best].length)}` : iri;
  }

  function localName(iri) {
    const cut = Math.max(iri.lastIndexOf("#"), iri.lastIndexOf("/"));
    return cut >= 0 ? iri.slice(cut + 1) : iri;
  }

  /* GET a JSON API path; throws an Error carrying the server's message on any non-2xx answer. */
  async function api(path, params) {
    const url = new URL(path, window.location.origin);
    for (const [k, v] of Object.entries(params || {})) {
      for (const item of Array.isArray(v) ? v : [v]) url.searchParams.append(k, item);
    }
    return answer(await fetch(url, { headers: { "Accept": "application/json" } }));
  }

  /* POST a JSON body to an API path (e.g. /api/assess); errors as for api(). */
  async function post(path, data) {
    return answer(await fetch(new URL(path, window.location.origin), {
      method: "POST", body: JSON.stringify(data),
      headers: { "Accept": "application/json", "Content-Type": "application/json" },
    }));
  }

  async function answer(response) {
    const text = await response.text();
    let data = null;
    try { data = JSON.parse(text); } catch (_) { /* not JSON */ }
    if (!response.ok) {
      throw new Error((data && data.error) || text || `HTTP ${response.status}`);
    }
    return data;
  }

  /* el("div", {class: "x", onclick: f}, child, "text", ...) */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function kindChip(kind) {
    return el("span", { class: "chip kind", style: `background:${colourOf(kind)}` }, kind);
  }

  function legend(container, kinds) {
    container.replaceChildren();
    const present = kindOrder.filter((k) => kinds.has(k));
    for (const kind of present) {
      container.append(el("span", { class: "item", "data-kind": kind },
        el("i", { style: `background:${colourOf(kind)}` }), kind));
    }
  }

  /* Draw nodes [{id,label,title,kind,...}] and edges [{from,to,label}] with vis-network. Physics runs until
   * the layout stabilises, then is switched off so large graphs stay usable (drag moves one node only).
   * Returns the vis.Network; container.dataset.stabilized becomes "true" once physics has stopped. */
  /* vis-network (650 kB) is loaded only by pages that draw graphs; the query page fetches it on demand. */
  let visLoading = null;
  function loadVis() {
    if (window.vis) return Promise.resolve();
    if (!visLoading) {
      visLoading = new Promise((resolve, reject) => {
        const script = el("script", { src: "/static/vendor/vis-network.min.js" });
        script.onload = resolve;
        script.onerror = () => reject(new Error("could not load /static/vendor/vis-network.min.js"));
        document.head.append(script);
      });
    }
    return visLoading;
  }

  async function drawGraph(container, data, options) {
    await Promise.all([loadKinds(), loadVis()]);
    const opts = Object.assign({ legend: null, onSelect: null, onOpen: null, sizeOf: null, edgeLabels: null }, options);
    const kinds = new Set();
    const nodes = data.nodes.map((n) => {
      const kind = n.kind || "other";
      kinds.add(kind);
      const colour = colourOf(kind);
      const size = opts.sizeOf ? opts.sizeOf(n) : (n.level === 0 ? 22 : 13);
      return {
        id: n.id, label: n.label, title: `${n.title || n.label}\n${kind} · ${n.short || shorten(n.id)}`,
        shape: "dot", size,
        color: { background: colour, border: "#3a3f47", highlight: { background: colour, border: "#000" } },
        borderWidth: n.level === 0 ? 3 : 1,
        font: { size: size >= 20 ? 16 : 13, color: "#1d2330", strokeWidth: 3, strokeColor: "#ffffff" },
        widthConstraint: { maximum: 170 },
        raw: n,
      };
    });
    const showEdgeLabels = opts.edgeLabels !== null ? opts.edgeLabels : data.edges.length <= 120;
    const edges = data.edges.map((e, i) => ({
      id: `e${i}`, from: e.from, to: e.to, title: e.label,
      label: showEdgeLabels ? e.label : undefined,
      arrows: { to: { enabled: true, scaleFactor: 0.5 } },
      color: { color: "#9aa3b2", highlight: "#2f5d9b" },
      font: { size: 10, color: "#5b6475", strokeWidth: 2, align: "middle" },
      smooth: false,
    }));
    if (opts.legend) legend(opts.legend, kinds);
    container.dataset.stabilized = "false";
    container.dataset.nodeCount = String(nodes.length);
    const network = new vis.Network(container, { nodes: new vis.DataSet(nodes), edges: new vis.DataSet(edges) }, {
      autoResize: true,
      physics: {
        enabled: true,
        solver: "forceAtlas2Based",
        forceAtlas2Based: { gravitationalConstant: -60, springLength: 110, springConstant: 0.06, avoidOverlap: 0.4 },
        stabilization: { enabled: true, iterations: 250, updateInterval: 100, fit: true },
        maxVelocity: 60, minVelocity: 1.0,
      },
      interaction: { hover: true, tooltipDelay: 150, navigationButtons: false, keyboard: false, multiselect: false },
      layout: { improvedLayout: nodes.length <= 150, randomSeed: 7 },
    });
    const stop = () => {
      network.setOptions({ physics: { enabled: false } });
      container.dataset.stabilized = "true";
    };
    network.once("stabilizationIterationsDone", () => { stop(); network.fit({ animation: false }); });
    network.once("stabilized", stop);
    if (opts.onSelect) {
      network.on("selectNode", (params) => {
        const node = network.body.data.nodes.get(params.nodes[0]);
        if (node) opts.onSelect(node.raw);
      });
    }
    if (opts.onOpen) {
      network.on("doubleClick", (params) => {
        if (params.nodes.length) opts.onOpen(network.body.data.nodes.get(params.nodes[0]).raw);
      });
    }
    window.lmakgNetwork = network;
    return network;
  }

  /* Side panel describing one node, with a link to its neighbourhood. */
  function nodeInfo(container, node) {
    container.replaceChildren(
      el("h2", null, node.label),
      el("dl", null,
        el("dt", null, "kind"), el("dd", null, kindChip(node.kind || "other")),
        node.title && node.title !== node.label ? [el("dt", null, "name"), el("dd", null, node.title)] : null,
        el("dt", null, "IRI"), el("dd", { class: "mono" }, node.short || shorten(node.id)),
      ),
      el("p", null, el("a", { class: "button", href: `/graph?iri=${encodeURIComponent(node.id)}` }, "Neighbourhood")),
    );
  }

  /* "§4.1" and "[115]" with the section's title and the reference's citation from an API answer's
   * `sources` ({sections: {number: title}, references: {number: citation}}). */
  function sectionRef(number, sources) {
    const title = ((sources && sources.sections[number]) || "").replace(/^[\d.]+\s*/, "");
    return el("span", { class: "section-ref", "data-section": number }, `§${number}`,
      title ? el("span", { class: "cite" }, ` ${title}`) : null);
  }

  function refRef(number, sources) {
    const citation = (sources && sources.references[String(number)]) || "";
    return el("span", { class: "ref", "data-ref": String(number) }, `[${number}]`,
      citation ? el("span", { class: "cite" }, ` ${citation}`) : null);
  }

  return { loadKinds, shorten, localName, api, post, el, kindChip, legend, drawGraph, nodeInfo, sectionRef, refRef };
})();
