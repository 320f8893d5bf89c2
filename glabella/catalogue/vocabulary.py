"""What a typed medication, allergy or condition is, for the screening rules.

Patients and staff type names ("Gentamycin", "coumadin 5mg", "myasthenia"); the rules speak of
classes (aminoglycosides, anticoagulants, neuromuscular disorders). `recognise` maps one to the
other through a curated list of generic and common US brand names, tolerant of case, accents,
doses and small misspellings. An entry it does not recognise is returned as such, never dropped:
the provider reviews it. Pure data and functions: no database.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    MEDICATION = "medication"
    ALLERGY = "allergy"
    CONDITION = "condition"


class Class(StrEnum):
    # medications
    AMINOGLYCOSIDE = "aminoglycoside"
    NEUROMUSCULAR_DRUG = "neuromuscular_drug"  # other drugs acting on neuromuscular transmission
    ANTICHOLINERGIC = "anticholinergic"
    MUSCLE_RELAXANT = "muscle_relaxant"
    ANTICOAGULANT = "anticoagulant"
    ANTIPLATELET = "antiplatelet"
    BOTULINUM_TOXIN = "botulinum_toxin"
    NSAID = "nsaid"  # anti-inflammatory painkillers: bruising is likelier
    BRUISING_RISK = "bruising_risk"  # supplements that make bruising likelier
    # allergies (to a product or an ingredient)
    ALBUMIN = "human_albumin"
    MILK_PROTEIN = "cows_milk_protein"
    # conditions
    NEUROMUSCULAR_DISORDER = "neuromuscular_disorder"
    SWALLOWING_OR_BREATHING = "swallowing_or_breathing"
    CARDIOVASCULAR = "cardiovascular"
    BLEEDING_DISORDER = "bleeding_disorder"
    DRY_EYE = "dry_eye"


# name -> classes, per kind. Generic names first, then US brands; all are matched folded.
MEDICATIONS: dict[str, frozenset[Class]] = {
    **dict.fromkeys(
        [
            "gentamicin",
            "tobramycin",
            "amikacin",
            "neomycin",
            "streptomycin",
            "kanamycin",
            "plazomicin",
            "garamycin",
            "tobi",
            "arikayce",
            "neo-fradin",
        ],
        frozenset({Class.AMINOGLYCOSIDE, Class.NEUROMUSCULAR_DRUG}),
    ),
    **dict.fromkeys(
        [
            "polymyxin b",
            "colistin",
            "quinidine",
            "magnesium sulfate",
            "succinylcholine",
            "rocuronium",
            "vecuronium",
            "pyridostigmine",
            "mestinon",
            "anectine",
            "zemuron",
        ],
        frozenset({Class.NEUROMUSCULAR_DRUG}),
    ),
    **dict.fromkeys(
        [
            "oxybutynin",
            "tolterodine",
            "solifenacin",
            "trospium",
            "glycopyrrolate",
            "scopolamine",
            "hyoscyamine",
            "benztropine",
            "trihexyphenidyl",
            "dicyclomine",
            "ditropan",
            "detrol",
            "vesicare",
            "robinul",
            "transderm scop",
            "levsin",
            "cogentin",
            "bentyl",
        ],
        frozenset({Class.ANTICHOLINERGIC}),
    ),
    **dict.fromkeys(
        [
            "cyclobenzaprine",
            "tizanidine",
            "baclofen",
            "methocarbamol",
            "carisoprodol",
            "metaxalone",
            "dantrolene",
            "flexeril",
            "zanaflex",
            "lioresal",
            "robaxin",
            "soma",
            "skelaxin",
            "dantrium",
        ],
        frozenset({Class.MUSCLE_RELAXANT}),
    ),
    **dict.fromkeys(
        [
            "warfarin",
            "apixaban",
            "rivaroxaban",
            "dabigatran",
            "edoxaban",
            "heparin",
            "enoxaparin",
            "coumadin",
            "jantoven",
            "eliquis",
            "xarelto",
            "pradaxa",
            "savaysa",
            "lovenox",
            "fondaparinux",
            "arixtra",
        ],
        frozenset({Class.ANTICOAGULANT}),
    ),
    **dict.fromkeys(
        ["aspirin", "bayer", "ecotrin", "excedrin", "bufferin"],
        frozenset({Class.ANTIPLATELET, Class.NSAID}),
    ),
    **dict.fromkeys(
        [
            "clopidogrel",
            "prasugrel",
            "ticagrelor",
            "dipyridamole",
            "plavix",
            "effient",
            "brilinta",
            "aggrenox",
            "cilostazol",
            "pletal",
            "ticlopidine",
        ],
        frozenset({Class.ANTIPLATELET}),
    ),
    **dict.fromkeys(
        [
            "onabotulinumtoxina",
            "abobotulinumtoxina",
            "incobotulinumtoxina",
            "prabotulinumtoxina",
            "daxibotulinumtoxina",
            "letibotulinumtoxina",
            "rimabotulinumtoxinb",
            "botox",
            "botox cosmetic",
            "dysport",
            "xeomin",
            "jeuveau",
            "daxxify",
            "letybo",
            "myobloc",
            "botulinum toxin",
        ],
        frozenset({Class.BOTULINUM_TOXIN}),
    ),
}

# Common and harmless for these rules: recognised (so not sent for review), read by no rule.
NO_CLASS: frozenset[Class] = frozenset()
MEDICATIONS.update(
    {
        **dict.fromkeys(
            [
                "ibuprofen",
                "naproxen",
                "advil",
                "motrin",
                "aleve",
                "naprosyn",
                "celecoxib",
                "celebrex",
                "meloxicam",
                "mobic",
                "diclofenac",
                "voltaren",
                "ketorolac",
                "toradol",
                "indomethacin",
                "indocin",
                "nabumetone",
                "etodolac",
                "piroxicam",
                "ketoprofen",
                "nsaid",
                "nsaids",
            ],
            frozenset({Class.NSAID}),
        ),
        **dict.fromkeys(
            [
                "fish oil",
                "omega 3",
                "omega-3",
                "vitamin e",
                "ginkgo",
                "ginkgo biloba",
                "garlic supplement",
                "turmeric",
                "krill oil",
                "vitamin e oil",
            ],
            frozenset({Class.BRUISING_RISK}),
        ),
        **dict.fromkeys(
            [
                "levothyroxine",
                "synthroid",
                "lisinopril",
                "amlodipine",
                "losartan",
                "metformin",
                "atorvastatin",
                "lipitor",
                "rosuvastatin",
                "crestor",
                "simvastatin",
                "omeprazole",
                "prilosec",
                "pantoprazole",
                "famotidine",
                "sertraline",
                "zoloft",
                "escitalopram",
                "lexapro",
                "fluoxetine",
                "prozac",
                "bupropion",
                "wellbutrin",
                "birth control",
                "oral contraceptive",
                "the pill",
                "estradiol",
                "progesterone",
                "vitamin d",
                "vitamin c",
                "multivitamin",
                "biotin",
                "iron",
                "calcium",
                "magnesium",
                "cetirizine",
                "zyrtec",
                "loratadine",
                "claritin",
                "fexofenadine",
                "allegra",
                "montelukast",
                "singulair",
                "acetaminophen",
                "tylenol",
                "sumatriptan",
                "imitrex",
                "rizatriptan",
                "maxalt",
                "spironolactone",
                "tretinoin",
                "retin-a",
                "minoxidil",
                "semaglutide",
                "ozempic",
                "wegovy",
                "tirzepatide",
                "mounjaro",
                "zepbound",
            ],
            NO_CLASS,
        ),
    }
)

ALLERGIES: dict[str, frozenset[Class]] = {
    **dict.fromkeys(
        [
            "penicillin",
            "amoxicillin",
            "cephalosporins",
            "cephalexin",
            "keflex",
            "sulfa",
            "sulfa drugs",
            "sulfonamides",
            "codeine",
            "morphine",
            "erythromycin",
            "latex",
            "peanuts",
            "peanut",
            "tree nuts",
            "shellfish",
            "eggs",
            "egg",
            "pollen",
            "dust",
            "cats",
            "dogs",
            "nickel",
            "bee stings",
            "adhesive",
            "iodine",
        ],
        NO_CLASS,
    ),
    **dict.fromkeys(
        ["human albumin", "albumin", "human serum albumin", "albumin human"],
        frozenset({Class.ALBUMIN}),
    ),
    **dict.fromkeys(
        [
            "cow's milk protein",
            "cows milk protein",
            "cow's milk",
            "milk protein",
            "milk",
            "dairy",
            "casein",
            "whey",
            "lactoglobulin",
        ],
        frozenset({Class.MILK_PROTEIN}),
    ),
    **{name: classes for name, classes in MEDICATIONS.items() if Class.BOTULINUM_TOXIN in classes},
}

CONDITIONS: dict[str, frozenset[Class]] = {
    **dict.fromkeys(
        [
            "hypothyroidism",
            "underactive thyroid",
            "diabetes",
            "type 2 diabetes",
            "migraine",
            "migraines",
            "anxiety",
            "depression",
            "acne",
            "eczema",
            "high cholesterol",
            "acid reflux",
            "gerd",
            "arthritis",
            "osteoarthritis",
            "osteoporosis",
            "seasonal allergies",
            "hay fever",
            "insomnia",
        ],
        NO_CLASS,
    ),
    **dict.fromkeys(
        [
            "myasthenia gravis",
            "myasthenia",
            "lambert-eaton syndrome",
            "lambert eaton",
            "lambert-eaton myasthenic syndrome",
            "amyotrophic lateral sclerosis",
            "als",
            "lou gehrig's disease",
            "motor neuropathy",
            "peripheral motor neuropathy",
            "motor neuron disease",
        ],
        frozenset({Class.NEUROMUSCULAR_DISORDER}),
    ),
    **dict.fromkeys(
        [
            "dysphagia",
            "trouble swallowing",
            "difficulty swallowing",
            "copd",
            "asthma",
            "emphysema",
            "breathing problems",
            "shortness of breath",
        ],
        frozenset({Class.SWALLOWING_OR_BREATHING}),
    ),
    **dict.fromkeys(
        [
            "heart disease",
            "coronary artery disease",
            "heart failure",
            "arrhythmia",
            "atrial fibrillation",
            "afib",
            "heart attack",
            "myocardial infarction",
            "angina",
        ],
        frozenset({Class.CARDIOVASCULAR}),
    ),
    **dict.fromkeys(
        [
            "hemophilia",
            "haemophilia",
            "von willebrand disease",
            "von willebrand",
            "thrombocytopenia",
            "bleeding disorder",
            "easy bruising",
        ],
        frozenset({Class.BLEEDING_DISORDER}),
    ),
    **dict.fromkeys(
        ["dry eye", "dry eyes", "dry eye disease", "keratoconjunctivitis sicca", "sjogren's"],
        frozenset({Class.DRY_EYE}),
    ),
}

# How a medicine is named to the injector: a brand with its generic name ("Eliquis (apixaban)"),
# a generic name as it is written. Keys are vocabulary names; a name not here is shown as it is.
BRANDS: dict[str, tuple[str, str]] = {
    "coumadin": ("Coumadin", "warfarin"),
    "jantoven": ("Jantoven", "warfarin"),
    "eliquis": ("Eliquis", "apixaban"),
    "xarelto": ("Xarelto", "rivaroxaban"),
    "pradaxa": ("Pradaxa", "dabigatran"),
    "savaysa": ("Savaysa", "edoxaban"),
    "lovenox": ("Lovenox", "enoxaparin"),
    "arixtra": ("Arixtra", "fondaparinux"),
    "plavix": ("Plavix", "clopidogrel"),
    "effient": ("Effient", "prasugrel"),
    "brilinta": ("Brilinta", "ticagrelor"),
    "aggrenox": ("Aggrenox", "aspirin and dipyridamole"),
    "pletal": ("Pletal", "cilostazol"),
    "bayer": ("Bayer", "aspirin"),
    "ecotrin": ("Ecotrin", "aspirin"),
    "excedrin": ("Excedrin", "aspirin"),
    "bufferin": ("Bufferin", "aspirin"),
    "advil": ("Advil", "ibuprofen"),
    "motrin": ("Motrin", "ibuprofen"),
    "aleve": ("Aleve", "naproxen"),
    "naprosyn": ("Naprosyn", "naproxen"),
    "celebrex": ("Celebrex", "celecoxib"),
    "mobic": ("Mobic", "meloxicam"),
    "voltaren": ("Voltaren", "diclofenac"),
    "toradol": ("Toradol", "ketorolac"),
    "indocin": ("Indocin", "indomethacin"),
}
SPELLED = {
    "nsaid": "NSAID",
    "nsaids": "NSAIDs",
    "vitamin e": "Vitamin E",
    "vitamin e oil": "Vitamin E oil",
}

VOCABULARY = {Kind.MEDICATION: MEDICATIONS, Kind.ALLERGY: ALLERGIES, Kind.CONDITION: CONDITIONS}
_DOSE = re.compile(r"\b\d+(\.\d+)?\s*(mg|mcg|g|ml|units?|u|iu|%)?\b")
# Words that say how, not what: "gentamicin eye drops", "aspirin daily".
_NOISE = {
    "tablet",
    "tablets",
    "tab",
    "daily",
    "drops",
    "eye",
    "cream",
    "injection",
    "shot",
    "oral",
    "po",
    "bid",
    "tid",
    "qd",
    "as",
    "needed",
    "prn",
    "low",
    "dose",
    "allergy",
    "to",
    "sulfate",
    "sodium",
    "hcl",
    "er",
    "xr",
    "sr",
}


def fold(text: str) -> str:
    """Lower case, accents and punctuation gone, doses dropped, spaces single."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    text = text.replace("'", "")
    text = _DOSE.sub(" ", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


def _keys(kind: Kind) -> dict[str, frozenset[Class]]:
    return {fold(name): classes for name, classes in VOCABULARY[kind].items()}


_FOLDED = {kind: _keys(kind) for kind in Kind}


@dataclass(frozen=True)
class Recognition:
    text: str  # as typed
    term: str | None  # the vocabulary's name it was taken for; None: not recognised
    classes: frozenset[Class]
    exact: bool  # False when a misspelling was forgiven: shown so the provider can check

    @property
    def recognised(self) -> bool:
        return self.term is not None


@functools.lru_cache(maxsize=8192)
def recognise(kind: Kind, text: str) -> Recognition:
    """The classes a typed name belongs to; unrecognised names come back with `term` None."""
    table = _FOLDED[kind]
    folded = fold(text)
    if folded in table:
        return Recognition(text, folded, table[folded], True)
    words = [w for w in folded.split() if w not in _NOISE]
    core = " ".join(words)
    if core in table:
        return Recognition(text, core, table[core], True)
    # Every run of words that is a known name, longest first: "aspirin and fish oil" is both,
    # "coumadin for afib" is coumadin (the term shows the provider what it was read as).
    found: list[tuple[int, str]] = []
    taken = [False] * len(words)
    for size in range(len(words), 0, -1):
        for i in range(len(words) - size + 1):
            phrase = " ".join(words[i : i + size])
            if phrase in table and len(phrase) >= 3 and not any(taken[i : i + size]):
                found.append((i, phrase))
                taken[i : i + size] = [True] * size
    if found:
        found.sort()
        classes = frozenset().union(*(table[p] for _, p in found))
        return Recognition(text, ", ".join(p for _, p in found), classes, True)
    # Small misspellings of a long enough name ("gentamycin", "warfrin").
    if len(core) >= 5:
        close = difflib.get_close_matches(core, [k for k in table if len(k) >= 5], n=1, cutoff=0.85)
        if close:
            return Recognition(text, close[0], table[close[0]], False)
    return Recognition(text, None, frozenset(), False)


def display_name(term: str) -> str:
    """A vocabulary name as the injector reads it: "Eliquis (apixaban)", "Warfarin"."""
    if term in BRANDS:
        brand, generic = BRANDS[term]
        return f"{brand} ({generic})"
    if term in SPELLED:
        return SPELLED[term]
    return term[:1].upper() + term[1:]


def names_in(kind: Kind, found: Recognition, classes: frozenset[Class]) -> list[str]:
    """The names of a recognised entry that belong to any of `classes`, for display: "aspirin
    and fish oil" read for blood thinning is ["Aspirin", "Fish oil"]."""
    if not found.recognised:
        return []
    table = _FOLDED[kind]
    return [
        display_name(part)
        for part in found.term.split(", ")
        if table.get(part, frozenset()) & classes
    ]
