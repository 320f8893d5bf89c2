"""Domain errors as page answers, in one place: which page a refusal shows, at which status.

The API maps them in core/api.py; pages here. A view lets a refusal escape and `RefusalMiddleware`
answers: Forbidden with the not-for-your-role page at 403, NotFound with 404, any other refusal of
a submitted form with its message and the page again (a redirect), of a plain page with its message
at the error's own status. A view that shows the refusal on its own form wraps the service call in
`refusal_on(form)`: field errors go on their fields (a throttled email on the email field) and the
page is drawn again at the error's status (422, 409, 429, ...).
"""

from django.contrib import messages
from django.forms import Form
from django.http import Http404
from django.shortcuts import redirect, render

from glabella.core import audit
from glabella.core.access import actor_from_request
from glabella.core.errors import DomainError, Forbidden, NotFound, describe
from glabella.core.forms import show_refusal


def forbidden(request, why: str = ""):
    return render(request, "core/forbidden.html", {"why": why}, status=403)


def answer(request, exc: DomainError):
    """The page for a refusal nothing nearer the form caught."""
    if isinstance(exc, NotFound):
        raise Http404(exc.message)
    if isinstance(exc, Forbidden):
        return forbidden(request, exc.message)
    if request.method == "POST":
        messages.error(request, describe(exc))
        return redirect(request.get_full_path())
    return render(request, "core/refused.html", {"message": describe(exc)}, status=exc.status)


class RefusalMiddleware:
    """Answers every page's escaped DomainError (the API's handlers answer its own first), and
    logs every 403 that leaves the app: staff_page's, a Forbidden answered here or by the API's
    handlers, a view's own. Sits innermost, so every refusal passes back through it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 403:
            actor = getattr(request, "_glabella_actor", None) or actor_from_request(request)
            # Anonymous refusals are not kept: anyone could fill the never-emptied log with them.
            if actor.saved_user is not None or actor.is_patient:
                audit.record_refusal(actor, request.get_full_path(), request.method)
        return response

    def process_exception(self, request, exc):
        return answer(request, exc) if isinstance(exc, DomainError) else None


class refusal_on:
    """Catches a refusal that belongs on the page being drawn again: puts it on `form` (if any)
    and keeps `status`, `fields` and `message`. Without `kinds`, every refusal but Forbidden and
    NotFound; with them, exactly those kinds. The rest go on to the middleware."""

    def __init__(self, form: Form | None = None, kinds: tuple[type[DomainError], ...] = ()):
        self.form = form
        self.kinds = kinds
        self.error: DomainError | None = None
        self.status = 200
        self.fields: dict[str, list[str]] = {}
        self.message = ""

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if not isinstance(exc, self.kinds or DomainError):
            return False
        if not self.kinds and isinstance(exc, (Forbidden, NotFound)):
            return False
        self.error, self.status, self.message = exc, exc.status, exc.message
        self.fields = getattr(exc, "fields", None) or {}
        if self.form is not None:
            show_refusal(self.form, exc)
        return True

    def __bool__(self) -> bool:
        return self.error is not None
