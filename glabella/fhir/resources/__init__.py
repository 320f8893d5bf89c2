"""Each module registers the FHIR resources it builds (see `glabella.fhir.registry`)."""

from glabella.fhir.resources import (
    audit_events,  # noqa: F401
    documents,  # noqa: F401
    patients,  # noqa: F401
    records,  # noqa: F401
)
