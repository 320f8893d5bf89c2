"""The dose guard: every finding for every product it applies to, the label cases the issue
names, and properties over random plans."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glabella.catalogue.areas import Area, ChartArea
from glabella.catalogue.labels import LABELS, product_named
from glabella.catalogue.products import Product
from glabella.treatments.dosing import (
    Level,
    PastSession,
    Plan,
    Point,
    Protocol,
    VialState,
    check,
)

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
    assert botox.level == Level.BLOCK
    assert codes(botox) == {"area-above-label": Level.BLOCK, "point-above-protocol": Level.BLOCK}
    assert all(f.cosign for f in botox.findings)  # ceilings: the medical director co-signs


def test_a_session_45_days_after_the_last_is_not_ok():
    before = PastSession(AT.date() - timedelta(days=45), "dysport", D(50))
    result = run(points=glabellar_dose(Product.BOTOX_COSMETIC), history=(before,))
    assert result.level != Level.OK
    assert codes(result) == {"interval": Level.WARN, "cumulative-other": Level.WARN}
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
def test_an_area_above_its_label_dose_blocks_until_the_medical_director_cosigns(product):
    result = run(product, [*glabellar_dose(product), (G, LABELS[product].unit_step)])
    assert codes(result) == {"area-above-label": Level.BLOCK}
    assert result.ceilings == result.findings and result.hard_blocks == ()
    assert "co-signature" in result.findings[0].message


@pytest.mark.parametrize("product", ALL)
def test_an_area_above_the_house_maximum_blocks_until_the_medical_director_cosigns(product):
    most = LABELS[product].area_max(Area.GLABELLAR)
    house = Protocol(house_max={Area.GLABELLAR: most - 2})
    result = run(product, glabellar_dose(product), protocol=house)
    assert codes(result) == {"area-above-protocol": Level.BLOCK}
    assert result.findings[0].cosign


@pytest.mark.parametrize("product", [Product.BOTOX_COSMETIC, Product.XEOMIN])
def test_areas_together_above_the_combined_label_total_block_until_cosigned(product):
    points = [(G, 4)] * 5 + [(F, 4)] * 5 + [(LEFT, 4)] * 3 + [(RIGHT, 4)] * 3 + [(RIGHT, 0.5)]
    result = run(product, points)
    assert codes(result)["combined-above-label"] == Level.BLOCK
    assert all(f.cosign for f in result.findings if f.level == Level.BLOCK)


def test_forehead_and_glabellar_above_40_units_of_botox_cosmetic_blocks_until_cosigned():
    result = run(points=[(G, 4)] * 5 + [(F, 4)] * 5 + [(F, 0.5)])
    assert "combined-above-label" in codes(result)
    assert "40 U" in next(f.message for f in result.findings if f.code.startswith("combined"))


def test_forehead_without_glabellar_warns_of_a_drooping_brow():
    result = run(points=[(F, 4)] * 5)
    assert codes(result) == {"companion": Level.WARN}


@pytest.mark.parametrize("product", ALL)
def test_an_off_label_area_with_its_off_label_decision_warns(product):
    cleared = frozenset({*LABELS[product].doses, ChartArea.MASSETER})
    result = run(product, [(ChartArea.MASSETER, 5)] * 4, cleared=cleared)
    assert codes(result) == {"off-label": Level.WARN}


@pytest.mark.parametrize(
    "product", [Product.DYSPORT, Product.JEUVEAU, Product.DAXXIFY, Product.LETYBO]
)
def test_a_label_area_of_another_product_is_off_label_for_this_one(product):
    cleared = frozenset({*LABELS[product].doses, "forehead"})
    result = run(product, [(F, 4)] * 2, cleared=cleared)
    assert codes(result) == {"off-label": Level.WARN}


@pytest.mark.parametrize("product", ALL)
def test_any_toxin_within_90_days_warns_and_counts_towards_the_cumulative_dose(product):
    history = (PastSession(AT.date() - timedelta(days=60), "a toxin for migraine", D(155)),)
    result = run(product, glabellar_dose(product), history=history)
    assert codes(result) == {"interval": Level.WARN, "cumulative-other": Level.WARN}
    message = next(f.message for f in result.findings if f.code == "cumulative-other")
    assert "a toxin for migraine" in message and "155 U" in message


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
    result = run(points=[(LEFT, 4)] * 3 + [(RIGHT, 4)] * 3, cleared=frozenset({Area.GLABELLAR}))
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
    assert codes(result) == {"area-above-label": Level.BLOCK}  # 24 U glabellar in the session
    assert result.total == D(4)  # and only the new 4 U come from the vial


# ---------------------------------------------------------------- the label's limits in full

P = ChartArea.PLATYSMA
CROWS_FEET_PER_SIDE = [Product.BOTOX_COSMETIC, Product.XEOMIN]


@pytest.mark.parametrize("product", CROWS_FEET_PER_SIDE)
def test_crows_feet_12_units_a_side_is_ok(product):
    assert run(product, [(LEFT, 4)] * 3 + [(RIGHT, 4)] * 3).ok


@pytest.mark.parametrize("product", CROWS_FEET_PER_SIDE)
def test_crows_feet_24_units_on_one_side_blocks_until_the_medical_director_cosigns(product):
    result = run(product, [(LEFT, 4)] * 6)
    assert result.level == Level.BLOCK
    assert codes(result) == {"side-above-label": Level.BLOCK}  # 24 U in all is the label's
    finding = result.findings[0]
    assert finding.cosign and finding.area == "lateral_canthal_left"
    assert "left side: 24 U" in finding.message and "12 U a side" in finding.message


@pytest.mark.parametrize("product", CROWS_FEET_PER_SIDE)
def test_crows_feet_over_12_units_on_one_side_blocks_even_with_less_on_the_other(product):
    result = run(product, [(LEFT, 4)] * 2 + [(RIGHT, 4)] * 3 + [(RIGHT, 1)])
    assert codes(result) == {"side-above-label": Level.BLOCK}
    assert result.findings[0].area == "lateral_canthal_right"


def test_the_per_side_dose_is_label_data_for_the_products_labelled_for_crows_feet():
    for product, label in LABELS.items():
        has_side = Area.LATERAL_CANTHAL in label.per_side
        assert has_side == (product in CROWS_FEET_PER_SIDE)
        if has_side:
            assert label.per_side[Area.LATERAL_CANTHAL] * 2 == label.area_max(Area.LATERAL_CANTHAL)


def platysma(units_a_point, count, bands=None, product=Product.BOTOX_COSMETIC, **kw):
    return run(product, [(P, units_a_point)] * count, platysma_bands=bands, **kw)


@pytest.mark.parametrize(
    ("bands", "dose"), [((1, 1), 26), ((1, 2), 31), ((2, 1), 31), ((2, 2), 36)]
)
def test_platysma_at_the_labels_dose_for_its_bands_is_ok_and_more_blocks(bands, dose):
    assert platysma(D(dose) / 2, 2, bands).level == Level.BLOCK  # one point of half: too much
    at_dose = run(points=[(P, 2)] * (dose // 2) + [(P, 1)] * (dose % 2), platysma_bands=bands)
    assert at_dose.ok
    over = run(
        points=[(P, 2)] * (dose // 2) + [(P, 1)] * (dose % 2) + [(P, 0.5)], platysma_bands=bands
    )
    assert codes(over) == {"area-above-label": Level.BLOCK}
    assert f"{dose} U for" in over.findings[0].message and over.findings[0].cosign


def test_36_units_of_platysma_for_one_band_a_side_blocks():
    result = platysma(D(2), 18, (1, 1))
    assert codes(result) == {"area-above-label": Level.BLOCK}
    assert "26 U for 1 band left and 1 right" in result.findings[0].message


def test_platysma_without_the_bands_recorded_blocks():
    result = platysma(D(2), 13)
    assert codes(result) == {"platysma-bands": Level.BLOCK}
    assert not result.findings[0].cosign  # nothing lifts it but recording the bands
    assert "26 U, 31 U, 36 U" in result.findings[0].message


@pytest.mark.parametrize("product", [p for p in ALL if p != Product.BOTOX_COSMETIC])
def test_platysma_is_off_label_for_every_product_but_botox_cosmetic(product):
    cleared = frozenset({*LABELS[product].doses, "platysma"})
    result = platysma(D(2), 5, product=product, cleared=cleared)
    assert codes(result) == {"off-label": Level.WARN}  # bands are the label's, not asked here


def test_60_units_glabellar_with_44_in_one_point_blocks_until_the_medical_director_cosigns():
    result = run(points=[(G, 44), (G, 4), (G, 4), (G, 4), (G, 4)])
    assert codes(result) == {"area-above-label": Level.BLOCK, "point-above-protocol": Level.BLOCK}
    assert result.hard_blocks == () and len(result.ceilings) == 2


@pytest.mark.parametrize("product", ALL)
def test_one_point_above_the_house_maximum_a_point_blocks_until_cosigned(product):
    most = Protocol().point_limit(product, "glabellar")
    result = run(product, [(G, most + LABELS[product].unit_step)])
    assert codes(result) == {"point-above-protocol": Level.BLOCK}
    assert result.findings[0].cosign
    assert run(product, [(G, most)]).ok


@pytest.mark.parametrize("product", ALL)
@pytest.mark.parametrize("area", [a for a in ChartArea if a.off_label])
def test_every_off_label_area_has_a_house_maximum_and_above_it_blocks(product, area):
    protocol = Protocol()
    most = protocol.area_limit(product, area.value)
    point = protocol.point_limit(product, area.value)
    assert most is not None and point is not None and point <= most
    cleared = frozenset({*LABELS[product].doses, area.value})
    count = int(most // point)
    rest = most - point * count
    at_most = [(area, point)] * count + ([(area, rest)] if rest else [])
    assert codes(run(product, at_most, cleared=cleared)) == {"off-label": Level.WARN}
    over = run(product, [*at_most, (area, LABELS[product].unit_step)], cleared=cleared)
    assert codes(over) == {"off-label": Level.WARN, "area-above-protocol": Level.BLOCK}


@pytest.mark.parametrize("product", ALL)
def test_the_shipped_house_maximum_is_never_above_the_label(product):
    label = LABELS[product]
    for area in label.doses:
        assert Protocol().area_limit(product, area.value) <= label.area_max(area)


def test_150_units_of_dysport_in_the_masseter_without_an_off_label_decision_holds_signing():
    result = run(Product.DYSPORT, [(ChartArea.MASSETER, 25)] * 6)
    assert result.level == Level.BLOCK
    found = codes(result)
    assert found["no-decision"] == Level.BLOCK and found["area-above-protocol"] == Level.BLOCK
    no_decision = next(f for f in result.findings if f.code == "no-decision")
    assert not no_decision.cosign and no_decision.area == "masseter"


def test_100_units_of_botox_under_other_for_a_patient_cleared_for_glabellar_holds_signing():
    result = run(points=[(ChartArea.OTHER, 4)] * 25, cleared=frozenset({Area.GLABELLAR}))
    assert {f.code for f in result.hard_blocks} == {"no-decision"}
    assert {f.code for f in result.ceilings} == {"area-above-protocol"}


@pytest.mark.parametrize("product", ALL)
def test_an_off_label_area_without_its_decision_blocks(product):
    result = run(product, [(ChartArea.PERIORAL, 1)] * 2)
    assert codes(result) == {"off-label": Level.WARN, "no-decision": Level.BLOCK}
    cleared = frozenset({*LABELS[product].doses, "perioral"})
    assert codes(run(product, [(ChartArea.PERIORAL, 1)] * 2, cleared=cleared)) == {
        "off-label": Level.WARN
    }


@pytest.mark.parametrize("product", ALL)
def test_the_medical_directors_house_maximum_replaces_the_shipped_one(product):
    cleared = frozenset({*LABELS[product].doses, "masseter"})
    step = LABELS[product].unit_step
    stricter = Protocol(house_max={"masseter": D(4)}, point_max={"masseter": D(2)})
    result = run(
        product,
        [(ChartArea.MASSETER, 2)] * 2 + [(ChartArea.MASSETER, 2 + step)],
        cleared=cleared,
        protocol=stricter,
    )
    assert codes(result) == {
        "off-label": Level.WARN,
        "area-above-protocol": Level.BLOCK,
        "point-above-protocol": Level.BLOCK,
    }


# ---------------------------------------------------------------- every toxin counts


def test_medical_botox_reported_with_units_counts_towards_botox_cosmetics_400_units():
    reported = PastSession(AT.date() - timedelta(days=40), "Botox for migraine", D(385), True)
    result = run(points=glabellar_dose(Product.BOTOX_COSMETIC), history=(reported,))
    found = codes(result)
    assert found["cumulative"] == Level.BLOCK
    assert "405 U" in next(f.message for f in result.findings if f.code == "cumulative")
    assert found["cumulative-other"] == Level.WARN  # reported: the injector weighs it


@pytest.mark.parametrize("product", ALL)
def test_reported_toxin_without_units_is_named_in_the_cumulative_warning(product):
    reported = PastSession(AT.date() - timedelta(days=80), "Dysport", None, True)
    result = run(product, glabellar_dose(product), history=(reported,))
    message = next(f.message for f in result.findings if f.code == "cumulative-other")
    assert "units not known" in message and "(reported)" in message


@pytest.mark.parametrize("product", ALL)
def test_another_products_toxin_within_the_window_is_weighed_never_added(product):
    other = next(p for p in ALL if p != product)
    history = (PastSession(AT.date() - timedelta(days=89), other.value, D(300)),)
    result = run(product, glabellar_dose(product), history=history)
    assert codes(result) == {"interval": Level.WARN, "cumulative-other": Level.WARN}
    outside = (PastSession(AT.date() - timedelta(days=91), other.value, D(300)),)
    assert run(product, glabellar_dose(product), history=outside).ok


@pytest.mark.parametrize(
    ("name", "product"),
    [
        ("Botox for migraine", Product.BOTOX_COSMETIC),
        ("onabotulinumtoxinA", Product.BOTOX_COSMETIC),
        ("DYSPORT", Product.DYSPORT),
        ("Xeomin", Product.XEOMIN),
        ("jeuveau", Product.JEUVEAU),
        ("Daxxify", Product.DAXXIFY),
        ("letybo", Product.LETYBO),
        ("Myobloc", None),
        ("not sure", None),
        ("Botox or Dysport", None),
    ],
)
def test_a_reported_toxin_is_read_by_its_brand_or_generic_name(name, product):
    assert product_named(name) == product


def test_the_history_names_each_toxin_in_words_never_by_its_key():
    history = (
        PastSession(AT.date() - timedelta(days=30), "dysport", D(50)),
        PastSession(AT.date() - timedelta(days=20), "Botox for migraine", D(100), True),
    )
    result = run(points=glabellar_dose(Product.BOTOX_COSMETIC), history=history)
    words = " ".join(f.message for f in result.findings)
    assert "Dysport (abobotulinumtoxinA), " in words and "Botox for migraine" in words
    assert "dysport," not in words


def test_an_area_total_is_not_held_to_the_most_in_one_point():
    total = Plan(
        product=Product.BOTOX_COSMETIC,
        points=(Point(G, D(20), total=True),),
        at=AT,
        cleared=frozenset({Area.GLABELLAR}),
        consented=True,
    )
    assert check(LABELS[Product.BOTOX_COSMETIC], total).ok
    assert codes(run(points=[(G, 20)])) == {"point-above-protocol": Level.BLOCK}
