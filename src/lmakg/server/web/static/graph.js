/* Graph page: the neighbourhood of any node (GET /api/neighbourhood), found by name (GET /api/lookup). */
"use strict";

(() => {
  const { api, el, drawGraph, nodeInfo, kindChip, loadKinds } = LMAKG;
  const $ = (id) => document.getElementById(id);

  function showError(message) { $("error").textContent = message; $("error").hidden = !message; }
  function setStatus(text) { $("status").textContent = text; }

  async function show(iri, depth, push) {
    showError("");
    setStatus("Loading…");
    try {
      const data = await api("/api/neighbourhood", { iri, depth });
      const center = data.nodes.find((n) => n.id === data.center);
      $("search").value = center ? center.label : iri;
      await drawGraph($("graph"), data, {
        legend: $("legend"),
        onSelect: (n) => nodeInfo($("node-info"), n),
        onOpen: (n) => show(n.id, $("depth").value, true),
      });
      if (center) nodeInfo($("node-info"), center);
      setStatus(`${data.nodes.length} nodes, ${data.edges.length} edges${data.truncated ? " (truncated: raise the limit or lower the depth)" : ""}`);
      document.title = `lmakg workbench · ${center ? center.label : "Graph"}`;
      if (push) history.pushState({ iri, depth }, "", `/graph?iri=${encodeURIComponent(iri)}&depth=${depth}`);
    } catch (err) {
      setStatus("");
      showError(err.message);
    }
  }

  async function search(text) {
    const found = await api("/api/lookup", { q: text });
    await loadKinds();
    const list = $("matches");
    $("matches-panel").hidden = found.matches.length <= 1;
    list.replaceChildren(...found.matches.map((m) => el("li", null,
      el("button", { class: "link", onclick: () => show(m.id, $("depth").value, true) }, m.label), " ", kindChip(m.kind))));
    if (!found.matches.length) {
      showError(`No node is called "${text}".`);
      return;
    }
    await show(found.matches[0].id, $("depth").value, true);
  }

  function init() {
    $("search-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const text = $("search").value.trim();
      if (text) search(text).catch((err) => showError(err.message));
    });
    let timer = null;
    $("search").addEventListener("input", (e) => {
      clearTimeout(timer);
      const text = e.target.value.trim();
      if (text.length < 2) return;
      timer = setTimeout(async () => {
        try {
          const found = await api("/api/lookup", { q: text });
          $("suggestions").replaceChildren(...found.matches.map((m) => el("option", { value: m.label }, m.title)));
        } catch (_) { /* suggestions are optional */ }
      }, 200);
    });
    window.addEventListener("popstate", (e) => { if (e.state) show(e.state.iri, e.state.depth, false); });
    const params = new URLSearchParams(window.location.search);
    const depth = params.get("depth") || "1";
    $("depth").value = ["1", "2", "3"].includes(depth) ? depth : "1";
    if (params.get("iri")) show(params.get("iri"), $("depth").value, false);
    else if (params.get("q")) search(params.get("q")).catch((err) => showError(err.message));
    document.body.dataset.ready = "true";
  }

  document.addEventListener("DOMContentLoaded", init);
})();
