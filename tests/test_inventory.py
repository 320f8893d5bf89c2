"""Stock: receiving a lot, a vial's life, drawing units (20 threads at once on one vial), bad
input refused field by field with nothing written, the ledger the database keeps, and alerts."""

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from glabella.core.access import actor_for
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.models import AccessLog
from glabella.inventory import services
from glabella.inventory.models import Lot, Movement, Vial
from tests.conftest import STAFF_EMAILS

NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
D = Decimal


def delivery(**changes) -> dict:
    data = dict(
        product="botox_cosmetic",
        ndc="0023-3919-50",
        lot_number="C1234AB",
        expires_on=date(2027, 8, 31),
        vial_units=100,
        vials_received=3,
        supplier="Allergan Direct",
        invoice="INV-5531",
        unit_cost="620.00",
        received_on=date(2026, 11, 20),
        seal_checked=True,
        licence_checked=True,
    )
    data.update(changes)
    return data


@pytest.fixture
def injector(actor_of):
    return actor_of("injector")


@pytest.fixture
def vial(injector, clinic):
    lot = services.receive(injector, clinic, delivery(), now=NOW)
    return services.reconstitute(injector, lot.vials.first(), "2.5", now=NOW)


def written():
    return Lot.objects.count(), Vial.objects.count(), Movement.objects.count()


def test_a_delivery_puts_its_vials_on_the_shelf_sealed(injector, clinic):
    lot = services.receive(injector, clinic, delivery(), now=NOW)
    vials = list(lot.vials.all())
    assert [v.number for v in vials] == [1, 2, 3]
    assert {(v.state, v.units_left) for v in vials} == {("sealed", D(100))}
    assert AccessLog.objects.filter(object_type="stock-lot", object_id=str(lot.public_id)).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"product": "botox"}, "product"),
        ({"product": ["x"]}, "product"),
        ({"lot_number": "  "}, "lot_number"),
        ({"expires_on": date(2026, 11, 1)}, "expires_on"),
        ({"expires_on": "2027-01-01"}, "expires_on"),
        ({"received_on": date(2026, 12, 1)}, "received_on"),
        ({"vial_units": 300}, "vial_units"),
        ({"product": "dysport", "vial_units": 100}, "vial_units"),
        ({"vials_received": 0}, "vials_received"),
        ({"vials_received": 501}, "vials_received"),
        ({"vials_received": True}, "vials_received"),
        ({"supplier": ""}, "supplier"),
        ({"seal_checked": False}, "seal_checked"),
        ({"licence_checked": None}, "licence_checked"),
        ({"unit_cost": "-5"}, "unit_cost"),
        ({"unit_cost": "lots"}, "unit_cost"),
    ],
)
def test_a_bad_delivery_is_refused_field_by_field(injector, clinic, change, field):
    before = written()
    with pytest.raises(ValidationFailed) as failed:
        services.receive(injector, clinic, delivery(**change), now=NOW)
    assert field in failed.value.fields
    assert written() == before


def test_only_clinical_staff_handle_stock(actor_of, clinic):
    with pytest.raises(Forbidden):
        services.receive(actor_of("front_desk"), clinic, delivery(), now=NOW)


def test_reconstitution_sets_the_concentration_and_the_discard_time(injector, clinic):
    lot = services.receive(injector, clinic, delivery(), now=NOW)
    vial = services.reconstitute(injector, lot.vials.first(), "2.5", now=NOW)
    assert vial.units_per_01ml == D("4.00") and vial.discard_by == NOW + timedelta(hours=24)
    with pytest.raises(ValidationFailed):
        services.reconstitute(injector, vial, "2.5", now=NOW)
    daxxify = services.receive(
        injector, clinic, delivery(product="daxxify", vial_units=50, lot_number="DX1"), now=NOW
    )
    opened = services.reconstitute(injector, daxxify.vials.first(), "0.6", now=NOW)
    assert opened.discard_by == NOW + timedelta(hours=72)
    for bad in ("0", "11", "lots", "nan"):
        with pytest.raises(ValidationFailed) as failed:
            services.reconstitute(injector, daxxify.vials.last(), bad, now=NOW)
        assert "diluent_ml" in failed.value.fields


@pytest.mark.parametrize(
    ("product", "units"),
    [("botox_cosmetic", 100), ("dysport", 300), ("dysport", 500), ("xeomin", 200)],
)
def test_every_vial_size_on_the_label_is_received(injector, clinic, product, units):
    lot = services.receive(injector, clinic, delivery(product=product, vial_units=units), now=NOW)
    assert {v.units_left for v in lot.vials.all()} == {D(units)}


@pytest.mark.parametrize(
    ("product", "units", "ml", "per_01ml", "step"),
    [
        ("botox_cosmetic", 100, "2.5", "4", "0.25"),
        ("botox_cosmetic", 50, "1.25", "4", "0.25"),
        ("dysport", 300, "2.5", "12", "1"),
        ("dysport", 300, "1.5", "20", "1"),
        ("dysport", 500, "2.5", "20", "1"),
        ("dysport", 500, "5", "10", "0.5"),
        ("xeomin", 200, "5", "4", "0.25"),
        ("jeuveau", 100, "2.5", "4", "0.25"),
        ("daxxify", 100, "1.2", "8.33", "0.5"),
        ("letybo", 50, "1.25", "4", "0.25"),
    ],
)
def test_a_label_volume_gives_its_concentration_and_measurable_step_without_a_warning(
    injector, clinic, product, units, ml, per_01ml, step
):
    lot = services.receive(injector, clinic, delivery(product=product, vial_units=units), now=NOW)
    vial = services.reconstitute(injector, lot.vials.first(), ml, now=NOW)
    assert (vial.units_per_01ml, vial.unit_step) == (D(per_01ml), D(step))
    assert vial.diluent == "0.9% sodium chloride, preservative-free"
    assert vial.dilution_note == ""


@pytest.mark.parametrize(
    ("product", "units", "ml", "words"),
    [
        ("botox_cosmetic", 100, "4", "which gives 2.5 mL: it makes 2.5 U per 0.1 mL"),
        ("dysport", 300, "3", "gives 2.5 mL or 1.5 mL: it makes 10 U per 0.1 mL"),
        ("daxxify", 50, "1.2", "which gives 0.6 mL: it makes 4.17 U per 0.1 mL"),
        ("letybo", 100, "2", "it makes 5 U per 0.1 mL"),
    ],
)
def test_a_volume_off_the_label_warns_and_needs_a_reason(
    injector, clinic, product, units, ml, words
):
    lot = services.receive(injector, clinic, delivery(product=product, vial_units=units), now=NOW)
    first = lot.vials.first()
    with pytest.raises(ValidationFailed) as failed:
        services.reconstitute(injector, first, ml, now=NOW)
    assert words in failed.value.fields["reason"][0]
    assert Vial.objects.get(pk=first.pk).state == "sealed"
    vial = services.reconstitute(injector, first, ml, reason="Practice protocol", now=NOW)
    assert vial.state == "reconstituted" and words in vial.dilution_note
    assert vial.dilution_note.endswith("Reason: Practice protocol")


def test_bacteriostatic_saline_warns_and_needs_a_reason(injector, vial):
    sealed = Vial.objects.filter(lot=vial.lot, state="sealed").first()
    with pytest.raises(ValidationFailed) as failed:
        services.reconstitute(injector, sealed, "2.5", diluent="bacteriostatic", now=NOW)
    assert "label names 0.9% sodium chloride, preservative-free" in failed.value.fields["reason"][0]
    done = services.reconstitute(
        injector, sealed, "2.5", diluent="bacteriostatic", reason="Less sting", now=NOW
    )
    assert done.diluent.startswith("0.9% sodium chloride, bacteriostatic")


@pytest.mark.parametrize(
    ("ml", "diluent", "reason", "field"),
    [
        ("1", "saline", "", "diluent_ml"),  # under half the label's 2.5 mL
        ("5.5", "saline", "", "diluent_ml"),  # over twice the label's 2.5 mL
        ("2.555", "saline", "", "diluent_ml"),
        ("-2.5", "saline", "", "diluent_ml"),
        ("Infinity", "saline", "", "diluent_ml"),
        ("2.5", "water", "", "diluent"),
        ("2.5", "", "", "diluent"),
        ("3", "saline", "x" * 301, "reason"),
        ("3", "saline", "bad\x00text", "reason"),
    ],
)
def test_a_bad_reconstitution_is_refused_on_its_field_and_changes_nothing(
    injector, vial, ml, diluent, reason, field
):
    sealed = Vial.objects.filter(lot=vial.lot, state="sealed").first()
    before = written(), AccessLog.objects.count()
    with pytest.raises(ValidationFailed) as failed:
        services.reconstitute(injector, sealed, ml, diluent=diluent, reason=reason, now=NOW)
    assert field in failed.value.fields
    assert (written(), AccessLog.objects.count()) == before
    assert Vial.objects.get(pk=sealed.pk).state == "sealed"


@pytest.mark.parametrize(
    ("product", "units", "ml", "fine", "coarse"),
    [
        ("botox_cosmetic", 100, "2.5", "2.25", "2.1"),
        ("dysport", 300, "2.5", "3", "2.5"),
        ("daxxify", 100, "1.2", "2.5", "2.25"),
        ("xeomin", 100, "2.5", "0.75", "0.7"),
    ],
)
def test_waste_is_drawn_in_the_steps_the_vials_concentration_allows(
    injector, clinic, product, units, ml, fine, coarse
):
    lot = services.receive(injector, clinic, delivery(product=product, vial_units=units), now=NOW)
    vial = services.reconstitute(injector, lot.vials.first(), ml, now=NOW)
    with pytest.raises(ValidationFailed) as failed:
        services.waste(injector, vial, coarse, "Spilled", now=NOW)
    assert f"steps of {vial.unit_step.normalize():f}" in failed.value.fields["units"][0]
    assert services.waste(injector, vial, fine, "Spilled", now=NOW).movement.units == D(fine)


def test_drawing_takes_units_and_a_used_up_vial_closes(injector, vial, patient):
    drawn = services.draw(injector, vial, "20", product="botox_cosmetic", patient=patient, now=NOW)
    assert drawn.vial.units_left == D(80) and drawn.movement.balance_after == D(80)
    assert AccessLog.objects.filter(object_type="stock-draw", patient_public_id=patient.public_id)
    last = services.draw(injector, vial, "80", product="botox_cosmetic", now=NOW)
    assert last.vial.state == "used_up" and last.vial.units_left == 0


@pytest.mark.parametrize(
    ("units", "product", "words"),
    [
        ("0", "botox_cosmetic", "positive"),
        ("-4", "botox_cosmetic", "positive"),
        ("0.3", "botox_cosmetic", "steps of 0.25"),
        ("four", "botox_cosmetic", "as a number"),
        ("Infinity", "botox_cosmetic", "positive"),
        ("4", "dysport", "units are never converted"),
        ("100.5", "botox_cosmetic", "Only 100 U left"),
    ],
)
def test_a_bad_draw_is_refused_and_writes_nothing(injector, vial, units, product, words):
    before = (written(), Vial.objects.get(pk=vial.pk).units_left)
    with pytest.raises(ValidationFailed) as failed:
        services.draw(injector, vial, units, product=product, now=NOW)
    assert words in " ".join(m for ms in failed.value.fields.values() for m in ms)
    assert (written(), Vial.objects.get(pk=vial.pk).units_left) == before


def test_a_sealed_timed_out_or_expired_vial_gives_nothing(injector, clinic, vial):
    sealed = Vial.objects.filter(lot=vial.lot, state="sealed").first()
    with pytest.raises(ValidationFailed) as failed:
        services.draw(injector, sealed, "4", product="botox_cosmetic", now=NOW)
    assert "reconstitution first" in failed.value.fields["vial"][0]
    later = NOW + timedelta(hours=24, minutes=1)
    with pytest.raises(ValidationFailed) as failed:
        services.draw(injector, vial, "4", product="botox_cosmetic", now=later)
    assert "past its time" in failed.value.fields["vial"][0]
    Lot.objects.filter(pk=vial.lot_id).update(expires_on=date(2026, 11, 22))
    with pytest.raises(ValidationFailed) as failed:
        services.draw(injector, vial, "4", product="botox_cosmetic", now=NOW)
    assert "expired" in failed.value.fields["vial"][0]


def test_waste_needs_a_reason_and_discarding_writes_off_the_rest(injector, vial):
    with pytest.raises(ValidationFailed) as failed:
        services.waste(injector, vial, "2", "", now=NOW)
    assert "reason" in failed.value.fields
    services.waste(injector, vial, "2", "Dropped the syringe", now=NOW)
    closed = services.discard(injector, vial, "Patient left before treatment", now=NOW)
    assert closed.state == "discarded" and closed.units_left == 0
    kinds = list(Movement.objects.filter(vial=vial).values_list("kind", "units"))
    assert kinds == [("waste", D(2)), ("discard", D(98))]


def test_vials_past_their_time_are_written_off(injector, vial):
    assert services.write_off_expired(NOW + timedelta(hours=23)) == 0
    assert services.write_off_expired(NOW + timedelta(hours=25)) == 1
    vial.refresh_from_db()
    assert vial.state == "expired"
    assert Movement.objects.get(vial=vial).kind == "expired"
    # The sealed vials of a lot that has expired go too.
    assert services.write_off_expired(datetime(2027, 9, 2, tzinfo=UTC)) == 2


def test_the_database_keeps_balances_and_the_ledger(injector, vial):
    with pytest.raises(IntegrityError), transaction.atomic():
        Vial.objects.filter(pk=vial.pk).update(units_left=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Vial.objects.filter(pk=vial.pk).update(units_left=101)
    services.draw(injector, vial, "4", product="botox_cosmetic", now=NOW)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE inventory_movement SET units = 1")
    with pytest.raises(ValueError):
        Movement.objects.get().save()


def test_alerts_for_low_stock_and_lots_expiring_soon(injector, clinic, vial, settings):
    settings.LOW_STOCK_VIALS = 3
    soon = services.receive(
        injector,
        clinic,
        delivery(
            product="dysport", vial_units=300, lot_number="D77", expires_on=date(2026, 12, 10)
        ),
        now=NOW,
    )
    found = services.alerts(clinic, now=NOW)
    messages = [a.message for a in found]
    assert "BOTOX Cosmetic (onabotulinumtoxinA): 2 sealed vials left." in messages
    assert any(a.kind == "expiring" and "D77" in a.message and "900 U" in a.message for a in found)
    assert soon.vials.count() == 3


# ---------------------------------------------------------------- twenty injectors, one vial


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_drawing_from_one_vial_never_take_more_than_it_holds(clinic):
    from glabella.core.models import StaffMember

    staff = StaffMember.objects.get(user__username=STAFF_EMAILS["injector"])
    actor = actor_for(staff.user)
    lot = services.receive(actor, clinic, delivery(vials_received=1), now=NOW)
    vial = services.reconstitute(actor, lot.vials.get(), "2.5", now=NOW)
    start = threading.Barrier(20)
    outcomes: list[str] = []

    def one():
        try:
            start.wait()
            services.draw(
                actor, Vial.objects.get(pk=vial.pk), "8", product="botox_cosmetic", now=NOW
            )
            outcomes.append("drawn")
        except ValidationFailed as exc:
            outcomes.append(exc.fields["units"][0])
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    vial.refresh_from_db()
    assert outcomes.count("drawn") == 12  # 12 x 8 = 96 of 100 U
    refused = [o for o in outcomes if o != "drawn"]
    assert len(refused) == 8 and all("Only 4 U left" in o for o in refused)
    assert vial.units_left == D(4)
    moved = Movement.objects.filter(vial=vial)
    assert sum(m.units for m in moved) == D(96)
    assert sorted(m.balance_after for m in moved) == [D(4 + 8 * i) for i in range(12)]


def test_the_scheduler_writes_off_vials_past_their_time(injector, vial):
    from glabella.messaging import delivery

    assert delivery.tick(NOW + timedelta(hours=25))["vials_written_off"] == 1
    vial.refresh_from_db()
    assert vial.state == "expired"
