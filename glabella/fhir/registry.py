"""What the FHIR API serves: one `ResourceType` per FHIR resource, registered by the module that
builds it (`glabella/fhir/resources/`).

A resource type says how to build its JSON from a row (`build`), which rows an actor may read
(`rows`, through the access door), and which searches it takes: `_id` and paging always; `patient`,
`date` and `_lastUpdated` where it names the lookups for them; more in `searches`. A type whose
resources are not rows (a Slot worked out from working hours, the local CodeSystem) gives `find`
and `listing` instead. A type served from several models (DocumentReference: signed consents,
clinical photos, patients' photos) names them as `parts`, each a ResourceType of the same name
with its own rows and lookups: the server searches them in turn and reads from the one that holds
the id. The server (`server.py`) does the rest the same way for every type: parse and bound the
query, restrict, page, log the access, wrap the Bundle.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from glabella.core.audit import Kind

Search = Callable[[Any, str], Any]  # (queryset, value) -> queryset; ValueError: a bad value


def uuid_id(value: str) -> uuid.UUID:
    """A resource id that is a row's public id; ValueError says what one looks like."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValueError(f"takes a resource id such as {uuid.UUID(int=0)}") from None


def number_id(value: str) -> int:
    """A resource id that is a row's own number (a row without a public id: the access log)."""
    if not value.isascii() or not value.isdigit() or not 0 < int(value) < 2**63:
        raise ValueError("takes a resource id such as 1234")
    return int(value)


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
    # The id as the row's `id_lookup` holds it; ValueError (with what an id looks like): none.
    id_parse: Callable[[str], Any] = uuid_id
    # The patients a row names when `patient` cannot say (an access-log row names them by public
    # id, several for a listing): (row) -> their public ids, for the access log of the read.
    named: Callable[[Any], list] | None = None
    # A type served from several models: one ResourceType of the same name per model, searched
    # in turn (their `searches` may override the type's own by name); the type's own `patient`,
    # `date` and `updated` then only say which searches it takes. Bulk export: each part's rows
    # (`server.sources`).
    parts: tuple[ResourceType, ...] = ()
    # False: read by id only (Binary, reached from an attachment's url).
    searchable: bool = True
    # A type whose resources are files (Binary): (row) -> (content type, bytes, file name); a
    # read answers the file itself unless the client asks for FHIR JSON.
    native: Callable[[Any], tuple[str, bytes, str]] | None = None

    def patient_lookup(self, suffix: str) -> str:
        return f"{self.patient}__{suffix}" if self.patient else suffix


def name_search(lookup: str, whose: str, prepare: Callable[[str], str] = str) -> Search:
    """A `name` search: rows whose `lookup` holds some letters of a name (made ready by
    `prepare`, e.g. folded as a patient's search key is); an empty one is refused."""

    def apply(rows, value: str):
        words = value.strip()
        if not words:
            raise ValueError(f"name takes some letters of the {whose}'s name.")
        return rows.filter(**{lookup: prepare(words)})

    return apply


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
