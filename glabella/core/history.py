"""Where a patient's change history lives: each app registers, in its AppConfig's ready(), how to
find the history rows (django-simple-history) of its models for one patient, and which
capability reading them needs. The patients app draws the page; core knows no app above it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from glabella.core.roles import Capability


@dataclass(frozen=True)
class Source:
    """`rows(patient_pk)`: the history rows of one model for a patient, oldest first.
    `name(row)`: what the row is about, in words ("Appointment on Mar 5")."""

    label: str
    capability: Capability
    rows: Callable[[int], Iterable]
    name: Callable[[object], str]
    hidden: frozenset[str] = frozenset()  # fields shown only to holders of VIEW_CLINICAL


_SOURCES: dict[str, Source] = {}


def register(source: Source) -> None:
    _SOURCES[source.label] = source


def sources() -> list[Source]:
    return list(_SOURCES.values())
