"""What the FHIR API serves: one `ResourceType` per FHIR resource, registered by the module that
builds it (`glabella/fhir/resources/`).

A resource type says how to build its JSON from a row (`build`), which rows an actor may read
(`rows`, through the access door), and which searches it takes: `_id` and paging always; `patient`,
`date` and `_lastUpdated` where it names the lookups for them; more in `searches`. A type whose
resources are not rows (a Slot worked out from working hours, the local CodeSystem) gives `find`
and `listing` instead. The server (`server.py`) does the rest the same way for every type: parse
and bound the query, restrict, page, log the access, wrap the Bundle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from glabella.core.audit import Kind

Search = Callable[[Any, str], Any]  # (queryset, value) -> queryset; ValueError: a bad value


@dataclass(frozen=True)
class SearchParam:
    """A search a type takes beyond the common ones: its FHIR type (token, reference, date,
    string), what it means, and the filter it applies."""

    type: str
    documentation: str
    apply: Search


@dataclass(frozen=True)
class ResourceType:
    name: str
    build: Callable[[Any], dict]
    rows: Callable[[Any], Any] | None = None  # (actor) -> the restricted queryset
    audit_kind: Kind = Kind.FHIR
    id_lookup: str = "public_id"
    # For rows whose id is not one UUID column (a MedicationAdministration is a treatment's
    # area): (id) -> the filter that finds it among the rows; ValueError for a malformed id.
    by_id: Callable[[str], Any] | None = None
    patient: str | None = None  # the lookup from a row to its Patient ("" for Patient itself)
    date: str | None = None  # the field `date` searches
    updated: str | None = None  # the field `_lastUpdated` searches and meta.lastUpdated shows
    profile: str | None = None  # the US Core profile the resources claim
    searches: dict[str, SearchParam] = field(default_factory=dict)
    documentation: str = ""
    # For types that are not rows: (actor, id) -> resource or None; (actor, params) -> resources.
    find: Callable[[Any, str], dict | None] | None = None
    listing: Callable[[Any, dict], list[dict]] | None = None
    # Whether the Bulk export includes it (a patient compartment member or the clinic's set-up).
    exported: bool = True

    def patient_lookup(self, suffix: str) -> str:
        return f"{self.patient}__{suffix}" if self.patient else suffix


REGISTRY: dict[str, ResourceType] = {}


def register(resource: ResourceType) -> ResourceType:
    if resource.name in REGISTRY:
        raise ValueError(f"{resource.name} is registered twice")
    REGISTRY[resource.name] = resource
    return resource


def get(name: str) -> ResourceType | None:
    return REGISTRY.get(name)


def names() -> list[str]:
    return sorted(REGISTRY)
