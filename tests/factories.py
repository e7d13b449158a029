"""Factories for the objects tests need; cases are made through the real service."""

from datetime import date

import factory

from accounts.choices import OfficeKind, Role
from accounts.models import Assignment, Office, Programme, User
from accounts.services import user_role_groups_sync
from cases.choices import CaseStatus
from cases.models import CaseEvent
from cases.registration import ConsentInput, MemberInput, RegistrationInput, case_register

PASSWORD = "correct-horse-battery"


class OfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Office
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"OF{n}")
    name = factory.LazyAttribute(lambda o: f"Office {o.code}")
    kind = OfficeKind.REGISTRATION_BOOTH
    country = "MX"


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"PRG-{n}")
    name = factory.LazyAttribute(lambda o: f"Programme {o.code}")
    donor = "PRM"
    registration_countries = ["MX", "GT"]
    return_countries = ["HN", "SV", "GT"]
    start_date = date(2018, 11, 1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def staff(username: str, role: str, *, office=None, programme=None, country: str = "") -> User:
    """A user with one role assignment, in the role's group."""
    user = UserFactory(username=username)
    Assignment.objects.get_or_create(user=user, role=role, office=office, programme=programme, country=country)
    user_role_groups_sync(user=user)
    return User.objects.get(pk=user.pk)


def household(*, actor, programme, office, destination="HN", people=None, status=CaseStatus.REGISTERED,
              reception_centre=None, intake_date=date(2018, 11, 19)):
    """A case registered through the service, then placed at `status` with its event."""
    people = people or [MemberInput(given_names="María José", family_names="Hernández López", sex="female",
                                    date_of_birth=date(1990, 3, 14), nationality=destination,
                                    document_type="passport", document_number=f"P{office.code}123",
                                    place_of_origin="San Pedro Sula")]
    data = RegistrationInput(programme=programme, office=office, destination_country=destination, members=people,
                             consent=ConsentInput(type="explicit"), how_heard="booth_outreach",
                             intake_date=intake_date, caseworker_notes="Tiene miedo de regresar a su colonia.")
    case = case_register(actor=actor, data=data, confirm_duplicates=True).case
    if status != CaseStatus.REGISTERED or reception_centre is not None:
        CaseEvent.objects.create(case=case, actor=actor, from_status=case.status, to_status=status, note="test")
        case.status = status
        case.reception_centre = reception_centre
        case.save(update_fields=["status", "reception_centre", "updated_at"])
    return case


__all__ = ["OfficeFactory", "ProgrammeFactory", "UserFactory", "staff", "household", "PASSWORD", "Role"]
