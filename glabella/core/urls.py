from django.contrib.auth import views as auth_views
from django.urls import path

from glabella.core import views

app_name = "core"
urlpatterns = [
    path("home/", views.home, name="home"),
    path("sign-in/", views.SignInView.as_view(), name="sign-in"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="sign-out"),
    path("staff/signing-pin/", views.signing_pin, name="signing-pin"),
    path("tablet/unlock/", views.tablet_release, name="tablet-release"),
]
