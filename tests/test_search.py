"""Patient search: the query parser (pure) and the search itself on the real database."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glabella.core.access import actor_for
from glabella.patients.search import fold, parse_query, search_key
from glabella.patients.services import search_patients
from tests.conftest import make_patient


def test_a_name_becomes_folded_terms_longest_first():
    assert parse_query("  José  GARCÍA ").terms == ("garcia", "jose")


@pytest.mark.parametrize("text", ["1985-03-02", "03/02/1985", "3/2/1985", "03-02-1985"])
def test_dates_in_the_usual_forms_become_a_birth_date(text):
    assert parse_query(text) == parse_query("1985-03-02")
    assert parse_query(text).birth_date == date(1985, 3, 2)


def test_a_name_and_a_birth_date_together():
    query = parse_query("garcia 03/02/1985")
    assert query.birth_date == date(1985, 3, 2)
    assert query.terms == ("garcia",)


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("(805) 555-0134", "8055550134"),
        ("+1 805 555 0134", "8055550134"),
        ("805.555.0134", "8055550134"),
        ("0134", "0134"),
    ],
)
def test_phone_numbers_become_their_digits(text, digits):
    assert parse_query(text).terms == (digits,)


def test_an_impossible_date_is_not_a_birth_date():
    assert parse_query("02/30/1985").birth_date is None


@given(st.text(max_size=200))
def test_any_text_parses_into_terms_the_search_key_alphabet_allows(text):
    query = parse_query(text)
    assert len(query.terms) <= 5
    for term in query.terms:
        assert term == fold(term) and term


def test_the_search_key_holds_names_phone_digits_and_email():
    key = search_key("Zoë", "O'Brien", "Zo", "8055550134", "Zoe@Example.com")
    assert key == "zoe zo o brien 8055550134 zoe@example.com"


@pytest.fixture
def staff(users):
    return actor_for(users["front_desk"])


@pytest.fixture
def people(clinic):
    return {
        "jose": make_patient(
            given_name="José",
            family_name="García",
            phone="+18055550134",
            email="jg@example.com",
            birth_date=date(1985, 3, 2),
        ),
        "josie": make_patient(
            given_name="Josie",
            family_name="Garcia-Lee",
            phone="+18185550111",
            email="josie@example.com",
            birth_date=date(1990, 7, 4),
        ),
        "mark": make_patient(
            given_name="Mark",
            family_name="Osei",
            phone="",
            email="mark@example.com",
            birth_date=date(1985, 3, 2),
        ),
    }


def names(results):
    return [p.given_name for p in results]


def test_it_finds_by_part_of_a_name_without_accents(staff, people):
    assert names(search_patients(staff, "garc")) == ["José", "Josie"]
    assert names(search_patients(staff, "jose garcia")) == ["José"]


def test_it_finds_by_phone_in_any_format(staff, people):
    assert names(search_patients(staff, "(805) 555-0134")) == ["José"]
    assert names(search_patients(staff, "555 0111")) == ["Josie"]


def test_it_finds_by_birth_date_and_narrows_by_name(staff, people):
    assert names(search_patients(staff, "03/02/1985")) == ["José", "Mark"]
    assert names(search_patients(staff, "osei 1985-03-02")) == ["Mark"]


def test_it_finds_by_email(staff, people):
    assert names(search_patients(staff, "josie@example.com")) == ["Josie"]


def test_like_wildcards_in_the_query_match_only_themselves(staff, people):
    assert search_patients(staff, "%") == []
    assert search_patients(staff, "_") == []


def test_results_are_capped(staff, clinic):
    for i in range(30):
        make_patient(family_name=f"Capper{i:02d}", email=f"c{i}@example.com")
    assert len(search_patients(staff, "capper")) == 25


def test_a_patient_finds_only_themselves(users, people, patient):
    me = actor_for(users["patient"])
    assert search_patients(me, "garcia") == []
    assert names(search_patients(me, "holloway")) == ["Grace"]


def test_searching_keeps_the_key_current_after_a_change(staff, people, users):
    from glabella.patients.services import update_patient

    update_patient(actor_for(users["injector"]), people["mark"], {"family_name": "Mensah"})
    assert names(search_patients(staff, "mensah")) == ["Mark"]
    assert search_patients(staff, "osei") == []
