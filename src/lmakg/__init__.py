"""lmakg: the lithium-metal-anode knowledge graph.

The knowledge (ontology, curated graph, rules, queries) is data shipped with the package; this package
is the engine that loads, validates, queries and shows it. Start with ``lmakg --help``.
"""

from __future__ import annotations

__version__ = "0.1.0"
