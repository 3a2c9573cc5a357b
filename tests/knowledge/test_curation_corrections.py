"""The curation corrections of the kg/ audit: the asserted graph says what the review says, and the
curator's inferences live apart, in kg/curator/ (named graph https://w3id.org/lmakg/graph/curator).

Each test quotes the review sentence it checks (Yin et al., Batteries & Supercaps 2022; full text in
../shared/review/) and asks the store that `lmakg build` loads (`load_knowledge`), graph by graph.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from lmakg.knowledge import resources
from lmakg.knowledge.load import graph_for, load_knowledge
from lmakg.knowledge.resources import knowledge_files
from lmakg.knowledge.store import open_store
from lmakg.reasoning.provenance import reasoning_graphs

ASSERTED = "https://w3id.org/lmakg/graph/asserted"
CURATOR = "https://w3id.org/lmakg/graph/curator"


@pytest.fixture(scope="module")
def store():
    """The knowledge exactly as `lmakg build` loads it (no rules: the corrections are about curated facts)."""
    kg = open_store("oxigraph:")
    load_knowledge(kg)
    return kg


def ask(store, where: str) -> bool:
    return store.ask(f"ASK {{ {where} }}")


def in_graph(store, graph: str, pattern: str) -> bool:
    return ask(store, f"GRAPH <{graph}> {{ {pattern} }}")


def values(store, graph: str, pattern: str, var: str = "x") -> set[str]:
    rows = store.select(f"SELECT ?{var} WHERE {{ GRAPH <{graph}> {{ {pattern} }} }}")
    return {row[var].value.rsplit("#", 1)[-1].rsplit("/", 1)[-1] for row in rows}


# --- the engine: kg/curator/ is loaded into its own named graph -----------------------------------------

def test_curator_files_load_into_the_curator_graph_and_rules_read_it(store):
    """`lmakg build` must keep the curator's inferences apart from the review's claims, and the rules
    must still read both."""
    curator_files = sorted((resources.folder("kg") / "curator").glob("*.ttl"))
    assert curator_files, "kg/curator/ holds the curator's inferences"
    assert set(curator_files) <= set(knowledge_files())
    assert {graph_for(p) for p in curator_files} == {CURATOR}
    assert graph_for(resources.folder("kg") / "section-5.ttl") == ASSERTED
    assert CURATOR in store.named_graphs() and ASSERTED in store.named_graphs()
    assert CURATOR in reasoning_graphs(store)
    for path in curator_files:  # a header comment per file, a `# why` per statement
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# Curator's inferences")
        statements = [line for line in text.splitlines() if line.startswith("lmk:")]
        assert statements and text.count("# why:") >= len(statements), path.name


# --- 1. section 4.1, -SO2F-grafted polymer SEI [124] ------------------------------------------------------

def test_1_so2f_polymer_is_reactive_sei_formation_lithophilic_guidance_is_the_curators(store):
    """4.1 [124]: "The –SO₂F groups can react in situ with Li to produce –SO₂Li and LiF. ... the ordered
    –SO₂Li groups in the hexagonal pores can effectively serve as ionic conducting sites to boost the Li⁺
    affinity of the SEI layer and provide satisfactory ion redistribution at the interphase."
    The review credits reactive SEI formation; lithophilic guidance is the curator's reading."""
    design = "lmk:design-SO2F-polymer-artificial-SEI"
    assert values(store, ASSERTED, f"{design} lma:actsThrough ?x") == {"ReactiveSEIFormation"}
    assert values(store, ASSERTED, f"{design} lma:hasComponent/lma:actsThrough ?x") == {"ReactiveSEIFormation"}
    assert values(store, ASSERTED, f"{design} lma:forms ?x") == {"LiF", "SO2Li"}
    assert in_graph(store, CURATOR, f"{design} lma:actsThrough lma:LithophilicGuidance")
    # "reported multifunctional" means the review reports it: neither graph says so for this design
    assert not ask(store, f"{design} lma:reportedMultifunctional ?any")


# --- 2. section 4.1, LiFSI vs LiTFSI [108] ----------------------------------------------------------------

def test_2_lifsi_forms_lif_only_the_caption_fragments_are_not_credited_to_it(store):
    """4.1 [108]: "LiFSI produces more LiF components in the SEI layer than LiTFSI because the S–F bond
    is more unstable than the C–F bond". The Figure 7a caption ("Ni|Li₂S cells with LiTFSI and LiFSI
    salts ... SO⁻, LiF₂⁻ and C₂H₃O⁻ secondary ions correspond to Li₂SₓO_y, LiF and ROLi") is about cells
    with either salt, so Li₂SₓO_y and ROLi are not products of the LiFSI design."""
    design = "lmk:design-LiFSI-vs-LiTFSI"
    assert values(store, ASSERTED, f"{design} lma:forms ?x") == {"LiF"}
    assert values(store, ASSERTED, f"{design} lma:hasComponent/lma:forms ?x") == {"LiF"}
    assert not ask(store, f"{design} lma:forms ?x FILTER(?x IN (lma:Li2SxOy, lma:ROLi))")


# --- 3. section 3 [83]: EC with varying fluorination and DFEC; design-move examples ------------------------

def test_3_fluorination_series_names_ec_and_dfec_and_move_examples_are_apart(store):
    """3 [83]: "the Li group studied the effect of EC molecules with varying degrees of fluorination on
    the Li⁺ de-solvation process ... the de-solvation rate of Li⁺ with difluoroethylene carbonate (DFEC)
    electrolyte increased sixfold" (FEC is not named there). 4.1 [103]: "FEC and BTC" made by fluorinating
    "the commercial solvents EC and DEC". 4.1 [116]: AFA "with active nitrate ending group and inert
    methoxyl on the side of fluorocarbon segment" (the methoxyl molecule is not named)."""
    label = store.select(f"SELECT ?l WHERE {{ GRAPH <{ASSERTED}> {{ lmk:design-fluorinated-EC-DFEC rdfs:label ?l }} }}")
    assert "FEC," not in label[0]["l"].value and "DFEC" in label[0]["l"].value
    example = "lma:hasExample [ lma:exampleFrom lmk:{} ; lma:exampleTo lmk:{} ; lma:citesReference lmk:ref-{} ]"
    # the review's own example of raising the fluorination level: EC -> FEC, section 4.1 [103]
    assert in_graph(store, ASSERTED, "lmk:move-raise-fluorination-level " + example.format("EC", "FEC", "103"))
    # nothing asserted cites [83] for an example that goes through FEC
    assert not in_graph(store, ASSERTED, "?m lma:hasExample ?e . ?e lma:citesReference lmk:ref-83 ; "
                                         "lma:exampleFrom|lma:exampleTo lmk:FEC")
    assert not in_graph(store, ASSERTED, "?m lma:hasExample/lma:exampleFrom lmk:FDMB")
    # the curator's readings
    assert in_graph(store, CURATOR, "lmk:move-raise-fluorination-level " + example.format("FEC", "DFEC", "83"))
    assert in_graph(store, CURATOR, "lmk:move-beta-activate-cf " + example.format("FDMB", "AFA", "116"))


# --- 4. section 5.1, the Cao Group's LHCEs [144] -----------------------------------------------------------

def test_4_cao_group_lhces_do_not_inherit_the_generic_lhce_claims_and_tfeb_is_a_reported_failure(store):
    """5.1 [144]: "the Cao Group systematically studied different electrochemical behavior of TTE, ...
    BTFE, ... TFEO, ... (BT FEC), ... (TFEB) in DME-based LHCE. The poor performance of TFEB-based LHCEs
    is because the electron-deficient boron in TFEB accelerates the O₂ escape from NCM811 and accelerates
    the degradation of the cathode." No CIP/AGG or SEI product is reported for any single diluent."""
    for dil in ("TTE", "BTFE", "TFEO", "BTFEC", "TFEB"):
        design = f"lmk:design-LHCE-DME-{dil}"
        assert not in_graph(store, ASSERTED, f"{design} lma:promotesSolvationStructure ?x"), dil
        assert not in_graph(store, ASSERTED, f"{design} (lma:forms|lma:hasComponent/lma:forms) ?x"), dil
    for dil in ("TTE", "BTFE", "TFEO"):  # the curator's extension of the generic LHCE sentence
        assert values(store, CURATOR, f"lmk:design-LHCE-DME-{dil} lma:promotesSolvationStructure ?x") == {"CIP", "AGG"}
        assert in_graph(store, CURATOR, f"lmk:design-LHCE-DME-{dil} lma:forms lma:AnionDerivedSEI")
    assert not ask(store, "lmk:design-LHCE-DME-TFEB lma:forms ?x")
    # the review's reported failure, with its section and reference
    assert in_graph(store, ASSERTED, "?t a lma:TradeOff ; lma:limits lmk:design-LHCE-DME-TFEB, lmk:TFEB ; "
                                     "lma:inSection lmk:sec-5-1 ; lma:citesReference lmk:ref-144 ; "
                                     "lma:tradeOffCategory lma:CathodeCompatibilityTradeOff")
    # the generic LHCE keeps what the review says of LHCEs in general
    assert values(store, ASSERTED, "lmk:design-LHCE lma:promotesSolvationStructure ?x") == {"CIP", "AGG"}


# --- 5. section 5.1, HCE outcomes -------------------------------------------------------------------------

def test_5_hce_improves_safety_non_flammability_is_the_curators_reading(store):
    """5.1 [1,142,149–153]: "HCE can prevent the corrosion of aluminum current collectors, extend the
    electrochemical stability window of electrolytes, limit the decomposition of solvents, improve
    safety, and inhibit the volatilization of flammable solvents." """
    assert values(store, ASSERTED, "lmk:design-HCE lma:hasOutcome ?x") == {"HighTransferenceNumber",
                                                                            "HighVoltageStability"}
    assert in_graph(store, CURATOR, "lmk:design-HCE lma:hasOutcome lma:NonFlammability")
    statement = store.select("SELECT ?s WHERE { lmk:design-HCE lma:statement ?s }")[0]["s"].value
    assert "improves safety and inhibits volatilization of flammable solvents" in statement


# --- 6. section 6.2, PR-PAA [186] -------------------------------------------------------------------------

def test_6_pr_paa_statement_holds_no_editorial(store):
    """6.2 [186]: "Polymers with moveable cross-links show their potential in artificial interphases by
    combining excellent fracture resistance with high toughness. ... Guo et al. improved the
    electrochemical performance of the Li anode by coating it with a highly flexible and elastic ...
    (PRPAA) polymer as an artificial SEI layer." The review never says "rather than by a high modulus"."""
    row = store.select("SELECT ?s ?n WHERE { lmk:design-PR-PAA-artificial-SEI lma:statement ?s ; skos:note ?n }")[0]
    assert "rather than by a high modulus" not in row["s"].value
    assert "rather than by a high modulus" in row["n"].value and "Curator's remark" in row["n"].value


# --- 7. sections 2.2 and 5.1: Li excess, one unit and one reading ----------------------------------------

def test_7_li_excess_is_recorded_in_one_unit_and_one_reading(store):
    """2.2 [50]: "In the situation of 200% excess Li, Li|NMC811 cells with the crown-ether additives";
    5.1 [164]: "Li||LFP batteries (three times excess Li source)". Both are read as the Li excess over the
    cathode capacity in percent: 200 % and 3 x 100 % = 300 %."""
    rows = store.select(f"""SELECT ?design ?v ?unit ?cond WHERE {{ GRAPH <{ASSERTED}> {{
        ?design lma:hasQuantity ?q . ?q lma:quantityKind lma:NPRatio ; qudt:numericValue ?v ; qudt:unit ?unit ;
        lma:condition ?cond }} }}""")
    found = {r["design"].value.rsplit("/", 1)[-1]: r for r in rows}
    crown, wse = found["design-crown-ether-complex"], found["design-WSE-DMDMS"]
    assert Decimal(crown["v"].value) == Decimal("200") and Decimal(wse["v"].value) == Decimal("300")
    assert crown["unit"].value == wse["unit"].value == "http://qudt.org/vocab/unit/PERCENT"
    assert "200% excess Li" in crown["cond"].value and "three times excess Li source" in wse["cond"].value
    assert all("Li excess over the cathode capacity" in r["cond"].value for r in (crown, wse))


# --- 8. section 6.2, the DLC/PP cathode [187] -------------------------------------------------------------

def test_8_dlc_pp_cathode_is_named_as_printed(store):
    """6.2 [187]: "The Li || LiNi₀.₅Co₀.₃Mn₀.₂O₂ batteries with high-loading cathodes of 9 mg cm⁻² active
    material and DLC/PP separators" (Ni 0.5, Co 0.3, Mn 0.2: NCM532, not NCM523)."""
    conditions = [r["c"].value for r in store.select(
        "SELECT ?c WHERE { lmk:design-DLC-PP-separator lma:hasQuantity/lma:condition ?c }")]
    assert conditions and not any("NCM523" in c for c in conditions)
    assert any("LiNi0.5Co0.3Mn0.2O2" in c and "NCM532" in c for c in conditions)
    assert not ask(store, "?x ?p ?c FILTER(isLiteral(?c) && CONTAINS(STR(?c), 'NCM523'))")


# --- 9. section 2.1, proteins and PNIPAM [57, 63] ---------------------------------------------------------

@pytest.mark.parametrize(("design", "species"), [("design-protein-CO-NH-groups", "protein"),
                                                 ("design-PNIPAM-CO-NH-groups", "PNIPAM")])
def test_9_proteins_and_pnipam_are_lithophilic_designs(store, design, species):
    """2.1 [57,63]: "C=O and —NH— groups are also present in proteins and poly(N-isopropylacrylamide)
    (PNIPAM) polymer, allowing them to achieve uniform Li⁺ flux." (C=O and —NH— are "typical lithophilic
    functional groups".)"""
    d = f"lmk:{design}"
    assert in_graph(store, ASSERTED, f"{d} a lma:Design ; lma:inSection lmk:sec-2-1 ; "
                                     f"lma:citesReference lmk:ref-57, lmk:ref-63 ; lma:actsThrough lma:LithophilicGuidance ; "  # noqa: E501
                                     f"lma:hasComponent [ lma:species lmk:{species} ; lma:actsThrough lma:LithophilicGuidance ] ; "  # noqa: E501
                                     f"lma:placement ?placement")
    assert in_graph(store, ASSERTED, f"lmk:{species} lma:hasFunctionalGroup lma:Carbonyl, lma:Imino")


def test_9_placements_are_sourced_or_marked_not_stated(store):
    """The review states no position for either; the protein's separator placement comes from the
    abstract of ref. [63] (collagen hydrolysate coated on an absorbed glass mat separator), PNIPAM's is
    not stated."""
    assert values(store, ASSERTED, "lmk:design-protein-CO-NH-groups lma:placement ?x") == {"SeparatorPlacement"}
    assert in_graph(store, ASSERTED, "lmk:design-protein-CO-NH-groups lma:externalSource ?src "
                                     "FILTER(CONTAINS(?src, 'eabb1342') && CONTAINS(?src, 'Collagen hydrolysate'))")
    assert values(store, ASSERTED, "lmk:design-PNIPAM-CO-NH-groups lma:placement ?x") == {"PlacementNotStated"}
    assert in_graph(store, ASSERTED, "lmk:design-PNIPAM-CO-NH-groups lma:hasComponent [ a lma:UnstatedRole ]")


# --- 10. components the review credits directly -----------------------------------------------------------

@pytest.mark.parametrize(("design", "species", "why"), [
    ("design-WSE-dioxane", "dioxane-1-4", "5.1 [161]: 'a weakly solvating electrolyte (WSE) composed of pure "
     "nonpolar solvent [1,4-dioxane] ... with large quantities of CIP and AGGs forming'"),
    ("design-WSE-DMDMS", "DMDMS", "5.1 [164]: 'dimethyl dimethoxy silicone as a new weak coordination solvent "
     "that could create a significant number of CIP and AGGs'"),
    ("design-NL-benzene", "benzene", "5.1 [145]: 'used benzene as NL cosolvent and observed that CIP and AGGs "
     "in the electrolyte increased significantly'"),
    ("design-Li2O-suspension", "Li2O", "5.2 [139]: 'Li2O was used as an additive to construct a suspended "
     "electrolyte system, which can also be used to construct an anion-rich Li+ solvation structure'"),
    ("design-front-face-sieves", "sub-nanometre-sieve", "5.3 [166]: 'placed the sieves with sub-nanometer "
     "screening ability ... to adjust the de-solvation process to occur on the surface of the sieves in advance'"),
])
def test_10_credited_components_act_through_anion_rich_solvation(store, design, species, why):
    """The review credits these species themselves with the anion-rich solvation structure (see `why`)."""
    prefix = "lma" if species == "Li2O" else "lmk"
    assert in_graph(store, ASSERTED, f"lmk:{design} lma:hasComponent [ lma:species {prefix}:{species} ; "
                                     f"lma:actsThrough lma:AnionRichSolvation ]"), why
