"""Each module registers the FHIR resources it builds (see `glabella.fhir.registry`)."""

from glabella.fhir.resources import (  # noqa: F401
    clinic,
    groups,
    patients,
    schedule,
)
