"""A readable derivation tree: what `lmakg why` prints unless ``--full``.

Why: a rule's premises include the plumbing of the graph — blank-node components and quantities (``_:c lma:species
X``, ``_:q qudt:numericValue -3.026``), physical constants (``lmk:constant-F``) and class membership derived
through the ontology's class hierarchy. Printed one by one they bury the two or three facts a chemist wants to
check. :func:`condense` folds them, in the tree of :func:`lmakg.reasoning.explain.explain`:

* a quantity's triples become one premise, ``OWNER KIND = VALUE UNIT`` (the owner of a component's quantity is
  ``SPECIES in DESIGN``), with the status and sources of its value;
* a component's triples become ``SPECIES component of DESIGN``;
* constants (``lmk:constant-*``) are dropped from the premises and named in the firing's ``folded`` note;
* ``rdf:type`` / ``rdfs:subClassOf`` premises keep their line but not their derivation (class hierarchy).

Nothing is lost: ``--full`` (and the workbench) show the whole tree; each firing says how many premises were
folded and why.
"""

from __future__ import annotations

from typing import Any

HIERARCHY = {"rdf:type", "rdfs:subClassOf"}


def condense(tree: dict[str, Any]) -> dict[str, Any]:
    """A folded copy of a tree from ``explain`` or ``explain_mechanism`` (the input is not changed)."""
    if "predicted" in tree:
        out = dict(tree)
        out["predicted"] = _node(tree["predicted"])
        if "ruledOut" in tree:
            out["ruledOut"] = _node(tree["ruledOut"])
        return out
    return _node(tree)


def _node(node: dict[str, Any]) -> dict[str, Any]:
    out = dict(node)
    if node["statement"][1] in HIERARCHY and node.get("derivations"):
        out.pop("derivations")
        out["folded"] = "derived through the class hierarchy"
        return out
    if "derivations" in node:
        out["derivations"] = [_firing(d) for d in node["derivations"]]
    return out


def _is_blank(text: str) -> bool:
    return text.startswith("_:")


def _firing(firing: dict[str, Any]) -> dict[str, Any]:
    premises = firing.get("premises", [])
    if not premises:
        return dict(firing)
    by_subject: dict[str, dict[str, dict[str, Any]]] = {}
    for p in premises:
        s, pred, _o = p["statement"]
        by_subject.setdefault(s, {})[pred] = p
    quantities = {s for s, preds in by_subject.items() if "qudt:numericValue" in preds or "lma:quantityKind" in preds}
    owner_of = {p["statement"][2]: p["statement"][0] for p in premises
                if p["statement"][1] == "lma:hasQuantity" and p["statement"][2] in quantities}
    design_of = {p["statement"][2]: p["statement"][0] for p in premises
                 if p["statement"][1] == "lma:hasComponent" and _is_blank(p["statement"][2])}

    def name(term: str) -> str:
        if term in design_of or "lma:species" in by_subject.get(term, {}):
            species = by_subject.get(term, {}).get("lma:species")
            label = species["statement"][2] if species else term
            return f"{label} in {design_of[term]}" if term in design_of else label
        return term

    kept: list[dict[str, Any]] = []
    folded: list[str] = []
    constants: list[str] = []
    made: set[str] = set()
    for p in premises:
        s, pred, o = p["statement"]
        if s.startswith("lmk:constant-"):
            if s not in constants:
                constants.append(s)
            folded.append(s)
            continue
        quantity = o if pred == "lma:hasQuantity" and o in quantities else s if s in quantities else None
        if quantity is not None:
            folded.append(" ".join(p["statement"]))
            if quantity not in made:
                made.add(quantity)
                kept.append(_quantity(quantity, by_subject.get(quantity, {}), name(owner_of.get(quantity, quantity))))
            continue
        component = o if pred == "lma:hasComponent" and _is_blank(o) else s if _is_blank(s) else None
        if component is not None:
            folded.append(" ".join(p["statement"]))
            species = by_subject.get(component, {}).get("lma:species")
            if component not in made and species is not None and component in design_of:
                made.add(component)
                kept.append({**species, "statement": [species["statement"][2], "component of", design_of[component]],
                             "derivations": []})
            continue
        kept.append(_node(p))
    out = {**firing, "premises": kept}
    if folded:
        note = f"{len(folded)} premises folded (components, quantities"
        note += f", constants {', '.join(c.removeprefix('lmk:constant-') for c in constants)})" if constants else ")"
        out["folded"] = note
    return out


def _quantity(node: str, parts: dict[str, dict[str, Any]], owner: str) -> dict[str, Any]:
    value = parts.get("qudt:numericValue")
    unit = parts.get("qudt:unit")
    kind = parts.get("lma:quantityKind")
    shown = value["statement"][2] if value else "?"
    if unit:
        shown += " " + unit["statement"][2].removeprefix("unit:")
    source = value or kind or unit or {}
    out = {"statement": [owner, kind["statement"][2].removeprefix("lma:") if kind else "quantity", "= " + shown],
           "status": source.get("status", "asserted")}
    if source.get("source"):
        out["source"] = source["source"]
    if source.get("derivations"):
        out["derivations"] = [_firing(d) for d in source["derivations"]]
    return out
