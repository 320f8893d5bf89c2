"""The JSON API: /api/v1/..., OpenAPI at /api/openapi.json, interactive docs at /api/docs."""

from ninja import NinjaAPI

from glabella.aftercare.api import router as aftercare_router
from glabella.billing.api import router as billing_router
from glabella.billing.prepaid_api import router as prepaid_router
from glabella.clinic.api import router as clinic_router
from glabella.core.api import AUTH, PublicApiThrottle, install_error_handlers
from glabella.core.openapi import declare_errors
from glabella.outcomes.api import router as outcomes_router
from glabella.patients.api import router as patients_router
from glabella.scheduling.api import router as scheduling_router
from glabella.screening.api import router as screening_router
from glabella.treatments.api import router as treatments_router


class GlabellaAPI(NinjaAPI):
    """The spec ninja draws, with every error the API answers declared (core/openapi.py)."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        drawn = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return declare_errors(drawn)


api = GlabellaAPI(
    title="glabella API",
    version="1",
    description="Patients, clinic set-up, scheduling, candidacy screening and billing for a "
    "botulinum-toxin service. "
    "Authenticate with the "
    "browser session or an `Authorization: Bearer glb_...` token.",
    auth=AUTH,
    throttle=[PublicApiThrottle()],
    urls_namespace="api",
    docs_url="/docs",
)
install_error_handlers(api)
api.add_router("/v1/patients", patients_router)
api.add_router("/v1/clinic", clinic_router)
api.add_router("/v1/scheduling", scheduling_router)
api.add_router("/v1/screening", screening_router)
api.add_router("/v1/treatments", treatments_router)
api.add_router("/v1/aftercare", aftercare_router)
api.add_router("/v1/outcomes", outcomes_router)
api.add_router("/v1/billing", billing_router)
api.add_router("/v1/billing", prepaid_router)  # packages and memberships
