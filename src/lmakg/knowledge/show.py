"""``lmakg show NAME``: everything the graph knows about one species, design, mechanism or principle.

Why this shape: researchers look things up by the names the review uses (FEC, "Cs+", LiFSI, DMM), so
names resolve case-insensitively over labels, abbreviations and synonyms; an unknown or ambiguous name
gets the closest matches. The JSON form has stable keys (``types``, ``roles``, ``mechanisms``, ``forms``,
``properties``, ``designs``, ``tradeoffs``, ``references``) so scripts can rely on it; every mechanism,
product and property carries its source (review section, references, or external source), and a
property derived by a rule says so (``derived``, ``rule``). What RDKit perceives from a structure is kept
apart: ``perceived`` (agent with RDKit version, formula, composition, formal charge, F mass fraction,
features, elements), and a perceived property is marked ``perceived: true``.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from typing import Any

from lmakg.knowledge.queries import run_engine_query
from lmakg.knowledge.store import KnowledgeStore, Term
from lmakg.knowledge.vocab import PREFIXES, local_name, shorten, user_graph_name

RDF_TYPE = PREFIXES["rdf"] + "type"


class NameLookupError(LookupError):
    """A name matched no node, or several; ``candidates`` lists the closest (label, IRI) pairs."""

    def __init__(self, message: str, candidates: list[tuple[str, str]]) -> None:
        super().__init__(message)
        self.candidates = candidates


def _norm(text: str) -> str:
    return " ".join(text.casefold().replace("⁺", "+").replace("⁻", "-").split())


def resolve(store: KnowledgeStore, name: str) -> str:
    """The IRI of the node called ``name`` (label, abbreviation, synonym, local name or IRI)."""
    if name.startswith(("http://", "https://")):
        return name
    for prefix, ns in PREFIXES.items():
        if name.startswith(prefix + ":"):
            return ns + name[len(prefix) + 1:]
    rows = run_engine_query(store, "names")
    by_name: dict[str, set[str]] = defaultdict(set)
    labels: dict[str, str] = {}
    for row in rows:
        iri = row["node"].value
        by_name[_norm(row["name"].value)].add(iri)
        by_name[_norm(local_name(iri))].add(iri)
        if row["kind"].value == "label" or iri not in labels:
            labels[iri] = row["name"].value
    key = _norm(name)
    hits = by_name.get(key, set())
    if len(hits) == 1:
        return next(iter(hits))
    if len(hits) > 1:
        # The same name on a species and on a vocabulary term of another kind: prefer an exact label.
        exact = {iri for iri in hits if _norm(labels.get(iri, "")) == key}
        if len(exact) == 1:
            return next(iter(exact))
        candidates = sorted((labels.get(i, local_name(i)), i) for i in hits)
        raise NameLookupError(f"{name!r} is ambiguous: it names {len(hits)} nodes", candidates)
    close = difflib.get_close_matches(key, list(by_name), n=6, cutoff=0.6)
    candidates = []
    for match in close:
        for iri in sorted(by_name[match]):
            candidates.append((labels.get(iri, local_name(iri)), iri))
    raise NameLookupError(f"no node is called {name!r}", candidates[:8])


def _source(row: dict[str, Term]) -> dict[str, Any]:
    """Where a row's claim comes from. A design in a user's addition graph is the user's: shown as
    ``user: NAME``, and the section and references it cites are not counted as the review's."""
    source: dict[str, Any] = {}
    user = user_graph_name(row["designGraph"].value) if "designGraph" in row else None
    if user is not None:
        return {"users": [user]} | ({"external": row["external"].value} if "external" in row else {})
    if "sectionNumber" in row:
        source["section"] = row["sectionNumber"].value
    if "referenceNumber" in row:
        source["references"] = [int(row["referenceNumber"].value)]
    if "external" in row:
        source["external"] = row["external"].value
    return source


def _merge_source(target: dict[str, Any], row: dict[str, Term]) -> None:
    extra = _source(row)
    if "section" in extra:
        sections = set(target.get("sections", []))
        sections.add(extra["section"])
        target["sections"] = sorted(sections)
    if "references" in extra:
        target["references"] = sorted(set(target.get("references", [])) | set(extra["references"]))
    if "external" in extra:
        target["external"] = extra["external"]
    if "users" in extra:
        target["users"] = sorted(set(target.get("users", [])) | set(extra["users"]))


def _properties(store: KnowledgeStore, iri: str) -> list[dict[str, Any]]:
    grouped: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    for row in run_engine_query(store, "quantities", node=f"<{iri}>"):
        qid = row["q"].value
        if qid not in grouped:
            prop: dict[str, Any] = {
                "name": row["kindLabel"].value if "kindLabel" in row else local_name(row["kind"].value),
                "kind": local_name(row["kind"].value),
                "value": row["value"].python() if "value" in row else None,
                "unit": row["symbol"].value if "symbol" in row else shorten(row["unit"].value),
                "unitIri": row["unit"].value,
            }
            if "lower" in row:
                prop["range"] = [row["lower"].python(), row["upper"].python() if "upper" in row else None]
            for key, var in (("qualifier", "qualifierLabel"), ("conditions", "condition"),
                             ("method", "method"), ("cell", "cell")):
                if var in row:
                    prop[key] = row[var].value
            if row.get("holder") and row["holder"].value != iri:
                prop["of"] = row["holderLabel"].value if "holderLabel" in row else shorten(row["holder"].value)
            prop["derived"] = "derivedBy" in row
            prop["perceived"] = "perceivedBy" in row
            if "derivedBy" in row:
                prop["rule"] = shorten(row["derivedBy"].value)
            prop["source"] = {}
            conditions = [
                " ".join(x for x in (c.get("qualifierLabel") and c["qualifierLabel"].value,
                                     _format_number(c), c["symbol"].value if "symbol" in c else "") if x)
                + f" ({c['kindLabel'].value})"
                for c in run_engine_query(store, "conditions", q=row["q"]) if "kindLabel" in c
            ]
            if conditions:
                prop["measuredAt"] = conditions
            grouped[qid] = prop
            order.append(qid)
        _merge_source(grouped[qid]["source"], row)
    return [grouped[q] for q in order]


def _format_number(row: dict[str, Term]) -> str:
    if "value" in row:
        return row["value"].value
    if "lower" in row and "upper" in row:
        return f"{row['lower'].value}–{row['upper'].value}"
    return ""


def describe(store: KnowledgeStore, iri: str) -> dict[str, Any]:
    """Everything known about one node, as a JSON-ready dict (see module docstring for the keys)."""
    summary = run_engine_query(store, "node-summary", node=f"<{iri}>")
    if not summary and not run_engine_query(store, "design-detail", node=f"<{iri}>"):
        raise NameLookupError(f"{shorten(iri)} is not in the graph", [])
    out: dict[str, Any] = {"id": local_name(iri), "iri": iri, "label": None, "altLabels": [], "types": []}
    literal_keys = {
        "smiles": "smiles", "inchiKey": "inchiKey", "repeatUnitSmiles": "repeatUnitSmiles",
        "composition": "composition", "charge": "charge", "statement": "statement", "equation": "equation",
        "equationNumber": "equationNumber", "researchGroup": "researchGroup",
        "electrolyteFormulation": "electrolyteFormulation", "cellConfiguration": "cellConfiguration",
        "figure": "figure", "reportedMultifunctional": "reportedMultifunctional", "definition": "definition",
        "note": "notes", "externalSource": "externalSource", "sectionNumber": "sectionNumber",
        "referenceNumber": "referenceNumber", "bibliographicCitation": "citation",
        "perspectiveNumber": "perspectiveNumber",
    }
    list_keys = {"notes", "cellConfiguration", "figure"}
    link_keys = {"hasFunctionalGroup": "functionalGroups", "containsElement": "elements",
                 "madeFrom": "madeFrom", "hasIon": "ions", "exactMatch": "exactMatch", "closeMatch": "closeMatch"}
    for row in summary:
        p, o = row["p"].value, row["o"]
        name = local_name(p)
        if p == RDF_TYPE:
            if not o.value.endswith("NamedIndividual"):
                out["types"].append(shorten(o.value))
        elif name == "label" and out["label"] is None:
            out["label"] = o.value
        elif name == "altLabel":
            out["altLabels"].append(o.value)
        elif name in link_keys:
            out.setdefault(link_keys[name], []).append(shorten(o.value) if o.kind == "uri" else o.value)
        elif name in literal_keys:
            key = literal_keys[name]
            if key in list_keys:
                out.setdefault(key, []).append(o.python())
            else:
                out[key] = o.python()
    out["altLabels"].sort()
    out["types"].sort()
    for key in ("functionalGroups", "elements", "madeFrom", "ions", "exactMatch", "closeMatch"):
        if key in out:
            out[key] = sorted(set(out[key]))
    _add_uses(store, iri, out)
    _add_design_detail(store, iri, out)
    out["properties"] = _properties(store, iri)
    perceived = _perceived(store, iri)
    if perceived:
        out["perceived"] = perceived
    out["tradeoffs"] = _tradeoffs(store, iri)
    out["predicted"] = _predictions(store, iri)
    refs = set(out.get("references", []))
    for group in ("mechanisms", "forms", "designs"):
        for item in out.get(group, []):
            refs.update(item.get("source", {}).get("references", []))
    for prop in out["properties"]:
        refs.update(prop["source"].get("references", []))
    for trade in out["tradeoffs"]:
        refs.update(trade["source"].get("references", []))
    out["references"] = sorted(refs)
    return out


def _add_uses(store: KnowledgeStore, iri: str, out: dict[str, Any]) -> None:
    rows = run_engine_query(store, "species-uses", species=f"<{iri}>")
    if not rows:
        return
    designs: dict[str, dict[str, Any]] = {}
    mechanisms: dict[str, dict[str, Any]] = {}
    forms: dict[str, dict[str, Any]] = {}
    roles: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        design = row["design"].value
        d = designs.setdefault(design, {"id": local_name(design), "label": row.get("designLabel", row["design"]).value,
                                        "roles": set(), "source": {}})
        d["roles"].add(local_name(row["role"].value))
        _merge_source(d["source"], row)
        role_key = (local_name(row["role"].value), design)
        roles.setdefault(role_key, {"role": role_key[0], "design": local_name(design)})
        if "mechanism" in row:
            mid = local_name(row["mechanism"].value)
            m = mechanisms.setdefault(mid, {"id": mid, "label": row["mechanismLabel"].value
                                            if "mechanismLabel" in row else mid,
                                            "designs": set(), "attributedTo": set(), "source": {}})
            m["designs"].add(local_name(design))
            m["attributedTo"].add(row["mechanismFrom"].value)
            _merge_source(m["source"], row)
        if "forms" in row:
            fid = local_name(row["forms"].value)
            f = forms.setdefault(fid, {"id": fid, "label": row["formsLabel"].value if "formsLabel" in row else fid,
                                       "designs": set(), "source": {}})
            f["designs"].add(local_name(design))
            _merge_source(f["source"], row)
    out["roles"] = sorted(roles.values(), key=lambda r: (r["role"], r["design"]))
    for collection in (mechanisms, forms, designs):
        for item in collection.values():
            for key in ("designs", "roles", "attributedTo"):
                if key in item:
                    item[key] = sorted(item[key])
    out["mechanisms"] = sorted(mechanisms.values(), key=lambda m: m["id"])
    out["forms"] = sorted(forms.values(), key=lambda f: f["id"])
    out["designs"] = sorted(designs.values(), key=lambda d: d["id"])


def _add_design_detail(store: KnowledgeStore, iri: str, out: dict[str, Any]) -> None:
    rows = run_engine_query(store, "design-detail", node=f"<{iri}>")
    if not rows:
        return
    components = []
    groups: dict[str, list[dict[str, str]]] = defaultdict(list)
    sections, references, users = set(), set(), set()
    for row in rows:
        pred = local_name(row["p"].value)
        if "nodeGraph" in row and (user := user_graph_name(row["nodeGraph"].value)):
            users.add(user)
        if pred == "hasComponent":
            if "species" in row:
                components.append({
                    "species": row["speciesLabel"].value if "speciesLabel" in row else local_name(row["species"].value),
                    "speciesId": local_name(row["species"].value),
                    "role": local_name(row["role"].value),
                })
            continue
        if pred == "inSection":
            sections.add(local_name(row["o"].value))
            continue
        if pred == "citesReference":
            references.add(int(local_name(row["o"].value).removeprefix("ref-")))
            continue
        item = {"id": local_name(row["o"].value),
                "label": row["oLabel"].value if "oLabel" in row else local_name(row["o"].value)}
        if item not in groups[pred]:
            groups[pred].append(item)
    if components:
        out["components"] = sorted(components, key=lambda c: (c["role"], c["species"]))
    key_names = {"actsThrough": "mechanisms", "forms": "forms", "placement": "placements",
                 "solvationRoute": "solvationRoutes", "electrolyteRegime": "regimes",
                 "promotesSolvationStructure": "solvationStructures", "hasOutcome": "outcomes",
                 "supportsMechanism": "supportsMechanisms", "limits": "limits",
                 "tradeOffCategory": "categories"}
    source: dict[str, Any] = {"sections": sorted(s.removeprefix("sec-").replace("-", ".") for s in sections),
                              "references": sorted(references)}
    if users:  # a user's design: the section and references it cites are the user's reading, not the review's
        source = {"users": sorted(users), "cites": source}
        references = set()
    for pred, items in groups.items():
        key = key_names.get(pred, pred)
        items = sorted(items, key=lambda i: i["id"])
        if key in ("mechanisms", "forms") and key not in out:
            for item in items:
                item["source"] = source
        if key not in out:
            out[key] = items
    out["source"] = source
    if references:
        out["references"] = sorted(references)


def _perceived(store: KnowledgeStore, iri: str) -> dict[str, Any]:
    """What RDKit read off the node's structure (perceived graph), apart from what the review says."""
    from lmakg.knowledge.formula import hill_formula

    out: dict[str, Any] = {}
    counts: dict[str, int] = {}
    groups, elements = set(), set()
    for row in run_engine_query(store, "perceived-descriptors", node=f"<{iri}>"):
        name = local_name(row["p"].value)
        if "version" in row:
            out["agent"] = f"RDKit {row['version'].value}"
        if name == "hasFunctionalGroup":
            groups.add(local_name(row["o"].value))
        elif name == "containsElement":
            elements.add(local_name(row["o"].value))
        elif name == "charge":
            out["formalCharge"] = row["o"].python()
        elif name == "hasElementCount" and "symbol" in row:
            counts[row["symbol"].value] = int(row["count"].value)
        elif (name == "hasQuantity" and "value" in row and local_name(row["kind"].value) == "MassFraction"
              and local_name(row["element"].value) == "F"):
            out["fMassFraction"] = {"value": row["value"].python(), "unit": "%"}
    if counts:
        out["formula"] = hill_formula(counts)
        out["composition"] = dict(sorted(counts.items(), key=lambda kv: (kv[0] != "C", kv[0] != "H", kv[0])))
    if groups:
        out["functionalGroups"] = sorted(groups)
    if elements:
        out["elements"] = sorted(elements)
    return out if set(out) - {"agent"} else {}


def _predictions(store: KnowledgeStore, iri: str) -> dict[str, list[dict[str, Any]]]:
    """Inferred facts about the node (mechanisms, products, exclusions, conflicts), each with its rules."""
    keys = {"predictedMechanism": "mechanisms", "predictedProduct": "products", "predictedOutcome": "outcomes",
            "predictedRegime": "regimes", "predictedSolvationStructure": "solvationStructures",
            "ruledOut": "ruledOut", "hasConflict": "conflicts"}
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for row in run_engine_query(store, "predictions-of", node=f"<{iri}>"):
        group = found.setdefault(keys[local_name(row["p"].value)], {})
        item = group.setdefault(row["o"].value, {"id": local_name(row["o"].value), "rules": set()})
        if "rule" in row:
            item["rules"].add(local_name(row["rule"].value))
    # A conclusion every derivation of which rests on a design holds in that design's context (its
    # concentration, its role), not for the species everywhere: say which designs.
    contexts: dict[tuple[str, str], dict[str, set[str]]] = {}
    for row in run_engine_query(store, "prediction-designs", node=f"<{iri}>"):
        per = contexts.setdefault((local_name(row["p"].value), row["o"].value), {})
        per.setdefault(row["derivation"].value, set()).update([local_name(row["design"].value)] if "design" in row
                                                               else [])
    for (p, o), derivations in contexts.items():
        item = found.get(keys.get(p, ""), {}).get(o)
        if item is not None and derivations and all(derivations.values()):
            item["inDesigns"] = sorted(set().union(*derivations.values()))
    return {key: [{**v, "rules": sorted(v["rules"])} for _, v in sorted(group.items())]
            for key, group in sorted(found.items())}


def _tradeoffs(store: KnowledgeStore, iri: str) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for row in run_engine_query(store, "tradeoffs", node=f"<{iri}>"):
        tid = row["tradeoff"].value
        t = found.setdefault(tid, {
            "id": local_name(tid),
            "label": row["label"].value if "label" in row else local_name(tid),
            "statement": row["statement"].value if "statement" in row else "",
            "category": row["category"].value if "category" in row else None,
            "via": local_name(row["via"].value) if row["via"].value != iri else None,
            "source": {},
        })
        _merge_source(t["source"], row)
    return sorted(found.values(), key=lambda t: t["id"])


def render(desc: dict[str, Any], console: Any) -> None:
    """Print a description for people, with rich."""
    from rich.table import Table

    title = desc.get("label") or desc["id"]
    console.print(f"[bold]{title}[/bold]  [dim]{desc['iri']}[/dim]")
    if desc.get("altLabels"):
        console.print(f"  also: {', '.join(desc['altLabels'])}")
    console.print(f"  types: {', '.join(desc['types']) or '-'}")
    for key in ("smiles", "inchiKey", "repeatUnitSmiles", "composition", "charge", "definition", "statement",
                "equation", "researchGroup", "electrolyteFormulation", "citation"):
        if desc.get(key) not in (None, ""):
            console.print(f"  {key}: {desc[key]}")
    for key in ("functionalGroups", "ions", "madeFrom", "placements", "regimes", "solvationRoutes",
                "solvationStructures", "outcomes", "supportsMechanisms", "limits"):
        if desc.get(key):
            values = [v["id"] if isinstance(v, dict) else v for v in desc[key]]
            console.print(f"  {key}: {', '.join(values)}")
    if desc.get("components"):
        console.print("  components: " + "; ".join(f"{c['species']} ({c['role']})" for c in desc["components"]))
    seen = desc.get("perceived")
    if seen:
        parts = [seen.get("formula", ""),
                 f"charge {seen['formalCharge']:+d}" if seen.get("formalCharge") else
                 ("charge 0" if "formalCharge" in seen else ""),
                 f"F {seen['fMassFraction']['value']} % by mass" if "fMassFraction" in seen else "",
                 ", ".join(seen.get("functionalGroups", []))]
        console.print(f"  perceived by {seen.get('agent', 'RDKit')}: " + "; ".join(p for p in parts if p))

    def src(source: dict[str, Any]) -> str:
        parts = []
        if source.get("section"):
            parts.append(f"§{source['section']}")
        if source.get("sections"):
            parts.append(" ".join(f"§{s}" for s in source["sections"]))
        if source.get("references"):
            parts.append(" ".join(f"[{r}]" for r in source["references"]))
        if source.get("external"):
            parts.append(source["external"])
        parts.extend(f"user: {name}" for name in source.get("users", []))
        return " ".join(parts)

    for key, heading in (("mechanisms", "Mechanisms"), ("forms", "Forms (interphase components)")):
        if desc.get(key):
            table = Table(title=heading, title_justify="left", show_edge=False)
            table.add_column("id")
            table.add_column("designs")
            table.add_column("source")
            for item in desc[key]:
                table.add_row(item["id"], ", ".join(item.get("designs", [])), src(item.get("source", {})))
            console.print(table)
    if desc.get("properties"):
        table = Table(title="Properties", title_justify="left", show_edge=False)
        for col in ("property", "value", "unit", "conditions", "source"):
            table.add_column(col)
        for prop in desc["properties"]:
            value = prop["value"] if prop["value"] is not None else "–".join(str(x) for x in prop.get("range", []))
            if prop.get("derived") and isinstance(value, float):
                value = f"{value:.4g}"
            value = f"{prop.get('qualifier', '')} {value}".strip()
            cond = "; ".join(x for x in (prop.get("of"), prop.get("conditions"), prop.get("method"),
                                         ", ".join(prop.get("measuredAt", []))) if x)
            source = src(prop["source"]) + (f" derived by {prop['rule']}" if prop.get("derived") else "")
            source += " (perceived)" if prop.get("perceived") else ""
            table.add_row(prop["name"], str(value), prop["unit"], cond, source)
        console.print(table)
    if desc.get("designs"):
        console.print("[bold]Designs[/bold]")
        for d in desc["designs"]:
            console.print(f"  {d['id']}: {d['label']} ({', '.join(d['roles'])}) {src(d['source'])}")
    if desc.get("tradeoffs"):
        console.print("[bold]Trade-offs[/bold]")
        for t in desc["tradeoffs"]:
            via = f" (via {t['via']})" if t.get("via") else ""
            console.print(f"  {t['label']}{via}: {t['statement']} {src(t['source'])}")
    if desc.get("predicted"):
        console.print("[bold]Predicted by the rules[/bold] (lmakg why NAME MECHANISM explains each)")
        for key, items in desc["predicted"].items():
            console.print(f"  {key}: " + ", ".join(
                f"{i['id']} ({', '.join(i['rules'])}" + (f"; only in {', '.join(i['inDesigns'])}" if i.get("inDesigns")
                                                          else "") + ")" for i in items))
    if desc.get("references"):
        console.print("references: " + " ".join(f"[{r}]" for r in desc["references"]))
