"""The code systems the FHIR resources speak, and the clinic's own for the facial areas.

SNOMED CT and HCPCS codes are those CLINICAL.md gives. The facial areas have no standard code
fine enough (a glabellar complex, crow's feet per side), so glabella publishes a local code
system: its canonical URL is the server's own `CodeSystem/facial-area`, readable there as a
CodeSystem resource, one concept per chart area.
"""

from django.conf import settings

SNOMED = "http://snomed.info/sct"
HCPCS = "urn:oid:2.16.840.1.113883.6.285"  # HCPCS Level II (Medicare's J codes)
NDC = "http://hl7.org/fhir/sid/ndc"
NPI = "http://hl7.org/fhir/sid/us-npi"
LOINC = "http://loinc.org"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"  # identifier types
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition"

FHIR_VERSION = "4.0.1"
MIME = "application/fhir+json"


def base_url() -> str:
    """The FHIR API's own address, without a trailing slash: SITE_URL + /fhir/R4."""
    return f"{settings.SITE_URL}/fhir/R4"


def local_system(name: str) -> str:
    """A code system or identifier namespace of this clinic's, published under the API."""
    return f"{base_url()}/CodeSystem/{name}"


def identifier_system(name: str) -> str:
    """The namespace of this clinic's own identifiers (a patient's record id...)."""
    return f"{settings.SITE_URL}/identifiers/{name}"


def reference(resource_type: str, public_id) -> dict:
    return {"reference": f"{resource_type}/{public_id}"}
