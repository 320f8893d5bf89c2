"""One error path for pages: a refusal a view lets escape, or shows on its form, answers with the
error's own status and message (core/pages.py)."""

import pytest
from django import forms
from django.http import HttpResponse
from django.urls import path

from glabella import urls as site_urls
from glabella.core.errors import Conflict, Forbidden, NotFound, Throttled, ValidationFailed
from glabella.core.pages import refusal_on

REFUSALS = {
    "not-found": NotFound("No such visit."),
    "forbidden": Forbidden("Only the medical director does this."),
    "conflict": Conflict("This visit is already checked in."),
    "invalid": ValidationFailed({"email": ["Give an email we can reach."]}),
    "throttled": Throttled("Too many tries in a few minutes.", field="email"),
}


class EmailForm(forms.Form):
    email = forms.CharField(required=False)


def escaping(request, kind):
    raise REFUSALS[kind]


def on_form(request, kind):
    form = EmailForm(request.POST)
    form.is_valid()
    with refusal_on(form) as refused:
        raise REFUSALS[kind]
    body = f"{form.errors.get('email', [''])[0]}|{' '.join(form.non_field_errors())}"
    return HttpResponse(body, status=refused.status)


urlpatterns = [  # with the site's own, which the base template links to
    path("escaping/<str:kind>/", escaping, name="escaping"),
    path("on-form/<str:kind>/", on_form, name="on-form"),
    *site_urls.urlpatterns,
]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]


@pytest.mark.parametrize(
    "kind, status, shown",
    [
        ("not-found", 404, None),
        ("forbidden", 403, "Only the medical director does this."),
        ("conflict", 409, "This visit is already checked in."),
        ("invalid", 422, "Give an email we can reach."),
        ("throttled", 429, "Too many tries in a few minutes."),
    ],
)
def test_an_escaped_refusal_answers_a_page_at_its_own_status(client, kind, status, shown):
    response = client.get(f"/escaping/{kind}/")
    assert response.status_code == status
    if shown:
        assert shown in response.content.decode()


def test_an_escaped_refusal_of_a_submitted_form_gives_its_message_and_the_page_again(client):
    response = client.post("/escaping/conflict/", follow=False)
    assert response.status_code == 302
    assert response["Location"] == "/escaping/conflict/"
    texts = [str(m) for m in response.wsgi_request._messages]
    assert texts == ["This visit is already checked in."]


def test_a_forbidden_submission_is_told_no_not_redirected(client):
    response = client.post("/escaping/forbidden/")
    assert response.status_code == 403
    assert "Only the medical director does this." in response.content.decode()


@pytest.mark.parametrize(
    "kind, status, on_email, on_top",
    [
        ("invalid", 422, "Give an email we can reach.", ""),
        ("throttled", 429, "Too many tries in a few minutes.", ""),
        ("conflict", 409, "", "This visit is already checked in."),
    ],
)
def test_a_refusal_shown_on_the_form_keeps_its_status_and_field(
    client, kind, status, on_email, on_top
):
    response = client.post(f"/on-form/{kind}/", {"email": "ana@example.com"})
    assert response.status_code == status
    assert response.content.decode() == f"{on_email}|{on_top}"


@pytest.mark.parametrize("kind, status", [("forbidden", 403), ("not-found", 404)])
def test_forbidden_and_not_found_pass_the_form_by(client, kind, status):
    assert client.post(f"/on-form/{kind}/").status_code == status
