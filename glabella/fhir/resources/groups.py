"""Group: the sets of patients a Bulk export may be asked for (`Group/<id>/$export`).

Two kinds, worked out from the records, never stored: `all-patients`, every patient the reader
may see, and one per active location (its id is the Location's), the patients with a visit
there that was not canceled. A Group says how many members it has (`quantity`), not who: the
members are what its export writes, in the access log, and a Group of thousands would not fit
in one resource. Staff who may see patients read Groups; a patient's token reads none.
"""

from __future__ import annotations

import uuid

from glabella.clinic.models import Location
from glabella.core.roles import Capability
from glabella.fhir import codes
from glabella.fhir.registry import ResourceType, register
from glabella.patients.models import Patient
from glabella.scheduling.models import CANCELLED, Appointment

ALL_PATIENTS = "all-patients"


def _patients(actor):
    return Patient.objects.restrict(actor, "view")


def _seen_at(location: Location):
    return Appointment.objects.filter(location=location).exclude(status__in=CANCELLED)


def members(actor, group_id: str):
    """The patients of a group whom `actor` may read (a queryset), or None: no such group."""
    if not actor.can(Capability.VIEW_PATIENT):
        return None
    if group_id == ALL_PATIENTS:
        return _patients(actor)
    location = _location(actor, group_id)
    if location is None:
        return None
    return _patients(actor).filter(pk__in=_seen_at(location).values("patient_id"))


def _location(actor, group_id: str) -> Location | None:
    try:
        wanted = uuid.UUID(group_id)
    except ValueError:
        return None
    return _locations(actor).filter(public_id=wanted).first()


def _locations(actor):
    return Location.objects.restrict(actor, "view").filter(active=True)


def _group(group_id: str, name: str, quantity: int, location: Location | None) -> dict:
    resource = {
        "resourceType": "Group",
        "id": group_id,
        "identifier": [{"system": codes.identifier_system("group"), "value": group_id}],
        "active": True,
        "type": "person",
        "actual": True,
        "name": name,
        "quantity": quantity,
    }
    if location is not None:
        resource["characteristic"] = [
            {
                "code": {"text": "Had a visit at"},
                "valueReference": {
                    **codes.reference("Location", location.public_id),
                    "display": location.name,
                },
                "exclude": False,
            }
        ]
    return resource


def groups(actor) -> list[dict]:
    if not actor.can(Capability.VIEW_PATIENT):
        return []
    found = [_group(ALL_PATIENTS, "All patients", _patients(actor).count(), None)]
    for location in _locations(actor).order_by("name", "pk"):
        count = _patients(actor).filter(pk__in=_seen_at(location).values("patient_id")).count()
        found.append(
            _group(str(location.public_id), f"Patients seen at {location.name}", count, location)
        )
    return found


def find(actor, group_id: str) -> dict | None:
    return next((g for g in groups(actor) if g["id"] == group_id), None)


def listing(actor, params: dict) -> list[dict]:
    found = groups(actor)
    for value in params.get("_id", []):
        wanted = {v.strip() for v in value.split(",")}
        found = [g for g in found if g["id"] in wanted]
    return found


register(
    ResourceType(
        name="Group",
        build=lambda group: group,
        find=find,
        listing=listing,
        documentation="The groups a Bulk export takes: all-patients, and one per location "
        "(its id is the Location's: the patients with a visit there). Members are counted "
        "(quantity), and listed only by the group's $export.",
    )
)
