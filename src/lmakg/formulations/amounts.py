"""Amounts as written -> moles of every component, then the numbers researchers compare: salt molarity
(mol/L) and molality (mol/kg), mole fractions, the solvent : salt molar ratio, and the local salt molarity in
the solvents that dissolve the salt (the measure of an LHCE's clusters).

The conventions (tests/golden/formulations.toml states them with worked examples):

* molarity: 1 L of solution ~ 1 L of the solvent blend (the salt's own volume neglected); solvent i has
  phi_i x 1000 mL x rho_i grams. Volume ratios give phi directly; weight ratios through w_i / rho_i; molar
  ratios through x_i M_i / rho_i.
* molality: 1 kg of the solvent blend, split by the weight ratio (or v_i rho_i, or n_i M_i).
* molar ratios ("LiFSI-1.2DME-3TTE"): moles as written.
* additives: mol/L -> c x 1 L; wt% -> m = w / (100 - w) x mass of everything else; vol% -> V = v / (100 - v) x
  1000 mL; a bare "%" is not converted (it does not say by weight or by volume).

Every density used is reported with its source; a density the graph lacks is reported as missing and the
numbers that need it are left out (never guessed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lmakg.formulations.components import Species
from lmakg.formulations.language import Formulation, Part

#: Component classes whose species are solids at room temperature (salts): not counted as liquid in molality.
SOLID_CLASSES = {"LithiumSaltClass", "InorganicAdditiveClass"}


@dataclass
class Amounts:
    moles: dict[str, float] = field(default_factory=dict)  # part index (str) -> mol, on the basis below
    basis: str | None = None  # "molarity", "molality" or "mol-ratio"
    salt_molarity: float | None = None
    salt_molality: float | None = None
    solvent_to_salt: float | None = None
    mole_fractions: dict[str, float] = field(default_factory=dict)
    local_molarity: float | None = None  # salt per litre of the non-diluent solvents
    densities: dict[str, dict[str, Any]] = field(default_factory=dict)  # species id -> value and source
    missing: list[str] = field(default_factory=list)  # what could not be computed, and why

    def as_dict(self) -> dict[str, Any]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {"basis": self.basis, "saltMolarity": r(self.salt_molarity), "saltMolality": r(self.salt_molality),
                "solventToSalt": r(self.solvent_to_salt), "localSaltMolarity": r(self.local_molarity),
                "moleFractions": {k: round(v, 4) for k, v in self.mole_fractions.items()},
                "densitiesUsed": self.densities}


class _Missing(Exception):
    """A value the computation needs is not in the graph."""


def _density(sp: Species, out: Amounts) -> float:
    value = sp.first("Density")
    if value is None:
        raise _Missing(f"no density of {sp.label} in the graph")
    out.densities[sp.id] = {"gPerMl": value.value, "source": value.source}
    return value.value


def normalise(form: Formulation, species: dict[str, Species], diluents: set[int] | None = None) -> Amounts:
    """Moles and derived amounts of a parsed formulation. ``diluents``: indices of the solvent parts credited as
    diluents (for the local molarity)."""
    out = Amounts()
    parts = list(form.parts)
    salts = [i for i, p in enumerate(parts) if p.kind == "salt"]
    solvents = [i for i, p in enumerate(parts) if p.kind == "solvent"]
    additives = [i for i, p in enumerate(parts) if p.kind == "additive"]
    sp = {i: species[p.iri] for i, p in enumerate(parts)}
    try:
        moles, volume_ml = _base_moles(parts, salts, solvents, sp, out)
    except _Missing as exc:
        out.missing.append(f"amounts not normalised: {exc}")
        return out
    for i in additives:
        try:
            moles[i] = _additive_moles(parts[i], sp[i], moles, volume_ml, sp, out)
        except _Missing as exc:
            out.missing.append(f"mole fractions not computed: {exc}")
            moles[i] = None  # type: ignore[assignment]
    salt_moles = sum(moles[i] for i in salts)
    liquid = [i for i in solvents + additives if moles.get(i) is not None and not (sp[i].classes & SOLID_CLASSES)]
    liquid_kg = sum(moles[i] * sp[i].molar_mass for i in liquid) / 1000
    out.moles = {str(i): n for i, n in moles.items() if n is not None}
    if salts and liquid_kg:
        out.salt_molality = salt_moles / liquid_kg
        out.solvent_to_salt = sum(moles[i] for i in liquid) / salt_moles
    if out.basis == "molarity":
        out.salt_molarity = sum(parts[i].amount or 0 for i in salts)
    elif volume_ml is None and salts:
        try:
            volume_ml = sum(moles[i] * sp[i].molar_mass / _density(sp[i], out) for i in solvents)
        except _Missing as exc:
            out.missing.append(f"salt molarity not computed: {exc}")
    if out.salt_molarity is None and volume_ml:
        out.salt_molarity = salt_moles / (volume_ml / 1000)
    if all(n is not None for n in moles.values()):
        total = sum(moles.values())
        out.mole_fractions = {sp[i].id: n / total for i, n in moles.items()}
    solvating = [i for i in solvents if i not in (diluents or set())]
    if diluents and solvating:
        try:
            local_ml = sum(moles[i] * sp[i].molar_mass / _density(sp[i], out) for i in solvating)
            out.local_molarity = salt_moles / (local_ml / 1000)
        except _Missing as exc:
            out.missing.append(f"local salt molarity not computed: {exc}")
    return out


def _solvent_fractions(parts: list[Part], solvents: list[int]) -> tuple[str | None, dict[int, float]]:
    """How the solvent blend is split: the ratio's basis and each solvent's share (summing to 1)."""
    if len(solvents) == 1:
        return "vol-ratio", {solvents[0]: 1.0}
    units = {parts[i].unit for i in solvents}
    if len(units) != 1 or None in units:
        raise _Missing("the solvent ratio is not stated")
    total = sum(parts[i].amount or 0 for i in solvents)
    return units.pop(), {i: (parts[i].amount or 0) / total for i in solvents}


def _base_moles(parts: list[Part], salts: list[int], solvents: list[int], sp: dict[int, Species],
                out: Amounts) -> tuple[dict[int, float], float | None]:
    """Moles of salts and solvents, and the solvent blend's volume in mL when the basis fixes it."""
    salt_units = {parts[i].unit for i in salts}
    if salt_units == {"mol-ratio"} or (not salts and {parts[i].unit for i in solvents} == {"mol-ratio"}):
        out.basis = "mol-ratio"
        moles = {i: float(parts[i].amount or 0) for i in salts}
        if len(solvents) == 1 and parts[solvents[0]].unit == "mol-ratio":
            moles[solvents[0]] = float(parts[solvents[0]].amount or 0)
            return moles, None
        basis, share = _solvent_fractions(parts, solvents)
        if basis != "mol-ratio":
            raise _Missing("a molar ratio of the salt needs the solvents in the same molar ratio")
        moles.update({i: share[i] * sum(parts[j].amount or 0 for j in solvents) for i in solvents})
        return moles, None
    if len(salt_units) > 1:
        raise _Missing("the salts are given in different units")
    if not solvents:
        raise _Missing("no solvent is named")
    basis, share = _solvent_fractions(parts, solvents)
    unit = salt_units.pop() if salt_units else "mol/L"
    if unit == "mol/L":
        out.basis = "molarity"
        if basis == "vol-ratio":
            volume = share
        elif basis == "wt-ratio":
            raw = {i: share[i] / _density(sp[i], out) for i in solvents}
            volume = {i: v / sum(raw.values()) for i, v in raw.items()}
        else:  # molar ratio of the solvents
            raw = {i: share[i] * sp[i].molar_mass / _density(sp[i], out) for i in solvents}
            volume = {i: v / sum(raw.values()) for i, v in raw.items()}
        moles = {i: volume[i] * 1000 * _density(sp[i], out) / sp[i].molar_mass for i in solvents}
        moles.update({i: float(parts[i].amount or 0) for i in salts})
        return moles, 1000.0
    if unit == "mol/kg":
        out.basis = "molality"
        if basis == "wt-ratio":
            mass = share
        elif basis == "vol-ratio":
            raw = {i: share[i] * _density(sp[i], out) for i in solvents} if len(solvents) > 1 else share
            mass = {i: m / sum(raw.values()) for i, m in raw.items()}
        else:
            raw = {i: share[i] * sp[i].molar_mass for i in solvents}
            mass = {i: m / sum(raw.values()) for i, m in raw.items()}
        moles = {i: mass[i] * 1000 / sp[i].molar_mass for i in solvents}
        moles.update({i: float(parts[i].amount or 0) for i in salts})
        return moles, None
    raise _Missing(f"a salt amount in {unit} cannot be normalised")


def _additive_moles(part: Part, sp: Species, moles: dict[int, float], volume_ml: float | None,
                    species: dict[int, Species], out: Amounts) -> float:
    amount = float(part.amount or 0)
    if part.unit == "mol/L":
        if volume_ml is None:
            raise _Missing(f"{sp.label} is given in mol/L but the blend's volume is not fixed")
        return amount * volume_ml / 1000
    if part.unit == "wt%":
        others = sum(n * species[i].molar_mass for i, n in moles.items() if n is not None)
        return amount / (100 - amount) * others / sp.molar_mass
    if part.unit == "vol%":
        if volume_ml is None:
            raise _Missing(f"{sp.label} is given in vol% but the blend's volume is not fixed")
        return amount / (100 - amount) * volume_ml * _density(sp, out) / sp.molar_mass
    raise _Missing(f"{sp.label} is given as a bare '%' (by weight or by volume is not stated)")
