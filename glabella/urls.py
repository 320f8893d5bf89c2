"""Every app's pages in English (unprefixed) and in Spanish (under /es/); the API and the owner's
admin once, outside the languages."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from glabella.api import api

pages = i18n_patterns(
    path("", include("glabella.core.urls")),
    path("sign-in/passkey/", include("glabella.core.passkey_urls")),  # staff passkeys
    # Before patients: its staff/patients/<id>/<kind>/ would otherwise take .../forms/.
    path("", include("glabella.screening.urls")),
    path("", include("glabella.outcomes.urls")),  # .../photos/ and .../outcomes/ likewise
    path("", include("glabella.patients.urls")),
    path("", include("glabella.clinic.urls")),
    path("", include("glabella.scheduling.urls")),
    path("", include("glabella.messaging.urls")),
    path("", include("glabella.treatments.urls")),
    path("", include("glabella.inventory.urls")),
    path("", include("glabella.aftercare.urls")),
    path("", include("glabella.billing.urls")),
    path("", include("glabella.webhooks.urls")),
    path("", include("glabella.portal.urls")),
    path("staff/billing/prices/", include("glabella.billing.price_urls")),
    path("staff/billing/", include("glabella.billing.close_urls")),
    path("staff/billing/prepaid/", include("glabella.billing.prepaid_urls")),
    path("", include("glabella.billing.card_urls")),
    prefix_default_language=False,
)
urlpatterns = [
    *pages,
    path("", include("glabella.core.health_urls")),  # /healthz, /metrics: outside the languages
    path("api/", api.urls),
    path("texts/twilio/", include("glabella.messaging.twilio_urls")),
    path("fhir/R4/", include("glabella.fhir.urls")),
    path("admin/", admin.site.urls),
]
