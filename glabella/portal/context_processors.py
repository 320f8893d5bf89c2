"""The language switch on a signed-in patient's own pages: its links go through the portal's
`language` view, which keeps the language chosen on her record (her messages and documents follow
it) before showing the same page in it. Other pages keep the plain switch."""

from urllib.parse import urlencode

from django.urls import Resolver404, resolve, reverse


def _patient_page(request) -> bool:
    if not request.user.is_authenticated:
        return False
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return bool(getattr(match.func, "patient_page", False))


def language_switch(request):
    """`page_alternates` (set by core's `languages`) with a saving link in place of each other
    language's address, on pages marked `patient_page`."""
    if not _patient_page(request):
        return {}
    from glabella.core.context_processors import languages

    alternates = []
    for alt in languages(request)["page_alternates"]:
        if not alt["current"]:
            switch = reverse("portal:language", args=[alt["code"]])
            alt = {**alt, "url": f"{switch}?{urlencode({'next': alt['url']})}"}
        alternates.append(alt)
    return {"page_alternates": alternates}
