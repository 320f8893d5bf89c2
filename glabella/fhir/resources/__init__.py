"""Each module registers the FHIR resources it builds (see `glabella.fhir.registry`)."""

from glabella.fhir.resources import (
    clinic,  # noqa: F401
    patients,  # noqa: F401
    schedule,  # noqa: F401
)
