"""``lmakg stats``: how big the graph is and whether it validates.

Why it runs SHACL: the count of violations is part of the answer a curator wants ("is the graph clean?"),
and the review graph is small enough to validate in a couple of seconds.
"""

from __future__ import annotations

from typing import Any

from lmakg.knowledge.queries import run_engine_query
from lmakg.knowledge.store import KnowledgeStore
from lmakg.knowledge.vocab import ASSERTED_GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH


def collect(store: KnowledgeStore, with_validation: bool = True) -> dict[str, Any]:
    """Counts of designs, species, quantities, references, principles, trade-offs and triples."""
    row = run_engine_query(store, "stats")[0]
    cited = run_engine_query(store, "cited-references")[0]
    gaps = run_engine_query(store, "quantity-units")[0]
    out: dict[str, Any] = {
        "designs": int(row["designs"].value),
        "species": int(row["species_count"].value),
        "quantities": int(row["quantities"].value),
        "quantitiesWithoutUnit": int(gaps["withoutUnit"].value),
        "quantitiesWithoutSource": int(gaps["withoutSource"].value),
        "references": int(row["references"].value),
        "referencesCited": int(cited["n"].value),
        "principles": int(row["principles"].value),
        "tradeoffs": int(row["tradeoffs"].value),
        "triples": store.count(),
        "graphs": {
            "ontology": store.count(str(ONTOLOGY_GRAPH)),
            "asserted": store.count(str(ASSERTED_GRAPH)),
            "inferred": store.count(str(INFERRED_GRAPH)),
        },
    }
    if with_validation:
        from lmakg.curation.validate import validate_files

        report = validate_files()
        out["shacl"] = {"conforms": report.conforms, "violations": len(report.violations)}
    return out


def render(stats: dict[str, Any], console: Any) -> None:
    from rich.table import Table

    table = Table(title="lmakg", show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key in ("designs", "species", "quantities", "quantitiesWithoutUnit", "quantitiesWithoutSource",
                "references", "referencesCited", "principles", "tradeoffs", "triples"):
        table.add_row(key, str(stats[key]))
    for graph, count in stats["graphs"].items():
        table.add_row(f"triples in {graph} graph", str(count))
    if "shacl" in stats:
        table.add_row("SHACL violations", str(stats["shacl"]["violations"]))
    console.print(table)
