"""The symptoms a patient ticks on the check-in form, named in the page's language.

The triage's list (`symptoms.SYMPTOMS`, pure, in English) holds each symptom's code and urgency;
these are the same names, marked for translation, so that the Spanish page offers the same
choices and sends the same codes: the verdict never depends on the page's language.
`tests/test_spanish_care.py` holds the English words here equal to the triage's labels.
"""

from django.utils.translation import gettext_lazy as _

WORDS = {
    "pain": _("Pain or tenderness where the needle went in"),
    "redness": _("Redness"),
    "swelling": _("Swelling where the needle went in"),
    "bruising": _("Bruising"),
    "headache": _("Headache"),
    "flu_like": _("Feeling as if I have the flu"),
    "eyelid_swelling": _("A puffy eyelid"),
    "drooping_eyelid": _("A drooping eyelid"),
    "drooping_brow": _("A drooping eyebrow"),
    "eye_not_closing": _("An eye that won't close all the way"),
    "lopsided_smile": _("A lopsided smile"),
    "dry_eye": _("Dry, gritty or irritated eyes"),
    "asymmetry": _("One side of my face looks different"),
    "swelling_growing": _("Swelling that keeps growing, or comes with a fever"),
    "severe_pain": _("Severe pain"),
    "severe_headache": _("A severe headache"),
    "trouble_swallowing": _("Trouble swallowing, or choking on food or drink"),
    "trouble_speaking": _("Trouble speaking"),
    "trouble_breathing": _("Trouble breathing, or feeling short of breath"),
    "general_weakness": _(
        "Weakness all over my body, trouble walking, or my head is hard to hold up"
    ),
    "double_vision": _("Double vision"),
    "blurred_vision": _("Blurred vision, or I can't see properly"),
    "hoarseness": _("A hoarse voice, or my voice has changed or gone"),
    "bladder_control": _("Losing control of my bladder"),
    "hives": _("Hives or welts"),
    "rash_all_over": _("A rash away from where the needle went in"),
    "lip_tongue_throat_swelling": _("Swelling of my lips, tongue, face or throat"),
    "wheezing": _("Wheezing"),
    "dizziness": _("Feeling dizzy or lightheaded"),
    "fainting": _("Fainting, or nearly fainting"),
    "chest_pain": _("Chest pain or a tight chest"),
}


def name(symptom) -> str:
    """A symptom's name in the active language (its triage label if it is new here)."""
    return str(WORDS.get(symptom.code, symptom.label))
