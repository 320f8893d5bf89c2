"""django-otp-webauthn's passkey ceremonies under /sign-in/passkey/, for signed-in staff only
(its template tags find them by the `otp_webauthn` namespace)."""

from django.urls import path
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import views as webauthn

from glabella.core.two_factor_views import passkey_ceremony

app_name = "otp_webauthn"
urlpatterns = [
    path(
        "registration/begin/",
        passkey_ceremony(webauthn.BeginCredentialRegistrationView.as_view()),
        name="credential-registration-begin",
    ),
    path(
        "registration/complete/",
        passkey_ceremony(
            webauthn.CompleteCredentialRegistrationView.as_view(), records="enrolment"
        ),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        passkey_ceremony(webauthn.BeginCredentialAuthenticationView.as_view()),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        passkey_ceremony(
            webauthn.CompleteCredentialAuthenticationView.as_view(), records="authentication"
        ),
        name="credential-authentication-complete",
    ),
    # The words of its script (in English here), which the script reads as a static file would.
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
        name="js-i18n-catalog",
    ),
]
