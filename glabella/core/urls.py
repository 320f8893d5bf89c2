from django.contrib.auth import views as auth_views
from django.urls import path

from glabella.core import two_factor_views, views

app_name = "core"
urlpatterns = [
    path("home/", views.home, name="home"),
    path("sign-in/", views.SignInView.as_view(), name="sign-in"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="sign-out"),
    # Two-factor sign-in: the step after the password, and setting a second factor up.
    path("sign-in/second-factor/", two_factor_views.second_factor, name="second-factor"),
    path("sign-in/two-factor/", two_factor_views.setup, name="two-factor-setup"),
    path("sign-in/two-factor/app/", two_factor_views.app, name="two-factor-app"),
    path("sign-in/two-factor/passkey/", two_factor_views.passkey, name="two-factor-passkey"),
    path(
        "sign-in/two-factor/backup-codes/",
        two_factor_views.backup_codes,
        name="two-factor-backup-codes",
    ),
    # Issue 18: the idle warning's "stay signed in", password reset and change.
    path("still-here/", views.still_here, name="still-here"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path("password/reset/sent/", views.PasswordResetSentView.as_view(), name="password-reset-sent"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("password/change/", views.PasswordChangeView.as_view(), name="password-change"),
    path("staff/signing-pin/", views.signing_pin, name="signing-pin"),
    path("tablet/unlock/", views.tablet_release, name="tablet-release"),
]
