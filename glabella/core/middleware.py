"""Response headers that keep every page to the app's own origin."""

from django.conf import settings
from django.http import JsonResponse

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


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every response the app draws (decision 0026): staff, portal
    and signed-link pages, PDFs and CSVs, API reads. A page drawn for a signed-in person names
    them in its menu, so even the public pages are not kept. Static files never reach this
    (whitenoise answers them first, with their own long cache). A view that set its own
    Cache-Control keeps it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response


class ApiErrorShapeMiddleware:
    """Under /api/, whatever Django answers outside the API's own views (an unknown path, a
    method the path does not take, an error in a middleware) comes in the API's JSON shape."""

    CODES = {404: "not_found", 405: "method_not_allowed", 500: "server_error"}
    MESSAGES = {
        404: "Not found.",
        405: "This path does not take this method.",
        500: "Something went wrong on our side. Please try again; if it keeps happening, "
        "tell the clinic.",
    }

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/api/") or response.status_code < 400:
            return response
        if response.headers.get("Content-Type", "").startswith("application/json"):
            return response
        status = response.status_code
        code = self.CODES.get(status, f"http_{status}")
        message = self.MESSAGES.get(status, response.reason_phrase)
        shaped = JsonResponse({"error": {"code": code, "message": message}}, status=status)
        for header in ("Allow", "Retry-After"):
            if header in response.headers:
                shaped.headers[header] = response.headers[header]
        return shaped
