"""A lot's page: thirty vials are one table and three forms (reconstitute, waste, discard), the
vial picked from a list; each refusal is shown on its field with 422 and nothing written. The
stock page says what it counts."""

from django.urls import reverse

from glabella.core.models import AccessLog
from glabella.inventory import services as stock
from glabella.inventory.models import Movement, Vial
from tests.conftest import receive_lot
from tests.test_queries import add_location


def _act(lot, action):
    return reverse("inventory:lot-action", args=[lot.public_id, action])


def _written():
    return (
        list(Vial.objects.values_list("state", "units_left").order_by("pk")),
        Movement.objects.count(),
        AccessLog.objects.filter(action="update").count(),
    )


def test_thirty_vials_are_one_table_and_three_forms_at_most(client_for, clinic, actor_of):
    lot = receive_lot(clinic, lot_number="T30", vials_received=30)
    stock.reconstitute(actor_of("injector"), lot.vials.get(number=1), "2.5")
    page = client_for("injector").get(reverse("inventory:lot", args=[lot.public_id]))
    text = page.content.decode()
    for action in ("reconstitute", "waste", "discard"):
        assert text.count(f'action="{_act(lot, action)}"') == 1
    assert "/reconstitution/" not in text  # no link or form per vial
    assert "<form" not in text.split("<h2>Vials</h2>")[1]
    assert text.count('name="r-vial"') == 1 and text.count("<option") >= 29
    assert "29 sealed, 1 reconstituted" in text


def test_a_vial_is_reconstituted_picked_from_the_list(client_for, clinic):
    lot = receive_lot(clinic, lot_number="P1", vials_received=3)
    third = lot.vials.get(number=3)
    answer = client_for("injector").post(
        _act(lot, "reconstitute"),
        {"r-vial": str(third.public_id), "r-diluent": "saline", "r-volume": "2.5"},
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    third.refresh_from_db()
    assert third.state == "reconstituted" and third.units_per_01ml == 4


def test_bad_input_on_the_lot_forms_is_refused_on_its_field_and_nothing_written(
    client_for, clinic, actor_of
):
    lot = receive_lot(clinic, lot_number="P2", vials_received=2)
    first, second = lot.vials.order_by("number")
    opened = stock.reconstitute(actor_of("injector"), first, "2.5")
    elsewhere = receive_lot(add_location(1, clinic.organisation), lot_number="P3")
    client = client_for("injector")
    before = _written()
    cases = [
        # a volume outside what is accepted
        ("reconstitute", {"r-vial": str(second.public_id), "r-volume": "other",
                          "r-other_ml": "40", "r-diluent": "saline"}, "1.25 to 5 mL"),
        # a volume off the label without a reason
        ("reconstitute", {"r-vial": str(second.public_id), "r-volume": "other",
                          "r-other_ml": "2", "r-diluent": "saline"}, "Give a reason to proceed"),
        # a vial of another lot, or one already reconstituted
        ("reconstitute", {"r-vial": str(elsewhere.vials.get().public_id), "r-volume": "2.5",
                          "r-diluent": "saline"}, "Choose a sealed vial of this lot."),
        ("reconstitute", {"r-vial": str(opened.public_id), "r-volume": "2.5",
                          "r-diluent": "saline"}, "Choose a sealed vial of this lot."),
        ("waste", {"w-vial": str(opened.public_id), "w-units": "abc", "w-reason": "Spill"},
         "units"),
        ("waste", {"w-vial": str(second.public_id), "w-units": "2", "w-reason": "Spill"},
         "Choose a reconstituted vial of this lot."),
        ("discard", {"d-vial": str(opened.public_id), "d-reason": ""}, "This field is required"),
    ]  # fmt: skip
    for action, data, message in cases:
        answer = client.post(_act(lot, action), data)
        assert answer.status_code == 422, (action, data)
        assert message in answer.content.decode(), (action, message)
        assert _written() == before, (action, data)
    assert client.post(_act(lot, "melt"), {}).status_code == 404
    assert client_for("front_desk").post(_act(lot, "discard"), {}).status_code == 403


def test_waste_and_discard_from_the_one_form_each(client_for, clinic, actor_of):
    lot = receive_lot(clinic, lot_number="P4", vials_received=2)
    first, second = lot.vials.order_by("number")
    stock.reconstitute(actor_of("injector"), first, "2.5")
    client = client_for("injector")
    wasted = client.post(
        _act(lot, "waste"), {"w-vial": str(first.public_id), "w-units": "2", "w-reason": "Air"}
    )
    discarded = client.post(
        _act(lot, "discard"), {"d-vial": str(second.public_id), "d-reason": "Dropped"}
    )
    assert wasted.status_code == discarded.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.units_left == 98 and second.state == "discarded"
