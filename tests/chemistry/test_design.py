"""Molecular design moves (kg/design-moves.ttl) and `lmakg design`.

Expected values come from the review, not from the code: the move examples are the review's own
(section 3: ethyl acetate -> ETFA [81, 82]; section 4.1: DME -> DMB -> FDMB [97], EC/DEC -> FEC/BTC [103];
DEE binds Li+ more weakly than DME, -280 vs -414 kJ/mol [25]) or the curator's readings of the review kept
in kg/curator/design-moves.ttl (FEC -> DFEC in the section 3 series of EC "with varying degrees of
fluorination" [83], which names EC and DFEC only; FDMB -> AFA, AFA's nitrate ends replacing the unnamed
methoxyl-terminated molecule at the beta site of the C-F bonds [116]); the structures expected from DME are
worked out by hand below; "a fluorinated solvent forms LiF" is the review's section 4.1 principle (C-F
reduction at the Li anode gives LiF).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import RDF, Graph

from lmakg.chemistry import structures as chem
from lmakg.chemistry.design import design
from lmakg.chemistry.moves import DesignInputError, MoveContext, enumerate_structures, resolve_start
from lmakg.chemistry.reactions import apply_reaction, canonical, parse_reaction
from lmakg.cli import app
from lmakg.curation.validate import check_design_moves, parse_files
from lmakg.knowledge import resources
from lmakg.knowledge.resources import knowledge_files
from lmakg.knowledge.vocab import LMA, LMK

# (move, from, to) as the review states them; names are the graph's abbreviations.
REVIEW_EXAMPLES = [
    ("extend-ether-chain", "DME", "DMB"),            # 4.1 [97]: "alkyl chain is extended ... DMB from DME"
    ("fluorinate-ether-backbone", "DMB", "FDMB"),    # 4.1 [97]: "middle portion of the DMB backbone is fluorinated"
    ("raise-fluorination-level", "EC", "FEC"),       # 4.1 [103]: "FEC and BTC by fluorinated ... EC and DEC"
    ("fluorinate-ester-acyl", "ethyl acetate", "ETFA"),  # 3 [81, 82]: "fluorinated ethyl acetate ... ETFA"
    ("fluorinate-ester-alkoxy", "DEC", "BTC"),       # 4.1 [103]: "FEC and BTC by fluorinated ... EC and DEC"
]
# (move, from, to) the curator reads into the review (kg/curator/design-moves.ttl, the curator graph).
CURATOR_EXAMPLES = [
    ("raise-fluorination-level", "FEC", "DFEC"),     # 3 [83]: names EC "with varying degrees of fluorination" and DFEC
    ("beta-activate-cf", "FDMB", "AFA"),             # 4.1 [116]: nitrate ends instead of an unnamed methoxyl (Fig. 7d)
]


@pytest.fixture(scope="module")
def graph(knowledge) -> MoveContext:
    return MoveContext(knowledge)


@pytest.fixture(scope="module")
def from_dme(knowledge):
    """`lmakg design --from DME --json` (all moves, default depth 2), run once."""
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["design", "--from", "DME", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _key(smiles: str) -> str:
    return chem.inchikey(smiles)


def _species(graph: MoveContext, name: str) -> str:
    return resolve_start(graph, name).species


def test_review_dmb_is_1_4_dimethoxybutane(graph):
    # The review: "1,4-dimethoxybutane (DMB) from commercial 1,2-dimethoxyethane (DME)"; written by hand:
    dmb = graph.cards[_species(graph, "DMB")]
    assert dmb["label"] == "1,4-dimethoxybutane"
    assert dmb["inchiKey"] == _key("COCCCCOC")


@pytest.mark.parametrize(("move", "source", "target"), REVIEW_EXAMPLES + CURATOR_EXAMPLES)
def test_each_review_example_is_reproduced_by_its_move(graph, move, source, target):
    m = graph.moves[move]
    made, errors = apply_reaction(parse_reaction(m.smarts), graph.cards[_species(graph, source)]["smiles"],
                                  m.every_site)
    assert not errors
    assert graph.cards[_species(graph, target)]["inchiKey"] in {_key(p) for p in made}
    assert (_species(graph, source), _species(graph, target)) in m.examples  # and the data records it


def test_every_move_parses_and_reproduces_its_examples(graph):
    assert len(graph.moves) >= 6
    for move in graph.moves.values():
        assert move.label and move.sections and move.principles and move.examples, move.id
        if move.analogue_query:
            continue
        reaction = parse_reaction(move.smarts)
        for source, target in move.examples:
            made, _ = apply_reaction(reaction, graph.cards[source]["smiles"], move.every_site)
            assert graph.cards[target]["inchiKey"] in {_key(p) for p in made}, (move.id, source, target)


def test_the_swap_finds_dee_for_dme_by_binding_energy(graph):
    # Section 3 [25]: Li(DEE)1.8 -280 kJ/mol vs Li(DME)2.3 -414 kJ/mol, so DEE binds Li+ more weakly.
    swap = graph.moves["swap-weakly-solvating"]
    assert swap.smarts is None and swap.analogue_query
    dme = resolve_start(graph, "DME")
    found = enumerate_structures(graph, [dme], [swap], 1)
    assert _species(graph, "DEE") in {k.species for k in found.known}
    assert not found.new  # a substitution only proposes species the graph holds


def test_move_examples_cite_references_of_their_section():
    import importlib.util

    spec = importlib.util.spec_from_file_location("test_kg", Path(__file__).parents[1] / "knowledge" / "test_kg.py")
    test_kg = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(test_kg)  # the review-text reader of tests/knowledge, whatever the collection order
    _section_citations = test_kg._section_citations

    cites = _section_citations()
    merged = Graph()
    for path in knowledge_files():  # the ontology, kg/*.ttl and the curator's kg/curator/*.ttl
        merged.parse(path, format="turtle")
    wrong = []
    for example in merged.subjects(RDF.type, LMA.MoveExample):
        sections = {str(merged.value(s, LMA.sectionNumber)) for s in merged.objects(example, LMA.inSection)}
        allowed = set().union(*(cites.get(s, set()) for s in sections))
        for ref in merged.objects(example, LMA.citesReference):
            if int(merged.value(ref, LMA.referenceNumber)) not in allowed:
                wrong.append(f"{ref} not cited in {sections}")
    assert not wrong, wrong
    assert (None, LMA.exampleTo, LMK.AFA) in merged  # FDMB -> AFA, in the curator's file


def test_raising_the_fluorination_of_dme_twice(graph):
    # Worked by hand. DME = C1H3-O-C2H2-C3H2-O-C4H3 (C1~C4, C2~C3 by symmetry). One F: on C1 or on C2.
    # Two F: from C1-F: C1 again, C2, C3, C4; from C2-F: C1 (= C1,C2: seen), C2 again, C3, C4 (= C1,C3:
    # seen). So 2 + 6 new structures and 2 reached twice; none is in the graph.
    expected = {"FCOCCOC", "COCC(F)OC",
                "FC(F)OCCOC", "FCOC(F)COC", "FCOCC(F)OC", "FCOCCOCF", "COC(F)(F)COC", "COC(F)C(F)OC"}
    found = enumerate_structures(graph, [resolve_start(graph, "DME")], [graph.moves["raise-fluorination-level"]], 2)
    assert {s.inchikey for s in found.new} == {_key(s) for s in expected}
    assert found.duplicates == 2
    assert not found.known and not found.invalid


def test_invalid_products_are_dropped(graph):
    from lmakg.chemistry.moves import Move

    # Four F on a methyl carbon that keeps its O neighbour: five bonds on carbon, not a valid structure.
    bad = Move(iri=str(LMK["move-test-bad"]), label="bad", smarts="[CH3:1]>>[C:1](F)(F)(F)F")
    found = enumerate_structures(graph, [resolve_start(graph, "DME")], [bad], 1)
    assert not found.new and found.invalid


def test_design_from_dme_reproduces_dmb_and_fdmb_as_curated_species(from_dme):
    known = {k["species"]: [m["move"] for m in k["moves"]] for k in from_dme["knownInGraph"]}
    assert known["DMB"] == ["extend-ether-chain"]
    assert known["FDMB"] == ["extend-ether-chain", "fluorinate-ether-backbone"]
    keys = {c["inchiKey"] for c in from_dme["candidates"]}
    assert _key("COCCCCOC") not in keys and _key("COCC(F)(F)C(F)(F)COC") not in keys  # not proposed as new


def test_design_from_dme_proposes_chain_extended_and_fluorinated_ethers(from_dme):
    by_key = {c["inchiKey"]: c for c in from_dme["candidates"]}
    longer = by_key[_key("COCCCCCCOC")]  # 1,6-dimethoxyhexane: DME extended twice
    assert [m["move"] for m in longer["moves"]] == ["extend-ether-chain", "extend-ether-chain"]
    fluorinated = by_key[_key("COCC(F)OC")]  # one F on DME's backbone
    step = fluorinated["moves"][0]
    assert step["move"] == "raise-fluorination-level" and "3" in step["sections"] and step["principles"]
    # Section 4.1: F-containing solvents decompose at the Li anode into LiF-rich SEI.
    assert "LiF" in fluorinated["forms"]
    assert "ReactiveSEIFormation" in {m["id"] for m in fluorinated["mechanisms"]}
    # Fluorination lowers Li+ binding, which the review says costs ionic conductivity (section 3, [81]).
    assert "tradeoff-weak-binding-conductivity-oxidation" in {t["id"] for t in fluorinated["tradeoffs"]}
    # "fluorinated ether solvents can create more advantageous SEI components": ranked above the plain ether.
    assert fluorinated["rank"] < longer["rank"]


def test_every_fluorinated_candidate_forms_lif(from_dme):
    fluorinated = [c for c in from_dme["candidates"] if "F" in c["elements"]]
    assert fluorinated
    assert all("LiF" in c["forms"] for c in fluorinated), [c["smiles"] for c in fluorinated if "LiF" not in c["forms"]]


def test_no_duplicates_and_no_start_among_candidates(from_dme):
    keys = [c["inchiKey"] for c in from_dme["candidates"]] + [k["inchiKey"] for k in from_dme["knownInGraph"]]
    assert len(keys) == len(set(keys))
    assert _key("COCCOC") not in keys
    assert from_dme["dropped"]["duplicates"] > 0
    assert [c["rank"] for c in from_dme["candidates"]] == list(range(1, len(from_dme["candidates"]) + 1))
    scores = [c["score"] for c in from_dme["candidates"]]
    assert scores == sorted(scores, reverse=True)


def test_text_output_names_move_and_section(runner):
    result = runner.invoke(app, ["design", "--from", "DMB", "--moves", "fluorinate-ether-backbone,beta-activate-cf",
                                 "--depth", "2"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())  # long lines wrap at the console width
    # DMB -> FDMB -> AFA are both curated, so they are reported as the graph's species, with their moves.
    assert "lmk:FDMB" in text and "lmk:AFA" in text
    assert "fluorinate the ether backbone §4.1" in text
    assert "put an active group beta to a C-F §4.1" in text


def test_a_smiles_start_is_accepted(graph):
    origin = resolve_start(graph, "CCOC(C)=O")
    assert origin.species == str(LMK.EA)  # ethyl acetate is in the graph
    assert canonical("OCC") == resolve_start(graph, "OCC").smiles and resolve_start(graph, "OCC").species is None


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "XYZQ"], "'XYZQ' is neither a name in the graph nor a valid SMILES"),
    (["--from", "C1CC("], "'C1CC(' is neither a name in the graph nor a valid SMILES"),
    (["--from", "DME", "--moves", "teleport"], "unknown move 'teleport'"),
    (["--from", "DME", "--depth", "0"], "--depth must be at least 1 (got 0)"),
    (["--from", "DME", "--role", "catalyst"], "unknown role 'catalyst'"),
])
def test_bad_input_is_one_line_and_exit_1(runner, args, message):
    result = runner.invoke(app, ["design", *args])
    assert result.exit_code == 1
    assert message in result.output
    assert len([line for line in result.output.splitlines() if line.strip()]) == 1
    assert "Traceback" not in result.output


def test_design_api_raises_on_bad_depth():
    with pytest.raises(DesignInputError, match="at least 1"):
        design("DME", depth=0)


def test_bad_smarts_in_a_user_file_is_reported_with_file_and_line(tmp_path):
    user = tmp_path / "my-moves.ttl"
    user.write_text("""@prefix lma: <https://w3id.org/lmakg/ontology#> .
@prefix lmk: <https://w3id.org/lmakg/kg/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

lmk:move-broken a lma:DesignMove ; rdfs:label "broken" ;
    lma:hasExample [ a lma:MoveExample ; lma:exampleFrom lmk:EC ; lma:exampleTo lmk:FEC ] ;
    lma:reactionSmarts "[C:1>>[C:1]F" .

lmk:move-wrong a lma:DesignMove ; rdfs:label "wrong" ;
    lma:hasExample [ a lma:MoveExample ; lma:exampleFrom lmk:EC ; lma:exampleTo lmk:DFEC ] ;
    lma:reactionSmarts "[CX4;!H0:1]>>[C:1]-F" .
""", encoding="utf-8")
    species = resources.folder("kg") / "species-common.ttl"
    issues = check_design_moves(parse_files([species, user]))
    located = {(i.node, i.line, i.constraint) for i in issues}
    assert ("lmk:move-broken", 7, "RDKit reaction SMARTS") in located
    assert ("lmk:move-wrong", 11, "RDKit move example") in located  # EC -> FEC, not DFEC, in one step
    assert all(i.file.endswith("my-moves.ttl") for i in issues)


def test_curated_moves_pass_the_validator():
    files = [resources.folder("kg") / name for name in ("species-common.ttl", "section-4-1.ttl", "design-moves.ttl",
                                                        "curator/design-moves.ttl")]
    assert check_design_moves(parse_files(files)) == []


def test_molecule_hypotheses_are_novel_explained_and_leave_the_ranking_alone(knowledge):
    from lmakg.hypotheses.generate import generate

    default = generate(knowledge)
    both = generate(knowledge, kinds=("component", "combination", "molecule"))
    assert [h.id for h in both if h.kind != "molecule"] == [h.id for h in default]
    molecules = [h for h in both if h.kind == "molecule"]
    assert molecules and all(h.novel for h in molecules)
    for h in molecules:
        assert len(h.families) >= 2
        step = h.as_dict()["moves"][-1]
        assert step["label"] and step["sections"] and step["principles"]
    assert not [h for h in default if h.kind == "molecule"]
