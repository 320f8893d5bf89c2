"""Response headers that keep every page to the app's own origin."""

from django.conf import settings

# Nothing from another site: scripts, styles, fonts, images and frames come from here only.
POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)
# Swagger UI, which ninja serves from our own static files, starts itself with an inline script.
API_DOCS_POLICY = POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.docs_prefix = getattr(settings, "API_DOCS_PATH", "/api/docs")

    def __call__(self, request):
        response = self.get_response(request)
        policy = API_DOCS_POLICY if request.path.startswith(self.docs_prefix) else POLICY
        response.headers.setdefault("Content-Security-Policy", policy)
        return response
