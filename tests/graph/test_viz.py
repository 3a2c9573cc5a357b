"""Drawings (lmakg.graph.viz, `lmakg viz`): each file is what it claims, offline, and legible.

The HTML is opened in headless Chromium where /usr/bin/chromium exists: the page must lay the graph out,
stop the physics (it sets ``data-stabilized="true"`` on <body> when it has) and paint the nodes in their
kind's colour on the canvas.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from importlib import resources as importlib_resources
from pathlib import Path

import networkx as nx
import pytest

from lmakg.graph import viz
from lmakg.graph.projection import KINDS

LMA = "https://w3id.org/lmakg/ontology#"
LMK = "https://w3id.org/lmakg/kg/"
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def mechanisms(knowledge):
    return viz.mechanisms_view(knowledge)


@pytest.fixture(scope="module")
def cs_view(knowledge):
    """Section 2.2's Cs+ additive and what surrounds it."""
    return viz.node_view(knowledge, "Cs+")


@pytest.fixture(scope="module")
def mechanisms_html(mechanisms, tmp_path_factory):
    return mechanisms.save(tmp_path_factory.mktemp("html") / "mechanisms.html")


@pytest.fixture()
def fast_cli(monkeypatch, knowledge):
    monkeypatch.setattr("lmakg.chemistry.materialize.open_knowledge", lambda store=None, reason=True: knowledge)


def test_every_kind_has_a_colour():
    assert set(viz.KIND_COLOURS) == set(KINDS)
    assert len(set(viz.KIND_COLOURS.values())) == len(KINDS)


# -- HTML -----------------------------------------------------------------------------------------

def _graph_data(text: str) -> dict:
    match = re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', text, re.S)
    assert match
    return json.loads(match.group(1))


def test_html_is_standalone_and_offline(mechanisms, mechanisms_html):
    text = mechanisms_html.read_text(encoding="utf-8")
    library = (importlib_resources.files("lmakg.server") / "web" / "static" / "vendor" / "vis-network.min.js") \
        .read_text(encoding="utf-8")
    assert library in text  # inlined, not linked
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=", text, re.I)
    assert "stabilizationIterationsDone" in text and "physics: false" in text
    data = _graph_data(text)
    assert {n["id"] for n in data["nodes"]} == set(mechanisms.graph)
    shielding = next(n for n in data["nodes"] if n["id"] == LMA + "ElectrostaticShielding")
    assert shielding["kind"] == "mechanism" and shielding["iri"] == LMA + "ElectrostaticShielding"
    assert shielding["color"]["background"] == viz.KIND_COLOURS["mechanism"]
    assert [e["text"] for e in data["legend"]] == ["mechanism", "design", "species"]
    assert {e["label"] for e in data["edges"]} == {"actsThrough", "broaderMechanism"}
    assert len(data["edges"]) == mechanisms.graph.number_of_edges()


def test_html_escapes_hostile_labels():
    graph = nx.MultiDiGraph()
    graph.add_node("urn:a", label="</script><script>alert(1)</script>", short="</script>", kind="species", iri="urn:a")
    graph.add_node("urn:b", label="b & c", short="b", kind="outcome", iri="urn:b")
    graph.add_edge("urn:a", "urn:b", key="x", label="x", predicate="urn:x", graph="asserted")
    text = viz.view(graph, title="<b>title</b>").html()
    assert "<script>alert(1)" not in text and "<b>title</b>" not in text
    assert "&lt;b&gt;title&lt;/b&gt;" in text
    assert _graph_data(text)["nodes"][0]["fullLabel"] == "</script><script>alert(1)</script>"


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (installed by .ci/run)")
def test_html_renders_in_chromium(cs_view, tmp_path):
    from PIL import Image

    url = cs_view.save(tmp_path / "cs.html").resolve().as_uri()
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--window-size=1200,900", "--virtual-time-budget=30000"]
    dom = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True).stdout
    assert '<body data-stabilized="true"' in dom  # laid out, physics switched off
    assert "<canvas" in dom
    assert re.search(r"\d+ nodes, \d+ edges; layout settled", dom)
    shot = tmp_path / "shot.png"
    subprocess.run([*flags, f"--screenshot={shot}", url], capture_output=True, timeout=120, check=True)
    image = Image.open(shot).convert("RGB")
    graph_area = image.crop((0, 100, image.width, image.height))  # below the header and its legend
    colours = {rgb for _, rgb in graph_area.getcolors(maxcolors=1 << 20)}

    def painted(hex_colour: str) -> bool:
        want = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
        return any(sum(abs(a - b) for a, b in zip(rgb, want, strict=True)) < 12 for rgb in colours)

    for kind in ("mechanism", "design", "species"):
        assert painted(viz.KIND_COLOURS[kind]), kind


def test_jupyter_reprs(cs_view):
    frame = cs_view._repr_html_()
    assert frame.startswith("<iframe srcdoc=\"") and 'sandbox="allow-scripts"' in frame
    srcdoc = re.match(r'<iframe srcdoc="(.*?)" ', frame, re.S).group(1)
    assert html.unescape(srcdoc) == cs_view.html()
    assert "<svg" in cs_view._repr_svg_()


# -- SVG / PNG ------------------------------------------------------------------------------------

def test_svg_has_every_label_as_text(mechanisms, tmp_path):
    path = mechanisms.save(tmp_path / "mechanisms.svg")
    root = ET.parse(path).getroot()
    assert root.tag == SVG + "svg"
    texts = {"".join(t.itertext()) for t in root.iter(SVG + "text")}
    for node, data in mechanisms.graph.nodes(data=True):
        for line in viz.static_label(data).split("\n"):
            assert line in texts, (node, line)
    shielding = mechanisms.graph.nodes[LMA + "ElectrostaticShielding"]
    assert " ".join(viz.static_label(shielding).split("\n")) == "electrostatic shielding"  # section 2.2
    assert "Cs+" in texts
    assert {"mechanism", "design", "species", "unlabelled edges: actsThrough"} <= texts  # legend
    assert "broaderMechanism" in texts  # the edge labels that are not the common one
    assert any(t.startswith("Mechanism map of the review (Figure 2)") for t in texts)


def test_png_is_a_png_of_sensible_size(cs_view, tmp_path):
    data = cs_view.save(tmp_path / "cs.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert 800 <= width <= 6000 and 600 <= height <= 6000, (width, height)


def test_declutter_separates_overlapping_labels():
    boxes = {"a": (30.0, 10.0, 5.0), "b": (30.0, 10.0, 5.0), "c": (30.0, 10.0, 5.0)}
    pos = viz._declutter({"a": (0.0, 0.0), "b": (0.0, 0.0), "c": (1.0, 1.0)}, boxes, (400.0, 300.0))
    span = [max(p[i] for p in pos.values()) - min(p[i] for p in pos.values()) for i in (0, 1)]
    scale = [400.0 / (span[0] * 1.12), 300.0 / (span[1] * 1.12)]
    a, b = pos["a"], pos["b"]
    assert abs(a[0] - b[0]) * scale[0] >= 60 - 1e-6 or abs(a[1] - b[1]) * scale[1] >= 20 - 1e-6


# -- views ----------------------------------------------------------------------------------------

def test_node_view(cs_view):
    graph = cs_view.graph
    assert LMK + "Cs-cation" in graph and LMK + "design-Cs-electrostatic-shield" in graph
    assert LMA + "ElectrostaticShielding" in graph  # Cs+ acts through shielding (section 2.2)
    assert cs_view.title == "Neighbourhood of caesium cation (depth 1)"


def test_hypothesis_view(knowledge):
    from lmakg.hypotheses.generate import generate

    hypothesis = next(h for h in generate(knowledge) if h.id == "H-FEC")
    drawing = viz.hypothesis_view(knowledge, "FEC")  # the H- prefix may be left out
    graph = drawing.graph
    data = hypothesis.as_dict()
    assert LMK + "FEC" in graph
    for item in data["perMechanism"]:
        assert LMA + item["mechanism"] in graph
        for design in item["supportingDesigns"]:
            assert graph.has_edge(LMK + design, LMA + item["mechanism"])
    kinds = {d["kind"] for _, d in graph.nodes(data=True)}
    assert {"hypothesis", "species", "mechanism", "design", "section", "reference"} <= kinds
    with pytest.raises(viz.VizError, match="no hypothesis 'H-nothing'"):
        viz.hypothesis_view(knowledge, "H-nothing")


def test_query_view(knowledge, tmp_path):
    named = viz.query_view(knowledge, "shielding-cations")
    assert LMK + "Cs-cation" in named.graph  # section 2.2's shielding cation
    query = tmp_path / "shielding.rq"
    query.write_text("SELECT ?d WHERE { ?d lma:actsThrough lma:ElectrostaticShielding }", encoding="utf-8")
    from_file = viz.query_view(knowledge, str(query))
    assert LMK + "design-Cs-electrostatic-shield" in from_file.graph
    with pytest.raises(viz.VizError, match="closest"):
        viz.query_view(knowledge, "shielding-cation")
    with pytest.raises(viz.VizError, match="no such query file"):
        viz.query_view(knowledge, str(tmp_path / "missing.rq"))


def test_bad_output_writes_nothing(cs_view, tmp_path):
    with pytest.raises(viz.VizError, match=r"unknown output type '\.pdf'"):
        cs_view.save(tmp_path / "x.pdf")
    with pytest.raises(viz.VizError, match="empty"):
        viz.view(nx.MultiDiGraph(), "nothing").save(tmp_path / "y.svg")
    assert not list(tmp_path.iterdir())


def test_viz_cli(runner, fast_cli, tmp_path):
    from lmakg.cli import app

    out = tmp_path / "ec.html"
    result = runner.invoke(app, ["viz", "node", "FEC", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    for args, message in ((["viz", "node", "--out", str(tmp_path / "a.svg")], "needs a value"),
                          (["viz", "node", "FEC", "--out", str(tmp_path / "a.pdf")], "unknown output type"),
                          (["viz", "node", "no-such-species", "--out", str(tmp_path / "b.svg")], "no node is called"),
                          (["viz", "mechanisms", "extra", "--out", str(tmp_path / "c.svg")], "takes no argument")):
        result = runner.invoke(app, args)
        assert result.exit_code == 1 and message in result.output, args
    assert [p.name for p in tmp_path.iterdir()] == ["ec.html"]
