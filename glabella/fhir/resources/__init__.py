"""Each module registers the FHIR resources it builds (see `glabella.fhir.registry`)."""

from glabella.fhir.resources import (  # noqa: F401
    areas,
    care,
    clinic,
    groups,
    patients,
    schedule,
)
