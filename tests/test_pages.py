"""The pages load nothing from another site, and say so to the browser."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent / "glabella"
EXTERNAL = re.compile(r"""(src|href)\s*=\s*["']\s*(https?:)?//""", re.I)


def test_no_template_loads_anything_from_another_site():
    offenders = [str(p) for p in ROOT.rglob("*.html") if EXTERNAL.search(p.read_text())]
    assert offenders == []


def test_no_stylesheet_imports_from_another_site():
    for css in ROOT.rglob("*.css"):
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", css.read_text()), css


def test_every_page_sends_a_same_origin_content_security_policy(client_for, patient):
    client = client_for("injector")
    for url in [
        reverse("patients:search"),
        reverse("patients:record", args=[patient.public_id]),
        reverse("clinic:overview"),
        "/api/v1/clinic/locations",
    ]:
        policy = client.get(url)["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        assert "http" not in policy


@pytest.mark.django_db  # every request reads which clinic its host belongs to (0047)
def test_the_api_docs_are_served_from_our_own_static_files(client):
    html = client.get("/api/docs").content.decode()
    assert "/static/ninja/" in html
    assert not EXTERNAL.search(html)


def test_static_assets_are_served_by_the_app(client):
    from django.contrib.staticfiles import finders

    assert finders.find("glabella/vendor/htmx.min.js")
    assert finders.find("glabella/glabella.css")


def test_the_staff_pages_work_on_a_tablet(client_for):
    html = client_for("front_desk").get(reverse("patients:search")).content.decode()
    assert 'name="viewport" content="width=device-width' in html
