"""Side-effect triage: a patient's report after a treatment to an urgency, with its reasons.

The urgencies (urgent now, a review the same day or by the next business day, self-care) and
the signs of each are listed in `symptoms`; a note is read by `note_reading` (clauses,
spelling, negation) against the phrasings of `phrasings`. This module gives the verdict, and is
the one others import: it names the report, the triage and what they are made of.
Pure: no database, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glabella.aftercare.note_reading import read_text
from glabella.aftercare.symptoms import (
    BY_CODE,
    ORDER,
    SAME_DAY_CODES,
    SYMPTOMS,
    Reason,
    Severity,
    Symptom,
    Urgency,
)

__all__ = [
    "BY_CODE",
    "ORDER",
    "SYMPTOMS",
    "Reason",
    "Report",
    "Severity",
    "Symptom",
    "Triage",
    "Urgency",
    "triage",
]


@dataclass(frozen=True)
class Report:
    symptoms: tuple[str, ...] = ()
    severity: Severity | None = None
    getting_better: bool | None = None  # None: not said
    free_text: str = ""
    days_since: int | None = None


@dataclass(frozen=True)
class Triage:
    urgency: Urgency
    reasons: tuple[Reason, ...] = field(default=())
    unread: tuple[str, ...] = ()  # the note's words the triage could not read

    @property
    def same_day(self) -> bool:
        """A review a clinician must make the same day (an urgent report is now)."""
        return self.urgency == Urgency.REVIEW and any(
            r.same_day for r in self.reasons if r.urgency == Urgency.REVIEW
        )

    @property
    def within(self) -> str:
        """How soon a clinician acts: now, same_day, next_business_day, or "" for self-care."""
        if self.urgency == Urgency.URGENT:
            return "now"
        if self.urgency == Urgency.REVIEW:
            return "same_day" if self.same_day else "next_business_day"
        return ""


def triage(report: Report) -> Triage:
    reasons: list[Reason] = []
    for code in report.symptoms:
        symptom = BY_CODE.get(code)
        if symptom is None:
            reasons.append(
                Reason(
                    Urgency.REVIEW, f"A symptom we do not know ({code}): a clinician checks.", True
                )
            )
            continue
        urgency = symptom.urgency
        if symptom.local and report.severity == Severity.SEVERE:
            reasons.append(Reason(Urgency.REVIEW, f"{symptom.label}, and severe.", True))
            continue
        if symptom.local and report.getting_better is False:
            reasons.append(Reason(Urgency.REVIEW, f"{symptom.label}, and not getting better."))
            continue
        reasons.append(Reason(urgency, symptom.label + ".", code in SAME_DAY_CODES))
    unread: tuple[str, ...] = ()
    text = report.free_text.strip()
    if text:
        read = read_text(text)
        reasons += read.reasons
        unread = read.unread
        if unread:
            quoted = ", ".join(f"\u201c{w}\u201d" for w in unread[:8])
            reasons.append(
                Reason(
                    Urgency.REVIEW,
                    f"The note has words the triage could not read ({quoted}): a clinician "
                    "reads it today.",
                    True,
                )
            )
    if report.severity == Severity.SEVERE and not report.symptoms:
        # Whatever the note says, "severe" from the patient is for a clinician to hear today.
        reasons.append(
            Reason(Urgency.REVIEW, "Severe, as the patient puts it: a clinician asks.", True)
        )
    urgency = max((r.urgency for r in reasons), key=ORDER.index, default=Urgency.SELF_CARE)
    reasons = list(dict.fromkeys(reasons))  # a finding read twice is said once
    reasons.sort(key=lambda r: -ORDER.index(r.urgency))
    return Triage(urgency, tuple(reasons), unread)
