"""Name search as people search: beginnings, one-letter typos, accents either way, any order, ranked; the vocabulary
of name words kept in the writer's transaction and emptied of an erased person's words; never beyond the scope."""

from datetime import date

import pytest
from django.db import connection

from cases.models import Member, NameWord
from cases.name_search import vocabulary_forget
from cases.registration import MemberInput
from retention.services import member_anonymise
from tests.conftest import api_as
from tests.factories import household

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def vocabulary_read_every_time(settings):
    settings.NAME_SEARCH_VOCABULARY_SECONDS = 0
    vocabulary_forget()
    yield
    vocabulary_forget()


def person(given, family, **extra):
    return MemberInput(given_names=given, family_names=family, sex="female", date_of_birth=date(1990, 3, 14),
                       nationality="HN", place_of_origin="Tela", **extra)


@pytest.fixture
def people(caseworker, caravan, tij, outsider, tap):
    def registered(given, family, *, actor=caseworker, office=tij):
        return household(actor=actor, programme=caravan, office=office, people=[person(given, family)])

    return {
        "hernandez": registered("María José", "Hernández López"),
        "hernan": registered("Hernán", "Cruz Pineda"),
        "fernandez": registered("Rosa Amalia", "Fernández Rivas"),
        "ortiz": registered("Keyla", "Ortiz de la Cruz"),
        "elsewhere": registered("Yessenia", "Zelaya Banegas", actor=outsider, office=tap),
    }


def found(user, query, url="/api/v1/cases/"):
    response = api_as(user).get(url, {"q": query})
    assert response.status_code == 200, response.content
    return [row["reference"] for row in response.json()["results"]]


def ref(people, *names):
    return [people[name].reference for name in names]


def test_the_beginning_of_a_name_finds_the_whole_name(caseworker, people):
    assert found(caseworker, "Hern") == ref(people, "hernan", "hernandez")  # both begin with it: newest first


@pytest.mark.parametrize("typo", ["Hernándes", "Hernandz", "Hrenandez", "hernandeza"],
                         ids=["one letter wrong", "one letter missing", "two letters swapped", "one letter more"])
def test_a_name_with_one_typo_finds_the_person_first(caseworker, people, typo):
    results = found(caseworker, typo)

    assert results[0] == people["hernandez"].reference
    assert set(results) <= {people["hernandez"].reference, people["fernandez"].reference}  # two typos away


def test_a_short_name_is_read_with_one_typo_only(caseworker, people):
    assert found(caseworker, "Hernandz") == ref(people, "hernandez")  # "hernan" is two edits away


@pytest.mark.parametrize("query", ["Hernandez", "HERNÁNDEZ", "hernández"])
def test_accents_and_case_are_ignored_both_ways(caseworker, caravan, tij, people, query):
    unaccented = household(actor=caseworker, programme=caravan, office=tij, people=[person("Ana", "Hernandez Paz")])

    results = found(caseworker, query)

    assert set(results[:2]) == {people["hernandez"].reference, unaccented.reference}
    assert results[2:] == ref(people, "fernandez")  # one letter away, after every whole word


def test_the_words_may_come_in_any_order_and_particles_count_for_nothing(caseworker, people):
    assert found(caseworker, "lopez maria hernandez jose") == ref(people, "hernandez")
    assert found(caseworker, "Cruz Ortiz Keyla") == ref(people, "ortiz")
    assert found(caseworker, "keyla ortiz de la cruz") == ref(people, "ortiz")


def test_whole_words_come_before_beginnings_and_beginnings_before_typos(caseworker, caravan, tij, people):
    # Registered last, so newest-first order alone would put the typo first.
    typo = household(actor=caseworker, programme=caravan, office=tij, people=[person("Wendy", "Hernandes Paz")])

    assert found(caseworker, "hernandez") == ref(people, "hernandez") + [typo.reference] + ref(people, "fernandez")
    assert found(caseworker, "hernan") == ref(people, "hernan") + [typo.reference] + ref(people, "hernandez")


def test_a_name_needs_every_word_typed(caseworker, people):
    assert found(caseworker, "hernandez cruz") == []
    assert found(caseworker, "hern cruz") == ref(people, "hernan")


@pytest.mark.parametrize("at_once", [60, 0], ids=["ranked in one read", "read tier by tier"])
def test_a_search_pages_through_the_tiers_with_every_case_once(caseworker, caravan, tij, monkeypatch, at_once):
    from cases import selectors

    monkeypatch.setattr(selectors, "RANKED_AT_ONCE", at_once)
    typos = [household(actor=caseworker, programme=caravan, office=tij, people=[person(f"Ana {n}", "Pinedo Cruz")])
             for n in "de"]
    exact = [household(actor=caseworker, programme=caravan, office=tij, people=[person(f"Ana {n}", "Pineda Cruz")])
             for n in "abc"]
    client, seen, url = api_as(caseworker), [], "/api/v1/cases/?q=cruz+pineda&page_size=2"
    while url:
        body = client.get(url).json()
        seen += [row["reference"] for row in body["results"]]
        url = body["next"]

    assert seen == [c.reference for c in reversed(exact)] + [c.reference for c in reversed(typos)]


def test_a_caseworker_never_finds_a_case_outside_their_scope_even_by_exact_name(caseworker, outsider, people):
    assert found(caseworker, "Yessenia Zelaya Banegas") == []
    assert found(caseworker, "Zelaia") == []
    assert found(outsider, "Hernández") == []
    assert found(outsider, "Yesenia Zelaya") == ref(people, "elsewhere")
    assert api_as(caseworker).get(f"/api/v1/cases/{people['elsewhere'].pk}/").status_code == 404


@pytest.mark.parametrize("listed_at_most, at_once", [(2000, 60), (2000, 0), (1, 60), (0, 60)])
def test_a_common_name_is_searched_and_ranked_the_same_way(caseworker, outsider, caravan, tij, people, monkeypatch,
                                                           listed_at_most, at_once):
    from cases import selectors

    monkeypatch.setattr(selectors, "RANKED_AT_ONCE", at_once)

    typo = household(actor=caseworker, programme=caravan, office=tij, people=[person("Wendy", "Hernandes Paz")])
    monkeypatch.setattr(selectors, "NAME_SEARCH_LISTED", listed_at_most)  # past it: tiers become subqueries

    assert found(caseworker, "hernandez") == ref(people, "hernandez") + [typo.reference] + ref(people, "fernandez")
    assert found(caseworker, "hern") == [typo.reference] + ref(people, "hernan", "hernandez")
    assert found(outsider, "hernandez") == []


def test_the_html_list_searches_the_same_way(client, caseworker, people):
    client.force_login(caseworker)

    page = client.get("/cases/", {"q": "hernandes"}).content.decode()

    assert f'data-case="{people["hernandez"].reference}"' in page
    assert f'data-case="{people["ortiz"].reference}"' not in page
    assert f'data-case="{people["elsewhere"].reference}"' not in client.get("/cases/", {"q": "zelaya"}).content.decode()


def vocabulary():
    return set(NameWord.objects.values_list("word", flat=True))


def test_registering_puts_the_names_words_in_the_vocabulary_in_the_same_transaction(caseworker, caravan, tij):
    assert "xiomara" not in vocabulary()

    case = household(actor=caseworker, programme=caravan, office=tij, people=[person("Xiomara", "Tzul Caal")])

    assert {"xiomara", "tzul", "caal"} <= vocabulary()
    assert found(caseworker, "xiom") == [case.reference]
    assert found(caseworker, "Xiomarra Tsul") == [case.reference]


def test_an_anonymised_members_words_leave_the_vocabulary_and_are_not_found(caseworker, caravan, tij, people):
    case = household(actor=caseworker, programme=caravan, office=tij,
                     people=[person("Xiomara", "Tzul Hernández"), person("Olga", "Tzul Caal", relationship="spouse")])
    xiomara = case.members.get(given_names="Xiomara")

    member_anonymise(member=xiomara)

    assert "xiomara" not in vocabulary()
    assert {"tzul", "hernandez", "olga"} <= vocabulary()  # still another member's
    assert found(caseworker, "xiom") == [] and found(caseworker, "Xiomarra") == []
    assert found(caseworker, "olga tzul") == [case.reference]


def test_a_deleted_members_words_leave_the_vocabulary(caseworker, caravan, tij, people):
    case = household(actor=caseworker, programme=caravan, office=tij, people=[person("Nohemí", "Kawas Funes")])

    Member.objects.filter(case=case).delete()

    assert not {"nohemi", "kawas", "funes"} & vocabulary()


def test_a_renamed_members_old_words_leave_and_new_words_come(caseworker, caravan, tij):
    case = household(actor=caseworker, programme=caravan, office=tij, people=[person("Nohemí", "Kawas Funes")])

    Member.objects.filter(case=case).update(name_tokens=["nohemi", "kawas", "interiano"])

    assert "funes" not in vocabulary() and {"nohemi", "kawas", "interiano"} <= vocabulary()


def test_the_migration_and_the_vocabulary_agree_with_the_members(caseworker, people):
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT unnest(name_tokens) FROM cases_member")
        words = {word for (word,) in cursor.fetchall()}

    assert vocabulary() == words


@pytest.mark.parametrize("query", ["\x00hern", "a" * 3_000_000, "de la y", "%_\\", "h", "ñ" * 200,
                                   " ".join(["hern"] * 500)])
def test_a_hostile_or_empty_query_gives_a_clean_answer(caseworker, people, query):
    response = api_as(caseworker).get("/api/v1/cases/", {"q": query})

    assert response.status_code in (200, 400, 413, 414), response.status_code
    if response.status_code == 200:
        assert isinstance(response.json()["results"], list)


def test_a_bad_or_forged_search_cursor_starts_from_the_top(caseworker, people):
    import base64

    for value in ("9.1", "0." + "9" * 5000, "x.1", "1.-3"):
        cursor = base64.urlsafe_b64encode(value.encode()).decode()
        response = api_as(caseworker).get("/api/v1/cases/", {"q": "hern", "cursor": cursor})
        assert response.status_code == 200
