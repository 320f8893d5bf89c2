"""Candidacy screening: intake answers and a product to a verdict, with every finding listed.

Rules are data: an id, a condition from a small fixed set of kinds, a severity, the products it
applies to, the areas it concerns (none: every area), the message for the provider and its source
(a section of the product's US label, the medication guide, or clinic policy). The engine
evaluates them per product, so a cow's milk allergy rules out Dysport and not BOTOX Cosmetic, and
an albumin allergy does not rule out DAXXIFY. Clinic-policy rules can be switched off by the
medical director (the service that stores the switch audits it); label rules cannot. For the
label's precautions the medical director chooses which need review (`needs_review`; the label's
defaults in `DEFAULT_REVIEW`): one that does not is a warning, shown but not holding the patient.
Pure: no database, no clock (the date is in the intake).

Verdict per product: `not_eligible` if any contraindication applies, else `review` if any
precaution does (for the provider to weigh), else `eligible`. Warnings (a label warning the
injector must heed, such as dry eye for crow's feet) and information (bruising is likelier, naming
the medicine) never change the outcome. An answer left unknown, or a typed medication, allergy or
condition the vocabulary does not recognise, is itself a precaution: the engine never calls a
patient eligible on information it could not read. A question that cannot apply to the patient
(pregnancy and breastfeeding for a male patient) holds nobody when left blank.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from glabella.catalogue.areas import Area
from glabella.catalogue.products import Product
from glabella.catalogue.vocabulary import Class, Kind, Recognition, names_in, recognise

ALL = frozenset(Product)
# Dysport lists human albumin among its ingredients (125 micrograms per vial, beside lactose),
# so an albumin allergy rules it out too; DAXXIFY has none. Letybo contains human albumin per
# its EU SmPC (the US text was not seen): treated as a contraindication until it says otherwise.
WITH_ALBUMIN = frozenset(
    {Product.BOTOX_COSMETIC, Product.DYSPORT, Product.XEOMIN, Product.JEUVEAU, Product.LETYBO}
)


class Severity(StrEnum):
    CONTRAINDICATION = "contraindication"  # not eligible
    PRECAUTION = "precaution"  # the provider reviews before deciding
    WARNING = "warning"  # a label warning for the injector; does not hold the patient
    INFORMATION = "information"  # for the injector (bruising is likelier); holds nobody


class Outcome(StrEnum):
    ELIGIBLE = "eligible"
    REVIEW = "review"
    NOT_ELIGIBLE = "not_eligible"


class Question(StrEnum):
    """Yes/no questions of the intake that rules read directly."""

    INFECTION_AT_SITE = "infection_at_site"
    NEUROMUSCULAR_DISORDER = "neuromuscular_disorder"
    SWALLOWING_OR_BREATHING = "swallowing_or_breathing"
    HEART_DISEASE = "heart_disease"
    EARLIER_TOXIN_REACTION = "earlier_toxin_reaction"
    FACIAL_SURGERY = "facial_surgery"
    DROOPING_LID_OR_BROW = "drooping_lid_or_brow"
    BLEEDING_PROBLEMS = "bleeding_problems"
    PREGNANT = "pregnant"
    BREASTFEEDING = "breastfeeding"
    RECENT_TOXIN = "recent_toxin"  # any botulinum toxin in the last 4 months
    # Asked outright as well as read from the typed allergies: a patient may not think to type
    # "albumin".
    ALLERGY_TOXIN = "allergy_toxin"
    ALLERGY_ALBUMIN = "allergy_albumin"
    ALLERGY_MILK = "allergy_milk"


@dataclass(frozen=True)
class Intake:
    """What screening needs to know. `answers` maps each question to True, False or None
    (not answered / not known)."""

    today: date
    birth_date: date | None
    answers: dict[Question, bool | None]
    allergies: tuple[str, ...] = ()
    medications: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    last_toxin_on: date | None = None  # any botulinum toxin, cosmetic or medical
    sex: str | None = None  # administrative sex: female, male, other, unknown

    @property
    def age(self) -> int | None:
        if self.birth_date is None:
            return None
        b, t = self.birth_date, self.today
        return t.year - b.year - ((t.month, t.day) < (b.month, b.day))


@dataclass(frozen=True)
class When:
    """A rule's condition. kind is one of: `answer` (arg: Question is yes), `allergy`,
    `medication`, `condition` (arg: a vocabulary Class), `age_under`, `age_at_least` (arg: years),
    `toxin_within_days` (arg: days)."""

    kind: str
    arg: object


@dataclass(frozen=True)
class Rule:
    id: str
    when: tuple[When, ...]  # any of them
    severity: Severity
    message: str
    source: str
    products: frozenset[Product] = ALL
    policy: bool = False  # clinic policy: the medical director may switch it off
    # A label precaution the medical director may set to need review or not; `severity` is the
    # label's default (PRECAUTION: needs review, WARNING: shown only).
    reviewable: bool = False
    areas: frozenset[Area] = frozenset()  # the areas it concerns; empty: every area
    # One finding per medicine or condition that meets it, named in the message, which then
    # holds "{what}" (bruising: "Eliquis (apixaban): bruising is more likely").
    per_entry: bool = False


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    source: str
    because: str  # what in the intake set it off, in the patient's own words where typed
    areas: tuple[Area, ...] = ()  # the areas it concerns; empty: every area


@dataclass(frozen=True)
class Verdict:
    product: Product
    outcome: Outcome
    findings: tuple[Finding, ...]
    unrecognised: tuple[Recognition, ...] = field(default=())


LABEL = "US prescribing information"
# The source of a finding about the answers themselves (one not given, an entry not known).
SCREENING = "The clinic's screening questions"
RULES: tuple[Rule, ...] = (
    # Contraindications (label, section 4)
    Rule(
        "toxin-hypersensitivity",
        (When("allergy", Class.BOTULINUM_TOXIN), When("answer", Question.ALLERGY_TOXIN)),
        Severity.CONTRAINDICATION,
        "Allergic to a botulinum toxin product: do not treat with any of them.",
        f"{LABEL}, 4 Contraindications",
    ),
    Rule(
        "albumin-hypersensitivity",
        (When("allergy", Class.ALBUMIN), When("answer", Question.ALLERGY_ALBUMIN)),
        Severity.CONTRAINDICATION,
        "Allergic to human albumin, an ingredient of this product.",
        f"{LABEL}, 4 Contraindications; 11 Description (Letybo: EU SmPC, 6.1 Excipients)",
        WITH_ALBUMIN,
    ),
    Rule(
        "milk-protein-hypersensitivity",
        (When("allergy", Class.MILK_PROTEIN), When("answer", Question.ALLERGY_MILK)),
        Severity.CONTRAINDICATION,
        "Allergic to cow's milk protein: Dysport may contain trace amounts.",
        f"{LABEL} (Dysport), 4 Contraindications",
        frozenset({Product.DYSPORT}),
    ),
    Rule(
        "infection-at-site",
        (When("answer", Question.INFECTION_AT_SITE),),
        Severity.CONTRAINDICATION,
        "Infection at a proposed injection site: treat once it has cleared.",
        f"{LABEL}, 4 Contraindications",
    ),
    # Precautions (label warnings, medication guide)
    Rule(
        "neuromuscular-disorder",
        (
            When("answer", Question.NEUROMUSCULAR_DISORDER),
            When("condition", Class.NEUROMUSCULAR_DISORDER),
        ),
        Severity.PRECAUTION,
        "Neuromuscular disorder: higher risk of serious effects such as swallowing and "
        "breathing difficulty.",
        f"{LABEL}, 5 Warnings and Precautions",
        reviewable=True,
    ),
    Rule(
        "swallowing-or-breathing",
        (
            When("answer", Question.SWALLOWING_OR_BREATHING),
            When("condition", Class.SWALLOWING_OR_BREATHING),
        ),
        Severity.PRECAUTION,
        "Swallowing or breathing problems: the toxin's spread could worsen them.",
        f"{LABEL}, 5 Warnings and Precautions",
        reviewable=True,
    ),
    Rule(
        "cardiovascular-disease",
        (When("answer", Question.HEART_DISEASE), When("condition", Class.CARDIOVASCULAR)),
        Severity.PRECAUTION,
        "Heart disease: cardiovascular events have been reported after botulinum toxins.",
        f"{LABEL}, 5 Warnings and Precautions",
        reviewable=True,
    ),
    Rule(
        "aminoglycosides-and-neuromuscular-drugs",
        (
            When("medication", Class.AMINOGLYCOSIDE),
            When("medication", Class.NEUROMUSCULAR_DRUG),
        ),
        Severity.PRECAUTION,
        "Takes a drug that acts on neuromuscular transmission: the toxin's effect may be stronger.",
        f"{LABEL}, 7 Drug Interactions",
        reviewable=True,
    ),
    Rule(
        "anticholinergics",
        (When("medication", Class.ANTICHOLINERGIC),),
        Severity.PRECAUTION,
        "Takes an anticholinergic: systemic anticholinergic effects may be stronger.",
        f"{LABEL}, 7 Drug Interactions",
        reviewable=True,
    ),
    Rule(
        "muscle-relaxants",
        (When("medication", Class.MUSCLE_RELAXANT),),
        Severity.PRECAUTION,
        "Takes a muscle relaxant: weakness may be greater.",
        f"{LABEL}, 7 Drug Interactions",
        reviewable=True,
    ),
    Rule(
        "toxin-within-four-months",
        (
            When("toxin_within_days", 120),
            When("answer", Question.RECENT_TOXIN),
            When("medication", Class.BOTULINUM_TOXIN),
        ),
        Severity.PRECAUTION,
        "Another botulinum toxin within the last 4 months (sessions under 90 days apart were "
        "not studied): weakness may add up.",
        f"{LABEL}, 7 Drug Interactions; 2 Dosage",
        reviewable=True,
    ),
    Rule(
        "earlier-toxin-reaction",
        (When("answer", Question.EARLIER_TOXIN_REACTION),),
        Severity.PRECAUTION,
        "Reacted to a botulinum toxin before: ask what happened.",
        f"{LABEL}, 5 Warnings and Precautions",
        reviewable=True,
    ),
    Rule(
        "facial-surgery-or-ptosis",
        (
            When("answer", Question.FACIAL_SURGERY),
            When("answer", Question.DROOPING_LID_OR_BROW),
        ),
        Severity.PRECAUTION,
        "Facial surgery, drooping lids or brows: examine the face before choosing sites.",
        f"{LABEL}, 5 Warnings and Precautions",
        reviewable=True,
    ),
    Rule(
        "dry-eye",
        (When("condition", Class.DRY_EYE),),
        Severity.WARNING,
        "Dry eye: a label warning for crow's feet (lateral canthal lines). Injecting near the "
        "eye can make it worse; examine the eyes before treating crow's feet.",
        f"{LABEL}, 5 Warnings and Precautions (dry eye)",
        reviewable=True,
        areas=frozenset({Area.LATERAL_CANTHAL}),
    ),
    # Information for the injector (medication guide; clinic practice): bruising, not a hold.
    Rule(
        "bleeding-risk",
        (
            When("medication", Class.ANTICOAGULANT),
            When("medication", Class.ANTIPLATELET),
            When("medication", Class.NSAID),
            When("medication", Class.BRUISING_RISK),
            When("condition", Class.BLEEDING_DISORDER),
            When("answer", Question.BLEEDING_PROBLEMS),
        ),
        Severity.INFORMATION,
        "{what}: bruising is more likely. Not a reason to hold the treatment.",
        "Medication guide; clinic practice",
        per_entry=True,
    ),
    Rule(
        "dysport-label-age",
        (When("age_at_least", 65),),
        Severity.PRECAUTION,
        "65 or older: Dysport's glabellar-line indication is for adults under 65.",
        f"{LABEL} (Dysport), 1 Indications",
        frozenset({Product.DYSPORT}),
        reviewable=True,
    ),
    # Clinic policy (default on; the medical director may switch these off)
    Rule(
        "policy-adults-only",
        (When("age_under", 18),),
        Severity.CONTRAINDICATION,
        "Under 18: this clinic treats adults only.",
        "Clinic policy",
        policy=True,
    ),
    Rule(
        "policy-pregnancy",
        (When("answer", Question.PREGNANT),),
        Severity.CONTRAINDICATION,
        "Pregnant: this clinic defers treatment until after pregnancy.",
        "Clinic policy (the products were not studied in pregnancy)",
        policy=True,
    ),
    Rule(
        "policy-breastfeeding",
        (When("answer", Question.BREASTFEEDING),),
        Severity.CONTRAINDICATION,
        "Breastfeeding: this clinic defers treatment until breastfeeding has ended.",
        "Clinic policy (not studied in breastfeeding)",
        policy=True,
    ),
)
RULES_BY_ID = {rule.id: rule for rule in RULES}
POLICY_RULES = frozenset(rule.id for rule in RULES if rule.policy)
REVIEWABLE_RULES = frozenset(rule.id for rule in RULES if rule.reviewable)
# The label's defaults: which label precautions need the provider's review before a decision.
DEFAULT_REVIEW = frozenset(
    rule.id for rule in RULES if rule.reviewable and rule.severity == Severity.PRECAUTION
)
# Questions that cannot apply to a patient of this administrative sex: left blank, they hold
# nobody (a yes is still read).
NOT_APPLICABLE: dict[str, frozenset[Question]] = {
    "male": frozenset({Question.PREGNANT, Question.BREASTFEEDING}),
}


def recognise_all(intake: Intake) -> dict[Kind, list[Recognition]]:
    return {
        Kind.ALLERGY: [recognise(Kind.ALLERGY, t) for t in intake.allergies if t.strip()],
        Kind.MEDICATION: [recognise(Kind.MEDICATION, t) for t in intake.medications if t.strip()],
        Kind.CONDITION: [recognise(Kind.CONDITION, t) for t in intake.conditions if t.strip()],
    }


def _matches(when: When, intake: Intake, typed: dict[Kind, list[Recognition]]):
    """Each thing in the intake that meets `when`: (what set it off in words, the names to show
    the injector)."""
    if when.kind == "answer":
        if intake.answers.get(when.arg) is True:
            yield f"answered yes: {when.arg}", [ANSWER_NAMES.get(when.arg, str(when.arg))]
        return
    if when.kind in ("allergy", "medication", "condition"):
        kind = Kind(when.kind)
        for r in typed[kind]:
            if when.arg in r.classes:
                because = f"{when.kind}: {r.text}" + ("" if r.exact else f" (read as {r.term})")
                yield because, names_in(kind, r, frozenset({when.arg}))
        return
    age = intake.age
    if when.kind == "age_under":
        if age is not None and age < when.arg:
            yield f"age {age}", []
        return
    if when.kind == "age_at_least":
        if age is not None and age >= when.arg:
            yield f"age {age}", []
        return
    if when.kind == "toxin_within_days":
        last = intake.last_toxin_on
        if last is not None and 0 <= (intake.today - last).days < when.arg:
            yield f"botulinum toxin on {last:%b} {last.day}, {last.year}", []
        return
    raise ValueError(f"Rule condition of unknown kind {when.kind!r}")


def _match(when: When, intake: Intake, typed: dict[Kind, list[Recognition]]) -> str | None:
    """What in the intake first meets `when`, in words; None if nothing does."""
    return next((because for because, _ in _matches(when, intake, typed)), None)


# How a yes to a question is named when a finding names what raised it.
ANSWER_NAMES = {Question.BLEEDING_PROBLEMS: "Bruises or bleeds easily (answered yes)"}


def _unknowns(intake: Intake, typed: dict[Kind, list[Recognition]]) -> list[Finding]:
    findings = []
    cannot_apply = NOT_APPLICABLE.get(intake.sex or "", frozenset())
    for question in Question:
        if intake.answers.get(question) is None and question not in cannot_apply:
            findings.append(
                Finding(
                    "unanswered",
                    Severity.PRECAUTION,
                    f"Not answered, or not sure: {question.value.replace('_', ' ')}. "
                    "Ask before deciding.",
                    SCREENING,
                    question.value,
                )
            )
    if intake.birth_date is None:
        findings.append(
            Finding("unanswered", Severity.PRECAUTION, "Age not known.", SCREENING, "birth_date")
        )
    for kind, items in typed.items():
        for r in items:
            if not r.recognised:
                findings.append(
                    Finding(
                        "unrecognised-entry",
                        Severity.PRECAUTION,
                        f"Not in the vocabulary: {kind.value} {r.text!r}. Check what it is.",
                        SCREENING,
                        f"{kind.value}: {r.text}",
                    )
                )
    return findings


def _severity(rule: Rule, needs_review: frozenset[str]) -> Severity:
    if not rule.reviewable:
        return rule.severity
    return Severity.PRECAUTION if rule.id in needs_review else Severity.WARNING


def _fired(rule: Rule, intake: Intake, typed, needs_review: frozenset[str]) -> list[Finding]:
    severity = _severity(rule, needs_review)
    areas = tuple(sorted(rule.areas))
    if not rule.per_entry:
        for when in rule.when:
            because = _match(when, intake, typed)
            if because is not None:
                return [Finding(rule.id, severity, rule.message, rule.source, because, areas)]
        return []
    found: list[Finding] = []
    named: set[str] = set()
    for when in rule.when:
        for because, names in _matches(when, intake, typed):
            for name in names or [because]:
                if name.casefold() in named:
                    continue
                named.add(name.casefold())
                message = rule.message.format(what=name)
                found.append(Finding(rule.id, severity, message, rule.source, because, areas))
    return found


def evaluate(
    intake: Intake,
    product: Product,
    *,
    rules: tuple[Rule, ...] = RULES,
    policies_off: frozenset[str] = frozenset(),
    needs_review: frozenset[str] | None = None,
) -> Verdict:
    """The verdict for one product, with every finding (contraindications first).
    `needs_review`: the label precautions the medical director has review for (default: the
    label's, DEFAULT_REVIEW); the others come out as warnings."""
    review = DEFAULT_REVIEW if needs_review is None else needs_review
    typed = recognise_all(intake)
    findings: list[Finding] = []
    for rule in rules:
        if product not in rule.products or (rule.policy and rule.id in policies_off):
            continue
        findings += _fired(rule, intake, typed, review)
    findings += _unknowns(intake, typed)
    order = list(Severity)
    findings.sort(key=lambda f: order.index(f.severity))
    severities = {f.severity for f in findings}
    if Severity.CONTRAINDICATION in severities:
        outcome = Outcome.NOT_ELIGIBLE
    elif Severity.PRECAUTION in severities:
        outcome = Outcome.REVIEW
    else:
        outcome = Outcome.ELIGIBLE
    unrecognised = tuple(r for items in typed.values() for r in items if not r.recognised)
    return Verdict(product, outcome, tuple(findings), unrecognised)
