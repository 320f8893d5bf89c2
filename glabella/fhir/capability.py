"""The server's CapabilityStatement, drawn from the registry: what it serves and searches."""

from glabella.core import brand
from glabella.fhir import codes, registry

STATEMENT_DATE = "2026-12-02"  # when this statement last changed

COMMON_SEARCHES = [
    ("_id", "token", "The resource's id; several separated by commas."),
    ("_count", "number", "Resources per page, 1 to 100 (20 unless given)."),
]


# Bulk Data export (glabella.fhir.bulk): for the system, a Group and the patients.
BULK = "http://hl7.org/fhir/uv/bulkdata"
EXPORTS = {
    "": f"{BULK}/OperationDefinition/export",
    "Group": f"{BULK}/OperationDefinition/group-export",
    "Patient": f"{BULK}/OperationDefinition/patient-export",
}


def statement() -> dict:
    resources = []
    for name in registry.names():
        kind = registry.get(name)
        if not kind.searchable:
            entry = {"type": name, "interaction": [{"code": "read"}]}
            if kind.documentation:
                entry["documentation"] = kind.documentation
            resources.append(entry)
            continue
        params = [{"name": n, "type": t, "documentation": d} for n, t, d in COMMON_SEARCHES]
        if kind.patient is not None and kind.patient != "":
            params.append(
                {"name": "patient", "type": "reference", "documentation": "Whose resources."}
            )
        if kind.date:
            params.append(
                {"name": "date", "type": "date", "documentation": "When; eq, ge, gt, le, lt."}
            )
        if kind.updated:
            params.append(
                {"name": "_lastUpdated", "type": "date", "documentation": "Changed when."}
            )
        for param_name, param in kind.searches.items():
            params.append(
                {"name": param_name, "type": param.type, "documentation": param.documentation}
            )
        entry = {
            "type": name,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": params,
        }
        if name in EXPORTS:
            entry["operation"] = [{"name": "export", "definition": EXPORTS[name]}]
        if kind.profile:
            entry["supportedProfile"] = [kind.profile]
        if kind.documentation:
            entry["documentation"] = kind.documentation
        resources.append(entry)
    clinic = brand.current()
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": STATEMENT_DATE,
        "publisher": clinic.name,
        "kind": "instance",
        "software": {"name": "glabella"},
        "implementation": {"description": f"{clinic.name}'s records", "url": codes.base_url()},
        "instantiates": [f"{BULK}/CapabilityStatement/bulk-data"],
        "fhirVersion": codes.FHIR_VERSION,
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/"
                                    "restful-security-service",
                                    "code": "OAuth",
                                }
                            ],
                            "text": "Bearer tokens issued by the clinic (glb_...).",
                        }
                    ],
                    "description": "Send Authorization: Bearer <token>. A staff token reads "
                    "what its scope and role allow; a patient's token reads her own records.",
                },
                "resource": resources,
                "operation": [{"name": "export", "definition": EXPORTS[""]}],
            }
        ],
    }
