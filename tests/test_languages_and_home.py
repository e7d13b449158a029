"""Every string translatable, Spanish complete; each role's home page."""

from pathlib import Path

import polib
import pytest
from django.conf import settings

from tests.factories import household

LOCALE = Path(settings.BASE_DIR) / "locale"


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_catalogue_is_complete_and_valid(language):
    catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))

    assert len(catalogue) > 100
    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []
    for entry in catalogue:
        for placeholder in ("%(code)s", "%(value)s", "%(name)s"):
            assert (placeholder in entry.msgid) == (placeholder in entry.msgstr), entry.msgid


def test_the_compiled_catalogue_is_built_from_the_po_file():
    assert (LOCALE / "es" / "LC_MESSAGES" / "django.mo").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("persona, section, other_sections", [
    ("caseworker", "home-caseworker", ["home-supervisor", "home-reception", "home-admin"]),
    ("supervisor", "home-supervisor", ["home-caseworker", "home-reception", "home-admin"]),
    ("movement_officer", "home-movement", ["home-caseworker", "home-reception", "home-admin"]),
    ("reception", "home-reception", ["home-caseworker", "home-supervisor", "home-admin"]),
    ("admin_user", "home-admin", ["home-caseworker", "home-supervisor", "home-reception"]),
])
def test_each_role_has_its_own_home_page(request, client, persona, section, other_sections):
    user = request.getfixturevalue(persona)
    client.force_login(user)

    page = client.get("/").content.decode()

    assert f'data-testid="{section}"' in page
    for other in other_sections:
        assert f'data-testid="{other}"' not in page


@pytest.mark.django_db
def test_the_caseworker_home_lists_open_cases_of_their_office_only(client, caseworker, outsider, caravan, tij, tap):
    mine = household(actor=caseworker, programme=caravan, office=tij)
    theirs = household(actor=outsider, programme=caravan, office=tap)
    client.force_login(caseworker)

    page = client.get("/").content.decode()

    assert mine.reference in page
    assert theirs.reference not in page


@pytest.mark.django_db
def test_the_admin_home_shows_aggregates_and_no_names(client, admin_user, caseworker, caravan, tij):
    household(actor=caseworker, programme=caravan, office=tij)
    client.force_login(admin_user)

    page = client.get("/").content.decode()

    assert "CARAVAN-2018" in page
    assert "Hernández" not in page


@pytest.mark.django_db
def test_a_user_without_a_role_is_told_so(client, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="x-long-password-1")
    client.force_login(user)

    assert 'data-testid="no-role"' in client.get("/").content.decode()
