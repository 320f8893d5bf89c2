"""AuditEvent: the access log's rows (`core.models.AccessLog`), as FHIR's audit trail.

Who reads them: staff with VIEW_AUDIT, every row (as the staff access-log page); a patient, the
rows about her own record that the portal's "who looked" page shows her (`patients.looked`:
what clinic staff did, not her own acts, the system's or refusals), with no other patient's id,
no address and no query in them. The log has no public ids: a row's id is its number.

Reading the log is itself logged (the frame writes a row per read and per page of a search, naming
the patients shown). Searches go in the order of the rows' ids, oldest first, so the rows those
reads add land after the last page, never before the one being read: the next page does not
shift, only `total` grows by the rows written meanwhile.
"""

from __future__ import annotations

import base64

from django.db.models import Value

from glabella.core.audit import Kind
from glabella.core.models import AccessLog
from glabella.core.roles import Capability, Role
from glabella.fhir import codes
from glabella.fhir.registry import ResourceType, SearchParam, number_id, register
from glabella.fhir.server import instant
from glabella.patients import looked
from glabella.patients.models import Patient

DCM = "http://dicom.nema.org/resources/ontology/DCM"
INTERACTION = "http://hl7.org/fhir/restful-interaction"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
NETWORK_IP = "2"  # AuditEvent.agent.network.type: an IP address

Action = AccessLog.Action
ACTIONS = {  # AuditEvent.action: create, read, update, delete, execute
    Action.CREATE: "C",
    Action.READ: "R",
    Action.UPDATE: "U",
    Action.DELETE: "D",
    Action.SEARCH: "E",
    Action.EXPORT: "R",
    Action.REFUSED: "E",
}
SUBTYPES = {
    Action.CREATE: ("create", "create"),
    Action.READ: ("read", "read"),
    Action.UPDATE: ("update", "update"),
    Action.DELETE: ("delete", "delete"),
    Action.SEARCH: ("search-type", "search type"),
}
SIGNING_IN = {
    Kind.SIGN_IN,
    Kind.SIGN_IN_FAILURE,
    Kind.ACCOUNT_LOCK,
    Kind.SECOND_FACTOR,
    Kind.SECOND_FACTOR_FAILURE,
    Kind.BACKUP_CODE_USE,
}
FAILED = {Kind.SIGN_IN_FAILURE.value, Kind.SECOND_FACTOR_FAILURE.value}


def _dcm(code: str, display: str) -> dict:
    return {"system": DCM, "code": code, "display": display}


def _type(row: AccessLog) -> tuple[dict, list[dict]]:
    """(type, subtypes) from what was done to what."""
    if row.action == Action.REFUSED:
        return _dcm("110113", "Security Alert"), []
    if row.object_type in {k.value for k in SIGNING_IN}:
        login = {Action.CREATE: ("110122", "Login"), Action.DELETE: ("110123", "Logout")}
        found = login.get(row.action)
        return _dcm("110114", "User Authentication"), [_dcm(*found)] if found else []
    if row.action == Action.EXPORT:
        return _dcm("110106", "Export"), []
    code, display = SUBTYPES.get(row.action, SUBTYPES[Action.READ])
    return _dcm("110110", "Patient Record"), [
        {"system": INTERACTION, "code": code, "display": display}
    ]


def _who(row: AccessLog) -> dict:
    staff = getattr(row.user, "staff", None) if row.user_id else None
    if staff is not None:
        return {**codes.reference("Practitioner", staff.public_id), "display": staff.full_name}
    patient = getattr(row.user, "patient_record", None) if row.user_id else None
    name = row.actor_label.split(" <", 1)[0]
    if patient is not None:
        return {**codes.reference("Patient", patient.public_id), "display": name}
    return {"display": name or "The system"}


def _role_name(role: str) -> str:
    if role in Role.values:
        return str(Role(role).label)
    return {"patient": "Patient", "system": "The system", "anonymous": "Not signed in"}.get(
        role, role.replace("_", " ")
    )


def _named(row: AccessLog) -> list[str]:
    """The patients a row names: its own, and those a listing showed; read by a patient, her
    own id only (what her resource shows her, so the log says no more than she saw)."""
    viewer = getattr(row, "viewer_patient", None)
    if viewer is not None:
        return [viewer]
    found = [str(row.patient_public_id)] if row.patient_public_id else []
    listed = row.detail.get("patients") if isinstance(row.detail, dict) else None
    if isinstance(listed, list):
        found += [str(p) for p in listed if str(p) not in found]
    return found


def build(row: AccessLog) -> dict:
    # A patient's token: her own id only, and nothing of what the clinic's staff searched for.
    viewer = getattr(row, "viewer_patient", None)
    kind, subtypes = _type(row)
    agent = {"who": _who(row), "requestor": True, "role": [{"text": _role_name(row.actor_role)}]}
    if row.ip and viewer is None:
        agent["network"] = {"address": row.ip, "type": NETWORK_IP}
    entities = []
    for public_id in _named(row):
        if viewer is not None and public_id != viewer:
            continue
        entities.append(
            {
                "what": codes.reference("Patient", public_id),
                "type": {"system": ENTITY_TYPE, "code": "1", "display": "Person"},
                "role": {"system": OBJECT_ROLE, "code": "1", "display": "Patient"},
            }
        )
    what = {
        "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
        "description": row.object_words,  # not `name`: an entity has a name or a query
    }
    detail = row.detail if isinstance(row.detail, dict) else {}
    fhir = detail.get("fhir")
    if isinstance(fhir, str) and "/" in fhir:
        what["what"] = {"reference": fhir}
    elif row.object_id and not fhir and row.object_id != str(row.patient_public_id or ""):
        what["what"] = {
            "identifier": {
                "system": codes.identifier_system(row.object_type),
                "value": row.object_id,
            }
        }
    query = detail.get("query")
    if isinstance(query, str) and query and viewer is None:
        what["query"] = base64.b64encode(query.encode()).decode()
    entities.append(what)
    resource = {
        "resourceType": "AuditEvent",
        "id": str(row.pk),
        "type": kind,
        "action": ACTIONS.get(row.action, "E"),
        "recorded": instant(row.at),
        "outcome": "4" if row.action == Action.REFUSED or row.object_type in FAILED else "0",
        "agent": [agent],
        "source": {
            "observer": {"display": "glabella"},
            "type": [{"system": SOURCE_TYPE, "code": "4", "display": "Application Server"}],
        },
        "entity": entities,
    }
    if subtypes:
        resource["subtype"] = subtypes
    channel = dict(AccessLog.Channel.choices).get(row.channel)
    if channel:
        resource["source"]["site"] = channel
    return resource


def rows(actor):
    """The rows this actor may read: her clinic's with VIEW_AUDIT, a patient those of her own
    page."""
    if actor.can(Capability.VIEW_AUDIT):  # of the actor's clinic (decision 0047)
        return looked.of_clinic(actor).select_related("user__staff", "user__patient_record")
    if actor.is_patient:
        patient = Patient.objects.filter(pk=actor.patient_id).first()
        if patient is None:
            return AccessLog.objects.none()
        return (
            looked.looks_at(patient)
            .select_related("user__patient_record")
            .annotate(viewer_patient=Value(str(patient.public_id)))
        )
    return AccessLog.objects.none()


def _by_patient(found, value: str):
    from uuid import UUID

    wanted = value.strip().removeprefix("Patient/")
    try:
        public_id = UUID(wanted)
    except ValueError:
        raise ValueError(f"patient takes a patient's id such as {UUID(int=0)}.") from None
    if "viewer_patient" in found.query.annotations and str(public_id) != _viewer(found):
        # A patient asks about her own record only: whether another patient was in a list
        # that showed her is not hers to learn.
        return found.none()
    return found.filter(pk__in=looked.rows_about(public_id).values("pk"))


def _viewer(found) -> str:
    return found.query.annotations["viewer_patient"].value


register(
    ResourceType(
        name="AuditEvent",
        build=build,
        rows=rows,
        audit_kind=Kind.ACCESS_LOG,
        id_lookup="pk",
        id_parse=number_id,
        named=_named,
        date="at",
        updated="at",
        searches={
            "patient": SearchParam(
                "reference",
                "The rows about this patient's record, lists that showed her included.",
                _by_patient,
            )
        },
        documentation="The access log: every read and change of patient data (staff with the "
        "audit capability); a patient's token reads who at the clinic looked at her record. "
        "Ids are the log's row numbers; pages in the order of the ids.",
    )
)
