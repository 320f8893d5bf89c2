"""schema.org data for search engines: each location as a MedicalClinic, written into the public
pages as JSON-LD, its words for people in the page's language."""

import json

from django.conf import settings
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# What may not appear raw inside a <script> element.
_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def clinic(location) -> dict:
    """One location as a schema.org MedicalClinic (reads prefetched hours and areas)."""
    hours = [
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": f"https://schema.org/{DAYS[h.weekday]}",
            "opens": h.opens.strftime("%H:%M"),
            "closes": h.closes.strftime("%H:%M"),
        }
        for h in sorted(location.opening_hours.all(), key=lambda h: (h.weekday, h.opens))
    ]
    served = [location.city] + [a.label for a in location.service_areas.all()]
    return {
        "@context": "https://schema.org",
        "@type": "MedicalClinic",
        "name": f"{location.organisation.name}, {location.name}",
        "url": settings.SITE_URL + reverse("portal:locations") + f"#{location.slug}",
        "telephone": location.phone,
        **({"email": location.email} if location.email else {}),
        "address": {
            "@type": "PostalAddress",
            "streetAddress": " ".join(
                p for p in (location.address_line1, location.address_line2) if p
            ),
            "addressLocality": location.city,
            "addressRegion": location.state,
            "postalCode": location.postal_code,
            "addressCountry": "US",
        },
        "openingHoursSpecification": hours,
        "areaServed": [{"@type": "City", "name": name} for name in dict.fromkeys(served)],
        "medicalSpecialty": "https://schema.org/Dermatology",
        "availableService": {
            "@type": "MedicalProcedure",
            "name": _("Botulinum toxin injections for facial lines"),
            "procedureType": "https://schema.org/NoninvasiveProcedure",
        },
    }


def script(data) -> SafeString:
    """A JSON-LD <script> element, safe to place in a page."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308
