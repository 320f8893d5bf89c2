"""Each module registers the FHIR resources it builds (see `glabella.fhir.registry`)."""

from glabella.fhir.resources import (
    groups,  # noqa: F401
    patients,  # noqa: F401
)
