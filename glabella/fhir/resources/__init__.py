"""Each module registers the FHIR resources it builds (see `glabella.fhir.registry`)."""

from glabella.fhir.resources import (  # noqa: F401
    areas,
    audit_events,
    care,
    clinic,
    documents,
    groups,
    patients,
    records,
    schedule,
)
