"""The store interface: selectors, named graphs, bindings, persistence and errors."""

from __future__ import annotations

import pytest

from lmakg.knowledge.store import QuerySyntaxError, StoreError, open_store

TTL = '@prefix e: <http://e/> . e:a e:p "1" ; e:q e:b . e:b e:p "2" .'


def test_in_memory_selector_and_counts():
    store = open_store("oxigraph:")
    store.load_turtle(TTL, graph="http://e/g1")
    store.load_turtle('<http://e/c> <http://e/p> "3" .', graph="http://e/g2")
    assert store.count() == 4
    assert store.count("http://e/g1") == 3
    assert store.named_graphs() == ["http://e/g1", "http://e/g2"]


def test_queries_see_the_union_of_named_graphs_and_take_bindings():
    store = open_store()
    store.load_turtle(TTL, graph="http://e/g1")
    store.load_turtle('<http://e/c> <http://e/p> "3" .', graph="http://e/g2")
    values = sorted(r["o"].value for r in store.select("SELECT ?s ?o WHERE { ?s <http://e/p> ?o }"))
    assert values == ["1", "2", "3"]
    bound = store.select("SELECT ?s ?o WHERE { ?s <http://e/p> ?o }", bindings={"s": "<http://e/b>"})
    assert [r["o"].value for r in bound] == ["2"]


def test_syntax_errors_are_reported_as_such():
    with pytest.raises(QuerySyntaxError):
        open_store().select("SELECT WHERE {")


def test_unknown_scheme_is_refused():
    with pytest.raises(StoreError, match="unknown store scheme 'foo'"):
        open_store("foo:http://localhost/sparql")


def test_persistent_store_round_trip(tmp_path):
    location = tmp_path / "store"
    store = open_store(f"oxigraph:{location}")
    store.load_turtle(TTL, graph="http://e/g")
    store.flush()
    del store
    reopened = open_store(f"oxigraph:{location}", read_only=True)
    assert reopened.count() == 3


def test_read_only_store_must_exist(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        open_store(f"oxigraph:{tmp_path / 'missing'}", read_only=True)


def test_serialised_results_use_standard_formats():
    store = open_store()
    store.load_turtle(TTL, graph="http://e/g")
    data, media = store.query_serialized("SELECT ?o WHERE { <http://e/a> <http://e/p> ?o }", "json")
    assert media == "application/sparql-results+json" and b'"value":"1"' in data
    csv, _ = store.query_serialized("SELECT ?o WHERE { <http://e/a> <http://e/p> ?o }", "csv")
    assert csv.splitlines() == [b"o", b"1"]
    turtle, media = store.query_serialized("CONSTRUCT WHERE { ?s <http://e/q> ?o }", "turtle")
    assert media == "text/turtle" and b"<http://e/b>" in turtle


def test_holds_only_tells_whether_the_union_of_graphs_is_theirs():
    store = open_store()
    store.load_turtle(TTL, graph="http://e/g1")
    store.load_turtle('<http://e/c> <http://e/p> "3" .', graph="http://e/g2")
    assert store.holds_only(["http://e/g1", "http://e/g2", "http://e/unused"])
    assert not store.holds_only(["http://e/g1"])
    store.clear_graph("http://e/g2")  # an emptied graph holds nothing
    assert store.holds_only(["http://e/g1"])
    store.update('INSERT DATA { <http://e/d> <http://e/p> "4" }')  # the default graph
    assert not store.holds_only(["http://e/g1"])


def test_around_a_blank_node():
    store = open_store()
    store.load_turtle('<http://e/a> <http://e/q> [ <http://e/p> "1" ; <http://e/r> <http://e/c> ] .', "http://e/g1")
    store.load_turtle('<http://e/z> <http://e/s> <http://e/a> .', "http://e/g2")
    ((_s, _p, blank),) = [t for t in store.triples("http://e/g1") if str(t[1]) == "<http://e/q>"]
    assert store.is_blank(blank) and not store.is_blank(_s)
    around = sorted((way, str(p), str(x)) for way, p, x in store.around(blank, {"http://e/g1"}))
    assert around == [("in", "<http://e/q>", "<http://e/a>"), ("out", "<http://e/p>", '"1"'),
                      ("out", "<http://e/r>", "<http://e/c>")]
    assert store.around(blank, {"http://e/g2"}) == []


def test_scratch_pads_undo_exactly_and_compaction_keeps_the_dataset(monkeypatch):
    """A scratch pad removes what it added and nothing else; once removed quads outnumber live ones (here after a
    few pads, thresholds lowered) the in-memory store is copied into a fresh one holding the same dataset: the same
    quads in the same named graphs, an empty named graph included, and the default graph's triples."""
    from lmakg.knowledge import store as module

    monkeypatch.setattr(module, "COMPACT_AFTER", 3)
    monkeypatch.setattr(module, "COMPACT_RATIO", 1)
    store = open_store()
    store.load_turtle(TTL, graph="http://e/g1")
    store.update("INSERT DATA { <http://e/d> <http://e/p> <http://e/e> }; CREATE GRAPH <http://e/empty>")
    before = sorted(str(q) for q in store._store.quads_for_pattern(None, None, None, None))
    graphs = store.named_graphs()
    inner = store._store
    for n in range(5):
        with store.scratch("http://e/scratch"):
            store.load_turtle(f'<http://e/x{n}> <http://e/p> "{n}" . <http://e/a> <http://e/p> "1" .',
                              graph="http://e/scratch")
            store.add_triples([(store.iri(f"http://e/y{n}"), store.iri("http://e/p"), store.iri("http://e/a")),
                               (store.iri("http://e/a"), store.iri("http://e/q"), store.iri("http://e/b"))],
                              "http://e/g1")
            assert store.count("http://e/g1") == 4
    assert store._store is not inner  # compacted at least once
    assert sorted(str(q) for q in store._store.quads_for_pattern(None, None, None, None)) == before
    assert store.named_graphs() == graphs and "http://e/empty" in graphs
    assert store.count("http://e/g1") == 3  # e:a e:q e:b was there before: never journaled, never removed
