"""The clinic's set-up as FHIR: Organization, Location, Practitioner and PractitionerRole, each as
its US Core profile.

Readable by any authenticated actor (a patient's app needs her provider and where to go), but
only what faces the public: active locations, and of the staff only the active clinicians (the
medical director and the injectors) who work at an active location. The owner and the front desk
are not practitioners: they treat nobody. Staff members' phones, emails and sign-ins are never
shown; a practitioner is reached through the location.

A PractitionerRole is one clinician at one location (the staff list of that location): it has no
row of its own, so its id is worked out from the two public ids (`role_id`), the same id as the
Schedule of that clinician there (resources/schedule.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Prefetch, Q

from glabella.clinic.models import Location, Organisation
from glabella.core.models import StaffMember
from glabella.core.roles import CLINICAL_ROLES, Credential, Role
from glabella.fhir import codes
from glabella.fhir.registry import ResourceType, SearchParam, name_search, register

V2_0360 = "http://terminology.hl7.org/CodeSystem/v2-0360|2.7"  # degree, licence, certificate
ROLE_CODES = "http://terminology.hl7.org/CodeSystem/practitioner-role"
TIME_ZONE = "http://hl7.org/fhir/StructureDefinition/timezone"  # an IANA zone, as valueCode
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A practitioner's role as FHIR's practitioner-role codes say it, where one fits exactly.
ROLE_CODE = {
    Credential.MD: ("doctor", "Doctor"),
    Credential.DO: ("doctor", "Doctor"),
    Credential.NP: ("nurse", "Nurse"),
    Credential.RN: ("nurse", "Nurse"),
}
# The credentials as v2-0360 names them.
DEGREES = {
    Credential.MD: "Doctor of Medicine",
    Credential.DO: "Doctor of Osteopathy",
    Credential.NP: "Nurse practitioner",
    Credential.PA: "Physician Assistant",
    Credential.RN: "Registered Nurse",
}
HONORIFICS = {"dr", "dr.", "doctor"}
# The namespace of the ids worked out for PractitionerRole and Schedule: fixed, so an id stays.
ROLE_PROFILE = f"{codes.US_CORE}/us-core-practitionerrole"
PAIR_NAMESPACE = uuid.UUID("6c1f3a52-9d0e-4c57-8a3b-2f4e5d6a7b8c")


def organization_id(org: Organisation) -> str:
    return str(org.public_id)


def first_location(org: Organisation) -> Location | None:
    return next((loc for loc in org.locations.all() if loc.active), None)


def _address(location: Location) -> dict:
    lines = [x for x in (location.address_line1, location.address_line2) if x]
    return {
        "use": "work",
        "type": "physical",
        "line": lines,
        "city": location.city,
        "state": location.state,
        "postalCode": location.postal_code,
        "country": "US",
    }


# -- Organization ----------------------------------------------------------------------------


def build_organization(org: Organisation) -> dict:
    place = first_location(org)
    telecom = []
    phone = org.phone or (place.phone if place else "")
    if phone:
        telecom.append({"system": "phone", "value": phone, "use": "work"})
    email = (place.email if place else "") or org.sender_email
    if email:
        telecom.append({"system": "email", "value": email, "use": "work"})
    if org.website:
        telecom.append({"system": "url", "value": org.website, "use": "work"})
    resource = {
        "resourceType": "Organization",
        "id": organization_id(org),
        "identifier": [
            {"system": codes.identifier_system("organization"), "value": str(org.public_id)}
        ],
        "active": True,
        "type": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                        "code": "prov",
                        "display": "Healthcare Provider",
                    }
                ]
            }
        ],
        "name": org.name,
    }
    if telecom:
        resource["telecom"] = telecom
    if place is not None:
        resource["address"] = [_address(place)]
    return resource


def _organizations(actor):
    active = Location.objects.filter(active=True).order_by("name", "pk")
    return (
        Organisation.objects.restrict(actor, "view")
        .defer("logo")
        .prefetch_related(Prefetch("locations", queryset=active))
    )


register(
    ResourceType(
        name="Organization",
        build=build_organization,
        rows=_organizations,
        profile=f"{codes.US_CORE}/us-core-organization",
        searches={
            "name": SearchParam(
                "string",
                "Some letters of its name.",
                name_search("name__icontains", "organization"),
            )
        },
        documentation="The clinic: its name, phone, email, website and address.",
    )
)


# -- Location --------------------------------------------------------------------------------


def opening_hours(location: Location) -> list[dict]:
    """The location's opening hours as hoursOfOperation: one entry per interval and weekday."""
    return [
        {
            "daysOfWeek": [WEEKDAYS[h.weekday]],
            "allDay": False,
            "openingTime": h.opens.strftime("%H:%M:%S"),
            "closingTime": h.closes.strftime("%H:%M:%S"),
        }
        for h in location.opening_hours.all()
    ]


def build_location(location: Location) -> dict:
    telecom = [{"system": "phone", "value": location.phone, "use": "work"}]
    if location.email:
        telecom.append({"system": "email", "value": location.email, "use": "work"})
    resource = {
        "resourceType": "Location",
        "id": str(location.public_id),
        "extension": [{"url": TIME_ZONE, "valueCode": location.time_zone}],
        "identifier": [
            {"system": codes.identifier_system("location"), "value": str(location.public_id)}
        ],
        "status": "active",
        "name": location.name,
        "mode": "instance",
        "telecom": telecom,
        "address": _address(location),
        "managingOrganization": codes.reference("Organization", location.organisation.public_id),
    }
    if location.directions:
        resource["description"] = location.directions
    hours = opening_hours(location)
    if hours:
        resource["hoursOfOperation"] = hours
    return resource


def _locations(actor):
    return (
        Location.objects.restrict(actor, "view")
        .filter(active=True)
        .select_related("organisation")
        .prefetch_related("opening_hours")
    )


def _text_search(*fields: str, what: str):
    def apply(rows, value: str):
        words = value.strip()
        if not words:
            raise ValueError(f"Give some letters of the {what}.")
        match = Q()
        for name in fields:
            match |= Q(**{f"{name}__icontains": words})
        return rows.filter(match)

    return apply


register(
    ResourceType(
        name="Location",
        build=build_location,
        rows=_locations,
        profile=f"{codes.US_CORE}/us-core-location",
        searches={
            "name": SearchParam(
                "string", "Some letters of its name.", _text_search("name", what="name")
            ),
            "address": SearchParam(
                "string",
                "Some letters of its street, city, state or ZIP code.",
                _text_search(
                    "address_line1",
                    "address_line2",
                    "city",
                    "state",
                    "postal_code",
                    what="address",
                ),
            ),
            "address-city": SearchParam("string", "Its city.", _text_search("city", what="city")),
            "address-state": SearchParam(
                "string", "Its state (CA).", _text_search("state", what="state")
            ),
            "address-postalcode": SearchParam(
                "string", "Its ZIP code.", _text_search("postal_code", what="ZIP code")
            ),
        },
        documentation="The clinic's open locations: address, phone, time zone, opening hours.",
    )
)


# -- Practitioner ----------------------------------------------------------------------------


def practitioners():
    """The staff who are practitioners: active clinicians at an active location."""
    return (
        StaffMember.objects.filter(
            active=True,
            user__is_active=True,
            role__in=CLINICAL_ROLES,
            locations__active=True,
        )
        .exclude(credential="")
        .distinct()
    )


def human_name(full_name: str, credential: str) -> dict:
    """A name typed as one string ("Dr. Daniel Reyes") as FHIR's parts: the last word the
    family name, a leading "Dr." a prefix, the credential a suffix."""
    words = full_name.split()
    prefix = []
    if len(words) > 1 and words[0].lower() in HONORIFICS:
        prefix = [words.pop(0)]
    name = {"use": "official", "text": full_name, "family": words[-1]}
    if len(words) > 1:
        name["given"] = words[:-1]
    if prefix:
        name["prefix"] = prefix
    if credential:
        name["suffix"] = [credential]
    return name


def build_practitioner(staff: StaffMember) -> dict:
    resource = {
        "resourceType": "Practitioner",
        "id": str(staff.public_id),
        # The model keeps no NPI: the clinic's own staff identifier stands in (US Core asks for
        # one identifier; its NPI slice is optional).
        "identifier": [{"system": codes.identifier_system("staff"), "value": str(staff.public_id)}],
        "active": True,
        "name": [human_name(staff.full_name, staff.credential)],
    }
    qualification = {
        "code": {
            "coding": [
                {
                    "system": V2_0360,
                    "code": staff.credential,
                    "display": DEGREES[staff.credential],
                }
            ],
            "text": staff.credential,
        }
    }
    if staff.licence_number:
        qualification["identifier"] = [
            {
                "system": codes.identifier_system(f"licence-{staff.licence_state.lower()}"),
                "value": staff.licence_number,
            }
        ]
        if staff.licence_state:
            qualification["issuer"] = {"display": f"State of {staff.licence_state}"}
    if staff.licence_expires:
        qualification["period"] = {"end": staff.licence_expires.isoformat()}
    resource["qualification"] = [qualification]
    return resource


def _practitioners(actor):
    # StaffMember declares no access rule of its own (core keeps the staff's accounts): the door
    # asked is the locations' (public), and only active clinicians at an active location pass.
    open_locations = Location.objects.restrict(actor, "view").filter(active=True)
    return practitioners().filter(locations__in=open_locations).distinct()


register(
    ResourceType(
        name="Practitioner",
        build=build_practitioner,
        rows=_practitioners,
        profile=f"{codes.US_CORE}/us-core-practitioner",
        searches={
            "name": SearchParam(
                "string",
                "Some letters of the name.",
                name_search("full_name__icontains", "practitioner"),
            )
        },
        documentation="The clinicians who treat: name, credential and state licence.",
    )
)


# -- PractitionerRole ------------------------------------------------------------------------


@dataclass(frozen=True)
class Post:
    """One practitioner at one location: a PractitionerRole, and the Schedule kept there."""

    staff: StaffMember
    location: Location

    @property
    def id(self) -> str:
        return role_id(self.staff, self.location)


def role_id(staff: StaffMember, location: Location) -> str:
    return str(uuid.uuid5(PAIR_NAMESPACE, f"{staff.public_id}/{location.public_id}"))


def posts(actor) -> list[Post]:
    """Every practitioner at every active location the actor may see, by location then name."""
    open_locations = list(
        Location.objects.restrict(actor, "view")
        .filter(active=True)
        .select_related("organisation")
        .order_by("name", "pk")
    )
    by_pk = {loc.pk: loc for loc in open_locations}
    links = (
        Location.staff.through.objects.filter(
            location_id__in=list(by_pk), staffmember__in=practitioners()
        )
        .select_related("staffmember")
        .order_by("staffmember__full_name", "staffmember_id")
    )
    found = [Post(link.staffmember, by_pk[link.location_id]) for link in links]
    order = {loc.pk: n for n, loc in enumerate(open_locations)}
    return sorted(found, key=lambda p: order[p.location.pk])


def role_words(staff: StaffMember) -> str:
    return f"{Role(staff.role).label} ({staff.credential})"


def build_role(post: Post) -> dict:
    staff, location = post.staff, post.location
    code = {"text": role_words(staff)}
    if staff.credential in ROLE_CODE:
        value, display = ROLE_CODE[staff.credential]
        code["coding"] = [{"system": ROLE_CODES, "code": value, "display": display}]
    return {
        "resourceType": "PractitionerRole",
        "id": post.id,
        "meta": {"profile": [ROLE_PROFILE]},
        "active": True,
        "practitioner": {
            **codes.reference("Practitioner", staff.public_id),
            "display": staff.full_name,
        },
        "organization": codes.reference("Organization", location.organisation.public_id),
        "code": [code],
        "location": [{**codes.reference("Location", location.public_id), "display": location.name}],
        # US Core asks for a way to reach the role: the location's phone.
        "telecom": [{"system": "phone", "value": location.phone, "use": "work"}],
    }


def reference_id(value: str, kind: str) -> str:
    """The id in a reference search ("Practitioner/<id>" or the id alone)."""
    return value.strip().removeprefix(f"{kind}/")


def filtered_posts(actor, params: dict) -> list[Post]:
    """The posts that every `practitioner`, `location` and `_id` value given names."""
    found = posts(actor)
    for value in params.get("_id", []):
        ids = {v.strip() for v in value.split(",")}
        found = [p for p in found if p.id in ids]
    for value in params.get("practitioner", []):
        wanted = reference_id(value, "Practitioner")
        found = [p for p in found if str(p.staff.public_id) == wanted]
    for value in params.get("location", []):
        wanted = reference_id(value, "Location")
        found = [p for p in found if str(p.location.public_id) == wanted]
    return found


def find_post(actor, post_id: str) -> Post | None:
    return next((p for p in posts(actor) if p.id == post_id), None)


def _find_role(actor, resource_id: str):
    post = find_post(actor, resource_id)
    return None if post is None else build_role(post)


def _list_roles(actor, params: dict) -> list[dict]:
    return [build_role(p) for p in filtered_posts(actor, params)]


def _listed(rows, value):  # pragma: no cover - a listing type's searches are its listing's
    raise TypeError("PractitionerRole and Schedule are searched by their listing.")


register(
    ResourceType(
        name="PractitionerRole",
        build=build_role,
        find=_find_role,
        listing=_list_roles,
        profile=ROLE_PROFILE,
        searches={
            "practitioner": SearchParam("reference", "Practitioner/<id>: whose roles.", _listed),
            "location": SearchParam("reference", "Location/<id>: the roles there.", _listed),
        },
        documentation="A clinician at a location: role, credential, where, how to reach them.",
    )
)
