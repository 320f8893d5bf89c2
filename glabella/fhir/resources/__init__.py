"""Each module registers the FHIR resources it builds (see `glabella.fhir.registry`)."""

from glabella.fhir.resources import (
    areas,  # noqa: F401
    care,  # noqa: F401
    patients,  # noqa: F401
)
