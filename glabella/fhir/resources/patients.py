"""Patient, as US Core Patient: names, birth date, sex, contacts, address, language."""

from glabella.core.audit import Kind
from glabella.fhir import codes
from glabella.fhir.registry import ResourceType, SearchParam, name_search, register
from glabella.patients.models import Patient
from glabella.patients.search import fold

GENDER = {"female": "female", "male": "male", "other": "other"}
LANGUAGE = "urn:ietf:bcp:47"
RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/v2-0131"  # C: emergency contact


def build(patient: Patient) -> dict:
    name = {"use": "official", "family": patient.family_name, "given": [patient.given_name]}
    names = [name]
    if patient.preferred_name and patient.preferred_name != patient.given_name:
        names.append({"use": "usual", "given": [patient.preferred_name]})
    resource = {
        "resourceType": "Patient",
        "id": str(patient.public_id),
        "identifier": [
            {
                "use": "usual",
                "type": {"coding": [{"system": codes.V2_0203, "code": "MR"}]},
                "system": codes.identifier_system("patient"),
                "value": str(patient.public_id),
            }
        ],
        "active": True,
        "name": names,
        "gender": GENDER.get(patient.sex, "unknown"),
        "birthDate": patient.birth_date.isoformat(),
        "communication": [
            {
                "language": {"coding": [{"system": LANGUAGE, "code": patient.language}]},
                "preferred": True,
            }
        ],
    }
    telecom = []
    if patient.phone:
        telecom.append({"system": "phone", "value": patient.phone, "use": "mobile"})
    if patient.email:
        telecom.append({"system": "email", "value": patient.email})
    if telecom:
        resource["telecom"] = telecom
    if patient.address_line1 or patient.city:
        address = {"use": "home", "country": "US"}
        lines = [x for x in (patient.address_line1, patient.address_line2) if x]
        if lines:
            address["line"] = lines
        for key, value in (
            ("city", patient.city),
            ("state", patient.state),
            ("postalCode", patient.postal_code),
        ):
            if value:
                address[key] = value
        resource["address"] = [address]
    if patient.emergency_contact_name or patient.emergency_contact_phone:
        contact = {"relationship": [{"coding": [{"system": RELATIONSHIP, "code": "C"}]}]}
        if patient.emergency_contact_name:
            contact["name"] = {"text": patient.emergency_contact_name}
        if patient.emergency_contact_phone:
            contact["telecom"] = [{"system": "phone", "value": patient.emergency_contact_phone}]
        resource["contact"] = [contact]
    return resource


def _by_birthdate(rows, value: str):
    from glabella.core import bounds

    try:
        return rows.filter(birth_date=bounds.parse_day(value))
    except ValueError:
        raise ValueError("birthdate takes a date such as 1985-04-12.") from None


register(
    ResourceType(
        name="Patient",
        build=build,
        rows=lambda actor: Patient.objects.restrict(actor, "view"),
        audit_kind=Kind.PATIENT,
        patient="",
        updated="updated_at",
        profile=f"{codes.US_CORE}/us-core-patient",
        searches={
            "name": SearchParam(
                "string",
                "Some letters of her name.",
                name_search("search_text__contains", "patient", fold),
            ),
            "birthdate": SearchParam("date", "Her date of birth.", _by_birthdate),
        },
        documentation="The clinic's patients; a patient's token reads her own record only.",
    )
)
