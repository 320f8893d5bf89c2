from django.urls import path

from glabella.portal import inbox_views, token_views, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("locations/", views.locations, name="locations"),
    path("service-area/", views.service_area, name="service-area"),
    path("contact/", views.contact, name="contact"),
    path("portal/sign-in/", views.sign_in, name="sign-in"),
    path("portal/sign-in/<str:token>/", views.sign_in_link, name="link"),
    path("portal/", views.me, name="me"),
    path("portal/book-next/", views.book_next, name="book-next"),
    path("portal/treatments/", views.treatments, name="treatments"),
    path("portal/receipts/", views.receipts, name="receipts"),
    path("portal/receipts/<uuid:public_id>.pdf", views.receipt, name="receipt"),
    path("portal/photos/", views.photos, name="photos"),
    path("portal/photos/<uuid:public_id>/<slug:size>/", views.photo, name="photo"),
    path("portal/preferences/", views.preferences, name="preferences"),
    path("portal/password/", views.password, name="password"),
    path("portal/my-data.<slug:fmt>", views.my_data, name="my-data"),
    path("portal/apps/", token_views.app_tokens, name="app-tokens"),
    path(
        "portal/apps/<uuid:public_id>/revoke/",
        token_views.app_token_revoke,
        name="app-token-revoke",
    ),
    path("portal/language/<slug:code>/", views.language, name="language"),
    path("staff/inbox/", inbox_views.inbox, name="inbox"),
    path("staff/inbox/<uuid:public_id>/reply/", inbox_views.reply, name="reply"),
    path("staff/inbox/<uuid:public_id>/handled/", inbox_views.handled, name="handled"),
    path("staff/inbox/texts/<uuid:public_id>/answer/", inbox_views.text_answer, name="text-answer"),
    path("staff/inbox/texts/<uuid:public_id>/read/", inbox_views.text_read, name="text-read"),
    path("staff/site/", views.site_pages, name="site-pages"),
    path("staff/site/<slug:slug>/", views.site_page, name="site-page"),
    # One page per entry of the site's menu: how-it-works/, areas/, faq/...
    *(path(f"{slug}/", views.info, {"slug": slug}, name=slug) for slug in views.MENU),
]
