"""The stock half of the label in full: every vial size received (Dysport's 500 U), the diluent
and its volume chosen from the label's list with the concentration it gives, units in the steps
the vial's concentration allows, and a record drawn from several vials with the ledger adding up.
Through the API, the pages and the services; bad input refused on its field, nothing written."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from glabella.core.models import AccessLog
from glabella.inventory.models import Lot, Movement, Vial
from tests.conftest import receive_lot

D = Decimal


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def written():
    return (
        Lot.objects.count(),
        Movement.objects.count(),
        list(Vial.objects.order_by("pk").values_list("state", "diluent_ml")),
    )


def delivery(**changes) -> dict:
    data = {
        "location": "thousand-oaks",
        "product": "dysport",
        "lot_number": "D500A",
        "expires_on": (date.today() + timedelta(days=300)).isoformat(),
        "vial_units": 500,
        "vials_received": 2,
        "supplier": "Authorised distributor",
        "seal_checked": True,
        "licence_checked": True,
    }
    data.update(changes)
    return data


# ---------------------------------------------------------------- receiving


def test_dysports_500_unit_vial_is_received_through_the_api(client_for, clinic):
    response = post(client_for("injector"), "/api/v1/treatments/stock/lots", delivery())
    assert response.status_code == 201, response.content
    assert [v["units_left"] for v in response.json()["vials"]] == ["500.00", "500.00"]


def test_a_vial_size_the_product_does_not_come_in_is_refused_on_its_field(client_for, clinic):
    client = client_for("injector")
    for product, units in (("dysport", 100), ("botox_cosmetic", 500), ("daxxify", 300)):
        response = post(
            client,
            "/api/v1/treatments/stock/lots",
            delivery(product=product, vial_units=units),
        )
        assert response.status_code == 422
        assert "vial_units" in response.json()["error"]["fields"]
    assert not Lot.objects.exists()


def test_dysports_500_unit_vial_is_received_by_the_stock_page(client_for, clinic):
    data = {k: v for k, v in delivery().items() if k != "location"}
    data.update(seal_checked="on", licence_checked="on", vials_received="3")
    response = client_for("injector").post(reverse("inventory:stock"), data)
    assert response.status_code == 302
    assert Lot.objects.get().vials.filter(units_total=500).count() == 3


# ---------------------------------------------------------------- reconstitution


def reconstitute_url(vial) -> str:
    return f"/api/v1/treatments/stock/vials/{vial.public_id}/reconstitute"


@pytest.mark.parametrize(
    ("product", "units", "ml", "per_01ml", "step"),
    [
        ("botox_cosmetic", 100, "2.5", "4.00", "0.25"),
        ("dysport", 300, "1.5", "20.00", "1"),
        ("dysport", 500, "2.5", "20.00", "1"),
        ("xeomin", 50, "1.25", "4.00", "0.25"),
        ("jeuveau", 100, "2.5", "4.00", "0.25"),
        ("daxxify", 100, "1.2", "8.33", "0.5"),
        ("letybo", 100, "2.5", "4.00", "0.25"),
    ],
)
def test_the_api_returns_the_concentration_of_a_label_reconstitution(
    client_for, clinic, product, units, ml, per_01ml, step
):
    lot = receive_lot(clinic, product=product, vial_units=units)
    response = post(client_for("injector"), reconstitute_url(lot.vials.get()), {"diluent_ml": ml})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["units_per_01ml"], D(body["unit_step"])) == (per_01ml, D(step))
    assert body["diluent"] == "0.9% sodium chloride, preservative-free"
    assert body["dilution_note"] == ""


def test_a_volume_off_the_label_through_the_api_needs_a_reason_and_is_kept(client_for, clinic):
    lot = receive_lot(clinic, vials_received=1)
    client = client_for("injector")
    vial = lot.vials.get()
    refused = post(client, reconstitute_url(vial), {"diluent_ml": "4"})
    assert refused.status_code == 422
    assert "not on the label" in refused.json()["error"]["fields"]["reason"][0]
    assert Vial.objects.get(pk=vial.pk).state == "sealed"
    done = post(client, reconstitute_url(vial), {"diluent_ml": "4", "reason": "House dilution"})
    assert done.status_code == 200
    assert done.json()["units_per_01ml"] == "2.50" and done.json()["unit_step"] == "0.25"
    assert done.json()["dilution_note"].endswith("Reason: House dilution")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"diluent_ml": "20"}, "diluent_ml"),
        ({"diluent_ml": "0.2"}, "diluent_ml"),
        ({"diluent_ml": "2.501"}, "diluent_ml"),
        ({"diluent_ml": "NaN"}, "diluent_ml"),
        ({"diluent_ml": "a lot"}, "diluent_ml"),
        ({}, "diluent_ml"),
        ({"diluent_ml": "2.5", "diluent": "tap water"}, "diluent"),
        ({"diluent_ml": "2.5", "diluent": ["saline"]}, "diluent"),
        ({"diluent_ml": "3", "reason": "x" * 301}, "reason"),
        ({"diluent_ml": "3", "reason": "line\u0000break"}, "reason"),
        ({"diluent_ml": "2.5", "volume": "2.5"}, "volume"),
    ],
)
def test_a_bad_reconstitution_through_the_api_is_refused_on_its_field(
    client_for, clinic, body, field
):
    lot = receive_lot(clinic, vials_received=1)
    before = written(), AccessLog.objects.filter(object_type="stock.vial").count()
    response = post(client_for("injector"), reconstitute_url(lot.vials.get()), body)
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]
    assert (written(), AccessLog.objects.filter(object_type="stock.vial").count()) == before


def test_the_reconstitution_page_lists_the_label_volumes_with_their_concentration(
    client_for, clinic
):
    lot = receive_lot(clinic, product="dysport", vial_units=300, vials_received=1)
    url = reverse("inventory:reconstitution", args=[lot.vials.get().public_id])
    page = client_for("injector").get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "2.5 mL: 12 U per 0.1 mL" in text and "1.5 mL: 20 U per 0.1 mL" in text
    assert "0.9% sodium chloride, preservative-free" in text and "bacteriostatic" in text


def test_the_reconstitution_page_warns_on_its_field_and_records_the_concentration(
    client_for, clinic
):
    lot = receive_lot(clinic, vials_received=1)
    vial = lot.vials.get()
    client = client_for("injector")
    url = reverse("inventory:reconstitution", args=[vial.public_id])
    other = {"diluent": "saline", "volume": "other", "other_ml": "3"}
    warned = client.post(url, other)
    assert warned.status_code == 422
    assert b'id="id_reason_error"' in warned.content
    assert b"it makes 3.33 U per 0.1 mL" in warned.content
    absurd = client.post(url, {**other, "other_ml": "25"})
    assert absurd.status_code == 422 and b'id="id_other_ml_error"' in absurd.content
    assert b"1.25 to 5 mL" in absurd.content
    unknown = client.post(url, {"diluent": "water", "volume": "2.5"})
    assert unknown.status_code == 422 and b'id="id_diluent_error"' in unknown.content
    assert Vial.objects.get(pk=vial.pk).state == "sealed"
    done = client.post(url, {"diluent": "saline", "volume": "2.5"}, follow=True)
    assert b"4 U per 0.1 mL, charted in steps of 0.25 U" in done.content
    vial.refresh_from_db()
    assert (vial.state, vial.diluent_ml, vial.units_per_01ml) == ("reconstituted", D("2.5"), 4)
