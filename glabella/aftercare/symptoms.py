"""The symptoms a patient can report after a treatment, each with the urgency it carries.

    urgent     every sign the Medication Guide says to get medical help right away for, at any
               hour: trouble swallowing (choking, food going down the wrong way), speaking or
               breathing (short of breath, a tight chest), weakness all over (trouble walking, a
               head hard to hold up), double or blurred vision, a hoarse or lost voice, loss of
               bladder control, hives, welts or a rash beyond the injection sites, swelling of
               the lips, tongue, face or throat, wheezing, dizziness, fainting and chest pain.
    review     a clinician the same day (`same_day`): a drooping eyelid or brow, an eye that will
               not close, a lopsided smile, dry or irritated eyes, swelling that grows or comes
               with a fever, severe pain or a severe headache, and any report the triage cannot
               fully read. An expected effect that is not getting better is a review by the next
               business day.
    self_care  expected and mild: soreness, tenderness, redness, small bumps, swelling or
               itching at the sites, a small bruise, a mild headache, a flu-like feeling, an
               eyelid swelling that settles.

A `Reason` is one urgency with why, in words a clinician reads. Pure data.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Urgency(StrEnum):
    SELF_CARE = "self_care"
    REVIEW = "review"
    URGENT = "urgent"


ORDER = [Urgency.SELF_CARE, Urgency.REVIEW, Urgency.URGENT]


class Severity(StrEnum):
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


@dataclass(frozen=True)
class Symptom:
    code: str
    label: str  # in the patient's words
    urgency: Urgency  # at mild or moderate severity
    local: bool = False  # an expected local effect: severe or worsening makes it a review


SYMPTOMS: tuple[Symptom, ...] = (
    # Expected and mild (CLINICAL.md: after treatment).
    Symptom("pain", "Pain or tenderness where the needle went in", Urgency.SELF_CARE, True),
    Symptom("redness", "Redness", Urgency.SELF_CARE, True),
    Symptom("swelling", "Swelling where the needle went in", Urgency.SELF_CARE, True),
    Symptom("bruising", "Bruising", Urgency.SELF_CARE, True),
    Symptom("headache", "Headache", Urgency.SELF_CARE, True),
    Symptom("flu_like", "Feeling as if I have the flu", Urgency.SELF_CARE, True),
    Symptom("eyelid_swelling", "A puffy eyelid", Urgency.SELF_CARE, True),
    # A clinician the same day.
    Symptom("drooping_eyelid", "A drooping eyelid", Urgency.REVIEW),
    Symptom("drooping_brow", "A drooping eyebrow", Urgency.REVIEW),
    Symptom("eye_not_closing", "An eye that won't close all the way", Urgency.REVIEW),
    Symptom("lopsided_smile", "A lopsided smile", Urgency.REVIEW),
    Symptom("dry_eye", "Dry, gritty or irritated eyes", Urgency.REVIEW),
    Symptom("asymmetry", "One side of my face looks different", Urgency.REVIEW),
    Symptom(
        "swelling_growing", "Swelling that keeps growing, or comes with a fever", Urgency.REVIEW
    ),
    Symptom("severe_pain", "Severe pain", Urgency.REVIEW),
    Symptom("severe_headache", "A severe headache", Urgency.REVIEW),
    # Get medical help right away: the toxin's effect spreading, or an allergic reaction.
    Symptom(
        "trouble_swallowing", "Trouble swallowing, or choking on food or drink", Urgency.URGENT
    ),
    Symptom("trouble_speaking", "Trouble speaking", Urgency.URGENT),
    Symptom("trouble_breathing", "Trouble breathing, or feeling short of breath", Urgency.URGENT),
    Symptom(
        "general_weakness",
        "Weakness all over my body, trouble walking, or my head is hard to hold up",
        Urgency.URGENT,
    ),
    Symptom("double_vision", "Double vision", Urgency.URGENT),
    Symptom("blurred_vision", "Blurred vision, or I can't see properly", Urgency.URGENT),
    Symptom("hoarseness", "A hoarse voice, or my voice has changed or gone", Urgency.URGENT),
    Symptom("bladder_control", "Losing control of my bladder", Urgency.URGENT),
    Symptom("hives", "Hives or welts", Urgency.URGENT),
    Symptom("rash_all_over", "A rash away from where the needle went in", Urgency.URGENT),
    Symptom(
        "lip_tongue_throat_swelling", "Swelling of my lips, tongue, face or throat", Urgency.URGENT
    ),
    Symptom("wheezing", "Wheezing", Urgency.URGENT),
    Symptom("dizziness", "Feeling dizzy or lightheaded", Urgency.URGENT),
    Symptom("fainting", "Fainting, or nearly fainting", Urgency.URGENT),
    Symptom("chest_pain", "Chest pain or a tight chest", Urgency.URGENT),
)
BY_CODE = {s.code: s for s in SYMPTOMS}
# Every review symptom on the list is one for a clinician the same day (CLINICAL.md).
SAME_DAY_CODES = frozenset(s.code for s in SYMPTOMS if s.urgency == Urgency.REVIEW)


@dataclass(frozen=True)
class Reason:
    urgency: Urgency
    why: str
    same_day: bool = False  # a review a clinician must make the same day


def rank(urgency: Urgency) -> int:
    return ORDER.index(urgency)
