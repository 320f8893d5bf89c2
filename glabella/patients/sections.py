"""The sections other apps add to the patient record (`signals.record_sections`), gathered in
their order. Each is drawn by its own template, included into the record page with `ctx`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from glabella.core.access import Actor
from glabella.patients.models import Patient
from glabella.patients.signals import record_sections


@dataclass(frozen=True)
class Section:
    """One part of the record: its heading, where it goes (low first), the template that draws
    it and what that template reads (as `ctx`). `key` names its anchor on the page."""

    key: str
    title: str
    order: int
    template: str
    context: dict = field(default_factory=dict)


def gather(actor: Actor, patient: Patient, now: datetime) -> list[Section]:
    """Every section the installed apps add for this actor, in order."""
    found: list[Section] = []
    for _receiver, answer in record_sections.send(
        sender=Patient, actor=actor, patient=patient, now=now
    ):
        if answer is None:
            continue
        found.extend(answer if isinstance(answer, list | tuple) else [answer])
    return sorted(found, key=lambda s: (s.order, s.key))
