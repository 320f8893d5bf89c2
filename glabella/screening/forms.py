"""Forms for the questionnaire, the decision, the consent and the public self-check.

They only parse what was typed into the shape the services take (`to_raw`) and put the
services' field errors back where the person will see them (`show_errors`); every rule lives in
the questionnaire module and the services. What a patient reads is in the page's language: the
questionnaire's words and errors (marked in the pure questionnaire module) are translated here,
while the answers keep their one shape (keys, booleans) in every language.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from glabella.catalogue.areas import AREA_NAMES, OFF_LABEL_NAMES
from glabella.catalogue.products import MEDICATION_GUIDES, Product, label_areas
from glabella.screening.models import CONSENT_LANGUAGES, ConsentKind
from glabella.screening.questionnaire import (
    MAX_TOXIN_ENTRIES,
    QUESTIONS,
    ConcernArea,
    Purpose,
)

ANSWER_CHOICES = [
    ("yes", gettext_lazy("Yes")),
    ("no", gettext_lazy("No")),
    ("unsure", gettext_lazy("Not sure")),
]
ANSWER_VALUES = {"yes": True, "no": False, "unsure": None}
TOXIN_ROWS = 3
assert TOXIN_ROWS <= MAX_TOXIN_ENTRIES


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def translated(message: str) -> str:
    """A questionnaire error in the active language: its marked template translated, then its
    values put in (questionnaire.Message); any other message as it came."""
    template = getattr(message, "template", None)
    if template is None:
        return message
    params = getattr(message, "params", {})
    return _(template) % params if params else _(template)


class IntakeForm(forms.Form):
    """The questionnaire, built from its definition. Radio answers are optional here, so that
    a missing answer gets the questionnaire's own message."""

    allergies = forms.CharField(
        label=gettext_lazy("Allergies"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "One per line: medicines, foods (for example cow's milk), human albumin, any "
            "botulinum toxin product, latex. Write what happened if you know."
        ),
    )
    medications = forms.CharField(
        label=gettext_lazy("Medicines you take"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "One per line, including blood thinners, aspirin, antibiotics, muscle "
            "relaxants and supplements."
        ),
    )
    conditions = forms.CharField(
        label=gettext_lazy("Other health conditions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One per line."),
    )
    notes = forms.CharField(
        label=gettext_lazy("Anything else we should know"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for q in QUESTIONS:
            self.fields[f"q_{q.question.value}"] = forms.ChoiceField(
                label=_(q.text),
                help_text=_(q.hint) if q.hint else "",
                choices=ANSWER_CHOICES,
                required=False,
                widget=forms.RadioSelect,
            )
        for i in range(TOXIN_ROWS):
            self.fields[f"toxin_{i}_product"] = forms.CharField(
                label=_("Product"), required=False, max_length=100
            )
            self.fields[f"toxin_{i}_date"] = forms.CharField(
                label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
            )
            self.fields[f"toxin_{i}_units"] = forms.CharField(
                label=_("Units, if you know"),
                required=False,
                max_length=10,
                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
            )
            self.fields[f"toxin_{i}_purpose"] = forms.ChoiceField(
                label=_("For"),
                required=False,
                choices=[
                    (Purpose.COSMETIC, _("Lines and wrinkles")),
                    (Purpose.MEDICAL, _("A medical reason")),
                    (Purpose.UNSURE, _("Not sure")),
                ],
            )
        for area in ConcernArea:
            self.fields[f"rest_{area.value}"] = forms.BooleanField(
                label=_("Shows at rest"), required=False
            )
            self.fields[f"moving_{area.value}"] = forms.BooleanField(
                label=_("Shows when I move my face"), required=False
            )

    # The template lays the questionnaire out in groups.
    def question_fields(self):
        return [self[f"q_{q.question.value}"] for q in QUESTIONS]

    def toxin_rows(self):
        return [
            (
                i,
                self[f"toxin_{i}_product"],
                self[f"toxin_{i}_date"],
                self[f"toxin_{i}_purpose"],
                self[f"toxin_{i}_units"],
            )
            for i in range(TOXIN_ROWS)
        ]

    def concern_rows(self):
        """(the area's name in the page's language, at rest, with expression) per area."""
        return [
            (_(area.label), self[f"rest_{area.value}"], self[f"moving_{area.value}"])
            for area in ConcernArea
        ]

    def to_raw(self) -> dict:
        data = self.cleaned_data
        answers = {}
        for q in QUESTIONS:
            choice = data.get(f"q_{q.question.value}")
            if choice in ANSWER_VALUES:
                answers[q.question.value] = ANSWER_VALUES[choice]
        toxins = []
        for i in range(TOXIN_ROWS):
            product = data.get(f"toxin_{i}_product", "").strip()
            day = data.get(f"toxin_{i}_date", "").strip()
            if product or day:
                entry = {
                    "product": product,
                    "date": day,
                    "purpose": data.get(f"toxin_{i}_purpose") or Purpose.UNSURE.value,
                }
                units = data.get(f"toxin_{i}_units", "").strip()
                toxins.append({**entry, "units": units} if units else entry)
        concerns = []
        for area in ConcernArea:
            rest, moving = data.get(f"rest_{area.value}"), data.get(f"moving_{area.value}")
            if rest or moving:
                concerns.append(
                    {"area": area.value, "at_rest": bool(rest), "with_expression": bool(moving)}
                )
        return {
            "answers": answers,
            "allergies": _lines(data.get("allergies")),
            "medications": _lines(data.get("medications")),
            "conditions": _lines(data.get("conditions")),
            "recent_toxin": toxins,
            "concerns": concerns,
            "notes": data.get("notes", ""),
        }

    def show_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            field = _field_for(name)
            for message in messages:
                self.add_error(field if field in self.fields else None, translated(message))


def _field_for(name: str) -> str | None:
    parts = name.split(".")
    if parts[0] == "answers" and len(parts) > 1:
        return f"q_{parts[1]}"
    if parts[0] == "recent_toxin":
        if len(parts) == 3:
            return f"toxin_{parts[1]}_{parts[2]}"
        return "toxin_0_product"
    if parts[0] in {"allergies", "medications", "conditions", "notes"}:
        return parts[0]
    return None


def initial_from(answers: dict) -> dict:
    """Form values from stored answers (staff see the last answers to start from)."""
    initial = {}
    for key, value in answers.get("answers", {}).items():
        initial[f"q_{key}"] = {True: "yes", False: "no", None: "unsure"}[value]
    for key in ("allergies", "medications", "conditions"):
        initial[key] = "\n".join(answers.get(key, []))
    for i, entry in enumerate(answers.get("recent_toxin", [])[:TOXIN_ROWS]):
        initial[f"toxin_{i}_product"] = entry["product"]
        initial[f"toxin_{i}_date"] = entry["date"]
        initial[f"toxin_{i}_purpose"] = entry["purpose"]
        initial[f"toxin_{i}_units"] = entry.get("units", "")
    for c in answers.get("concerns", []):
        initial[f"rest_{c['area']}"] = c["at_rest"]
        initial[f"moving_{c['area']}"] = c["with_expression"]
    initial["notes"] = answers.get("notes", "")
    return initial


class DecisionForm(forms.Form):
    """One choice per offered product and label area: allow, decline, or leave undecided; and
    up to OFF_LABEL_ROWS off-label lines (product, an area off its label, the rationale), each
    allowed as the prescriber's off-label decision."""

    OFF_LABEL_ROWS = 3

    CHOICES = [("", "Not deciding now"), ("allow", "Allow"), ("decline", "Decline")]

    note = forms.CharField(
        label="Note for the record", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    shown = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, products: tuple[Product, ...], contraindicated=(), **kwargs):
        """`contraindicated`: products the rules rule out, offered only to decline (the service
        refuses to allow them whatever is posted)."""
        super().__init__(*args, **kwargs)
        self.keys = []
        for product in products:
            for area in label_areas(product):
                key = f"{product.value}__{area.value}"
                self.keys.append((product, area, key))
                field = forms.ChoiceField(
                    label=f"{product.label}: {area.label}",
                    choices=self.CHOICES,
                    required=False,
                    widget=forms.RadioSelect,
                )
                if product in contraindicated:  # shown without "Allow"; still parsed, so
                    # that a crafted post meets the service's own refusal and message
                    field.widget.choices = [c for c in self.CHOICES if c[0] != "allow"]
                self.fields[f"d_{key}"] = field
                self.fields[f"r_{key}"] = forms.CharField(
                    label="Reason", required=False, max_length=500
                )
        allowed_products = [("", "No off-label line")] + [
            (p.value, p.label) for p in products if p not in contraindicated
        ]
        areas = [("", "Choose the area")]
        areas += [(str(a), n) for a, n in OFF_LABEL_NAMES.items()]
        areas += [(str(a), f"{n} (off this product's label)") for a, n in AREA_NAMES.items()]
        for i in range(self.OFF_LABEL_ROWS):
            self.fields[f"ol_product_{i}"] = forms.ChoiceField(
                label="Product",
                choices=allowed_products,
                required=False,
            )
            self.fields[f"ol_area_{i}"] = forms.ChoiceField(
                label="Area", choices=areas, required=False
            )
            self.fields[f"ol_rationale_{i}"] = forms.CharField(
                label="Clinical rationale", required=False, max_length=500
            )
        self.line_fields: list[tuple[str, str]] = []  # per line sent: (choice, reason) fields

    def rows(self):
        return [
            (product, area, self[f"d_{key}"], self[f"r_{key}"]) for product, area, key in self.keys
        ]

    def off_label_rows(self):
        return [
            (self[f"ol_product_{i}"], self[f"ol_area_{i}"], self[f"ol_rationale_{i}"])
            for i in range(self.OFF_LABEL_ROWS)
        ]

    def to_lines(self) -> list[dict]:
        lines = []
        self.line_fields = []
        for product, area, key in self.keys:
            choice = self.cleaned_data.get(f"d_{key}")
            if choice in {"allow", "decline"}:
                lines.append(
                    {
                        "product": product.value,
                        "area": area.value,
                        "allowed": choice == "allow",
                        "reason": self.cleaned_data.get(f"r_{key}", ""),
                    }
                )
                self.line_fields.append((f"d_{key}", f"r_{key}"))
        for i in range(self.OFF_LABEL_ROWS):
            product = self.cleaned_data.get(f"ol_product_{i}")
            area = self.cleaned_data.get(f"ol_area_{i}")
            rationale = self.cleaned_data.get(f"ol_rationale_{i}", "")
            if not (product or area or rationale):
                continue
            if not product:
                self.add_error(f"ol_product_{i}", "Choose the product for this off-label line.")
                continue
            if not area:
                self.add_error(f"ol_area_{i}", "Choose the area for this off-label line.")
                continue
            lines.append(
                {
                    "product": product,
                    "area": area,
                    "allowed": True,
                    "off_label": True,
                    "rationale": rationale,
                }
            )
            self.line_fields.append((f"ol_area_{i}", f"ol_rationale_{i}"))
        return lines

    def show_errors(self, errors: dict[str, list[str]], lines: list[dict]) -> None:
        for name, messages in errors.items():
            parts = name.split(".")
            field = None
            if parts[0] == "lines" and len(parts) >= 2 and parts[1].isdigit():
                choice, reason = self.line_fields[int(parts[1])]
                field = reason if parts[-1] in {"reason", "rationale"} else choice
            elif parts[0] == "note":
                field = "note"
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


class ConsentForm(forms.Form):
    typed_name = forms.CharField(
        label=gettext_lazy("Your full name"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    strokes = forms.CharField(required=False, widget=forms.HiddenInput)
    adopt_typed = forms.BooleanField(
        label=gettext_lazy("Sign with my typed name instead of drawing"),
        required=False,
        help_text=gettext_lazy(
            "For example if you use a keyboard. Your typed name is then your signature."
        ),
    )
    shown = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, guides: list[tuple[str, str]] | None = None, **kwargs):
        """`guides`: (product, version) of the Medication Guides the clinic hands out; given
        for a treatment consent, the patient says which one they were given."""
        super().__init__(*args, **kwargs)
        if guides:
            self.fields["medication_guide"] = forms.ChoiceField(
                label=_("The Medication Guide I was given before signing"),
                choices=[(value, _guide_label(value, version)) for value, version in guides],
                widget=forms.RadioSelect,
                error_messages={
                    "required": _(
                        "Say which Medication Guide you were given. If you were not given one, "
                        "ask the clinic for it before you sign."
                    )
                },
            )


def _guide_label(product: str, version: str) -> str:
    """A Medication Guide as the patient picks it, in the page's language (the guide's date
    as the catalogue words it, translated in the catalogue's own catalogue)."""
    guide = MEDICATION_GUIDES.get(Product(product)) if product in set(Product) else None
    if guide is None:
        return version
    return _("%(product)s Medication Guide, revised %(revised)s") % {
        "product": guide.product.label,
        "revised": _(guide.revised),
    }


class ConsentDocumentForm(forms.Form):
    kind = forms.ChoiceField(choices=ConsentKind.choices, label="For")
    language = forms.ChoiceField(
        choices=CONSENT_LANGUAGES,
        initial="en",
        required=False,  # English unless chosen
        label="Language",
        help_text="Patients read the newest version in their language; with none in Spanish, "
        "they read the English one.",
    )
    title = forms.CharField(max_length=200)
    body = forms.CharField(
        label="Text",
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text="Paragraphs are separated by a blank line; a paragraph's first line is its "
        "heading.",
    )


class PolicyForm(forms.Form):
    rule = forms.CharField(widget=forms.HiddenInput)
    enabled = forms.ChoiceField(choices=[("1", "On"), ("0", "Off")], widget=forms.RadioSelect)
    reason = forms.CharField(max_length=300, label="Why")


class ReviewForm(forms.Form):
    """The medical director sets whether a label precaution needs review or only warns."""

    rule = forms.CharField(widget=forms.HiddenInput)
    needs_review = forms.ChoiceField(
        choices=[("1", "Needs review"), ("0", "Warning only")], widget=forms.RadioSelect
    )
    reason = forms.CharField(max_length=300, label="Why")


class SelfCheckForm(forms.Form):
    """The public pre-check: a handful of questions, nothing identifying."""

    YES_NO = [
        ("no", gettext_lazy("No")),
        ("yes", gettext_lazy("Yes")),
        ("unsure", gettext_lazy("Not sure")),
    ]
    age = forms.ChoiceField(
        label=gettext_lazy("How old are you?"),
        choices=[
            ("adult", gettext_lazy("18 to 64")),
            ("senior", gettext_lazy("65 or older")),
            ("minor", gettext_lazy("Under 18")),
        ],
        widget=forms.RadioSelect,
    )
    allergy = forms.ChoiceField(
        label=gettext_lazy(
            "Are you allergic to any botulinum toxin product, to human albumin, or to cow's "
            "milk protein?"
        ),
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    nerves = forms.ChoiceField(
        label=gettext_lazy(
            "Do you have a condition affecting your nerves and muscles, or trouble "
            "swallowing or breathing?"
        ),
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    infection = forms.ChoiceField(
        label=gettext_lazy(
            "Do you have an infection or inflamed skin where you would like treatment?"
        ),
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    pregnant = forms.ChoiceField(
        label=gettext_lazy("Are you pregnant or breastfeeding?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    recent = forms.ChoiceField(
        label=gettext_lazy("Have you had a botulinum toxin treatment in the last 4 months?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    lines = forms.ChoiceField(
        label=gettext_lazy("When do the lines that bother you show?"),
        choices=[
            ("moving", gettext_lazy("When I frown, smile or raise my brows")),
            ("rest", gettext_lazy("All the time, even when my face is still")),
            ("both", gettext_lazy("Both")),
        ],
        widget=forms.RadioSelect,
    )
