"""The dose guard: every finding for every product it applies to, the label cases the issue
names, and properties over random plans."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glabella.screening.products import Area, Product
from glabella.treatments.dosing import (
    Level,
    PastSession,
    Plan,
    Point,
    Protocol,
    VialState,
    check,
)
from glabella.treatments.labels import LABELS, ChartArea

AT = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
D = Decimal
G, F = ChartArea.GLABELLAR, ChartArea.FOREHEAD
LEFT, RIGHT = ChartArea.LATERAL_CANTHAL_LEFT, ChartArea.LATERAL_CANTHAL_RIGHT


def plan(product=Product.BOTOX_COSMETIC, points=(), **kw) -> Plan:
    label = LABELS[product]
    values = dict(
        product=product,
        points=tuple(Point(area, D(units)) for area, units in points),
        at=AT,
        cleared=frozenset(label.doses),
        consented=True,
    )
    values.update(kw)
    return Plan(**values)


def run(product=Product.BOTOX_COSMETIC, points=(), protocol=None, **kw):
    return check(LABELS[product], plan(product, points, **kw), protocol)


def codes(result) -> dict[str, Level]:
    return {f.code: f.level for f in result.findings}


def glabellar_dose(product) -> list[tuple[ChartArea, Decimal]]:
    sites, per_site = LABELS[product].pattern(Area.GLABELLAR)
    return [(G, per_site)] * sites


def fresh_vial(product, units=100, **kw) -> VialState:
    values = dict(
        product=product,
        units_left=D(units),
        expires_on=date(2027, 6, 30),
        reconstituted_at=AT - timedelta(hours=2),
    )
    values.update(kw)
    return VialState(**values)


# ---------------------------------------------------------------- the cases the issue names


def test_botox_cosmetic_20_units_glabellar_is_ok():
    result = run(points=[(G, 4)] * 5, vial=fresh_vial(Product.BOTOX_COSMETIC))
    assert result.level == Level.OK and result.findings == ()
    assert result.area_totals == {"glabellar": D(20)} and result.total == D(20)


def test_64_units_across_forehead_glabellar_and_crows_feet_is_ok_and_more_is_not():
    points = [(F, 4)] * 5 + [(G, 4)] * 5 + [(LEFT, 4)] * 3 + [(RIGHT, 4)] * 3
    result = run(points=points)
    assert result.level == Level.OK and result.total == D(64)
    assert result.area_totals["lateral_canthal"] == D(24)  # both sides, as the label counts
    more = run(points=[*points, (RIGHT, 2)])
    assert more.level != Level.OK
    assert "area-above-label" in codes(more)  # crow's feet 26 U
    assert "combined-above-label" in codes(more)  # 66 U across the three


def test_50_units_of_dysport_glabellar_is_ok_while_50_of_botox_cosmetic_is_not():
    assert run(Product.DYSPORT, [(G, 10)] * 5).level == Level.OK
    botox = run(Product.BOTOX_COSMETIC, [(G, 10)] * 5)
    assert botox.level != Level.OK and codes(botox) == {"area-above-label": Level.WARN}


def test_a_session_45_days_after_the_last_is_not_ok():
    before = PastSession(AT.date() - timedelta(days=45), "dysport", D(50))
    result = run(points=glabellar_dose(Product.BOTOX_COSMETIC), history=(before,))
    assert result.level != Level.OK and codes(result) == {"interval": Level.WARN}
    assert "45 days" in result.findings[0].message
    long_ago = PastSession(AT.date() - timedelta(days=90), "dysport", D(50))
    assert run(points=glabellar_dose(Product.BOTOX_COSMETIC), history=(long_ago,)).ok


@pytest.mark.parametrize(
    ("product", "hours", "level"),
    [
        (Product.BOTOX_COSMETIC, 23, Level.OK),
        (Product.BOTOX_COSMETIC, 25, Level.BLOCK),
        (Product.DAXXIFY, 71, Level.OK),
        (Product.DAXXIFY, 73, Level.BLOCK),
    ],
)
def test_a_vial_past_its_time_after_reconstitution_blocks(product, hours, level):
    vial = fresh_vial(product, reconstituted_at=AT - timedelta(hours=hours))
    result = run(product, glabellar_dose(product), vial=vial)
    assert result.level == level
    if level == Level.BLOCK:
        assert codes(result) == {"vial-beyond-use": Level.BLOCK}


# ---------------------------------------------------------------- every finding, every product

ALL = list(Product)


@pytest.mark.parametrize("product", ALL)
def test_the_label_glabellar_pattern_is_ok_for_every_product(product):
    assert run(product, glabellar_dose(product), vial=fresh_vial(product)).ok


@pytest.mark.parametrize("product", ALL)
@pytest.mark.parametrize("units", ["0", "-4", "0.3", "2.2"])
def test_units_that_are_not_a_dose_block(product, units):
    result = run(product, [(G, units)])
    assert codes(result)["units"] == Level.BLOCK


@pytest.mark.parametrize("product", ALL)
def test_an_area_above_its_label_dose_warns(product):
    most = LABELS[product].area_max(Area.GLABELLAR)
    result = run(product, [(G, most + D("0.5"))])
    assert codes(result) == {"area-above-label": Level.WARN}


@pytest.mark.parametrize("product", ALL)
def test_an_area_above_the_house_dose_warns(product):
    most = LABELS[product].area_max(Area.GLABELLAR)
    house = Protocol(house_max={Area.GLABELLAR: most - 2})
    result = run(product, [(G, most)], protocol=house)
    assert codes(result) == {"area-above-protocol": Level.WARN}


@pytest.mark.parametrize("product", [Product.BOTOX_COSMETIC, Product.XEOMIN])
def test_areas_together_above_the_combined_label_total_warn(product):
    points = [(G, 20), (F, 20), (LEFT, 12), (RIGHT, 12.5)]
    result = run(product, points)
    assert codes(result)["combined-above-label"] == Level.WARN


def test_forehead_and_glabellar_above_40_units_of_botox_cosmetic_warns():
    result = run(points=[(G, 20), (F, 20.5)])
    assert "combined-above-label" in codes(result)
    assert "40 U" in next(f.message for f in result.findings if f.code.startswith("combined"))


def test_forehead_without_glabellar_warns_of_a_drooping_brow():
    result = run(points=[(F, 4)] * 5)
    assert codes(result) == {"companion": Level.WARN}


@pytest.mark.parametrize("product", ALL)
def test_an_off_label_area_warns(product):
    result = run(product, [(ChartArea.MASSETER, 20)])
    assert codes(result) == {"off-label": Level.WARN}


@pytest.mark.parametrize(
    "product", [Product.DYSPORT, Product.JEUVEAU, Product.DAXXIFY, Product.LETYBO]
)
def test_a_label_area_of_another_product_is_off_label_for_this_one(product):
    result = run(product, [(F, 10)])
    assert codes(result) == {"off-label": Level.WARN}


@pytest.mark.parametrize("product", ALL)
def test_any_toxin_within_90_days_warns(product):
    history = (PastSession(AT.date() - timedelta(days=60), "a toxin for migraine", D(155)),)
    result = run(product, glabellar_dose(product), history=history)
    assert codes(result) == {"interval": Level.WARN}


def test_more_than_400_units_of_botox_in_90_days_blocks_and_other_products_do_not_count():
    history = (
        PastSession(AT.date() - timedelta(days=100), "botox_cosmetic", D(300)),
        PastSession(AT.date() - timedelta(days=95), "dysport", D(500)),
        PastSession(AT.date() - timedelta(days=89), "botox_cosmetic", D(385)),
    )
    result = run(points=glabellar_dose(Product.BOTOX_COSMETIC), history=history)
    assert codes(result) == {"cumulative": Level.BLOCK, "interval": Level.WARN}
    message = next(f.message for f in result.findings if f.code == "cumulative")
    assert "405 U" in message and "400 U" in message  # 385 + 20; the Dysport never counts
    at_the_limit = (PastSession(AT.date() - timedelta(days=89), "botox_cosmetic", D(380)),)
    result = run(points=glabellar_dose(Product.BOTOX_COSMETIC), history=at_the_limit)
    assert codes(result) == {"interval": Level.WARN}  # 400 U is the limit, not above it


@pytest.mark.parametrize("product", ALL)
def test_another_products_vial_blocks(product):
    other = next(p for p in ALL if p != product)
    result = run(product, glabellar_dose(product), vial=fresh_vial(other))
    assert codes(result) == {"vial-product": Level.BLOCK}


@pytest.mark.parametrize("product", ALL)
def test_a_vial_past_its_expiry_blocks(product):
    vial = fresh_vial(product, expires_on=AT.date() - timedelta(days=1))
    assert codes(run(product, glabellar_dose(product), vial=vial)) == {"vial-expired": Level.BLOCK}


@pytest.mark.parametrize("product", ALL)
def test_a_sealed_vial_blocks_until_its_reconstitution_is_recorded(product):
    vial = fresh_vial(product, reconstituted_at=None)
    assert codes(run(product, glabellar_dose(product), vial=vial)) == {"vial-sealed": Level.BLOCK}


@pytest.mark.parametrize("product", ALL)
def test_a_vial_past_its_beyond_use_time_blocks(product):
    hours = LABELS[product].beyond_use_hours + 1
    vial = fresh_vial(product, reconstituted_at=AT - timedelta(hours=hours))
    assert codes(run(product, glabellar_dose(product), vial=vial)) == {
        "vial-beyond-use": Level.BLOCK
    }


@pytest.mark.parametrize("product", ALL)
def test_a_vial_with_too_few_units_left_blocks(product):
    dose = glabellar_dose(product)
    needed = sum(units for _, units in dose)
    vial = fresh_vial(product, units=needed - 1)
    result = run(product, dose, vial=vial)
    assert codes(result) == {"vial-short": Level.BLOCK}
    assert run(product, dose, vial=fresh_vial(product, units=needed)).ok


@pytest.mark.parametrize("product", ALL)
def test_no_current_decision_blocks(product):
    assert codes(run(product, glabellar_dose(product), cleared=None)) == {
        "no-decision": Level.BLOCK
    }
    assert codes(run(product, glabellar_dose(product), cleared=frozenset())) == {
        "no-decision": Level.BLOCK
    }


def test_a_decision_for_other_areas_blocks_this_one():
    result = run(points=[(LEFT, 12), (RIGHT, 12)], cleared=frozenset({Area.GLABELLAR}))
    assert codes(result) == {"no-decision": Level.BLOCK}
    assert "crow's feet" in result.findings[0].message


@pytest.mark.parametrize("product", ALL)
def test_no_consent_blocks(product):
    assert codes(run(product, glabellar_dose(product), consented=False)) == {
        "no-consent": Level.BLOCK
    }


def test_the_label_and_the_plan_must_be_for_one_product():
    with pytest.raises(ValueError):
        check(
            LABELS[Product.DYSPORT], plan(Product.BOTOX_COSMETIC, glabellar_dose(Product.DYSPORT))
        )


def test_every_label_names_its_sources_and_what_to_verify():
    for product, label in LABELS.items():
        assert label.product == product and label.sources["doses"]
        assert Area.GLABELLAR in label.doses  # every product is labelled for frown lines
        for vial in label.vials:
            for ml in vial.diluent_ml:
                assert vial.units_per_01ml(ml) > 0
    assert LABELS[Product.BOTOX_COSMETIC].vials[1].units_per_01ml(D("2.5")) == D("4.00")
    assert "cumulative_max" in LABELS[Product.BOTOX_COSMETIC].verify


# ---------------------------------------------------------------- properties

areas = st.sampled_from(list(ChartArea))
amounts = st.integers(min_value=1, max_value=40).map(lambda n: D(n) / 2)
points = st.lists(st.tuples(areas, amounts), max_size=12)


@given(st.sampled_from(ALL), points)
def test_the_level_is_the_worst_finding_and_the_total_adds_up(product, pts):
    result = run(product, pts)
    assert result.total == sum((units for _, units in pts), D(0))
    worst = max((f.level for f in result.findings), key=[*Level].index, default=Level.OK)
    assert result.level == worst
    assert (result.level == Level.OK) == (result.findings == ())


@given(st.sampled_from(ALL), points, areas, amounts)
def test_more_units_never_make_a_plan_safer(product, pts, area, extra):
    order = [*Level]
    before = run(product, pts, vial=fresh_vial(product, units=200))
    after = run(product, [*pts, (area, extra)], vial=fresh_vial(product, units=200))
    assert order.index(after.level) >= order.index(before.level)
    assert set(codes(before)) - {"companion"} <= set(codes(after))


def test_an_amendment_counts_what_the_session_already_gave():
    given = tuple(Point(G, D(4)) for _ in range(5))
    result = run(points=[(G, 4)], given=given, vial=fresh_vial(Product.BOTOX_COSMETIC, units=4))
    assert codes(result) == {"area-above-label": Level.WARN}  # 24 U glabellar in the session
    assert result.total == D(4)  # and only the new 4 U come from the vial
