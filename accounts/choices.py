from django.db import models
from django.utils.translation import gettext_lazy as _


class Country(models.TextChoices):
    """Countries the programmes register in, return to, or meet in people's nationalities."""

    MX = "MX", _("Mexico")
    GT = "GT", _("Guatemala")
    HN = "HN", _("Honduras")
    SV = "SV", _("El Salvador")
    NI = "NI", _("Nicaragua")
    CR = "CR", _("Costa Rica")
    PA = "PA", _("Panama")
    BZ = "BZ", _("Belize")
    US = "US", _("United States")
    CO = "CO", _("Colombia")
    VE = "VE", _("Venezuela")
    EC = "EC", _("Ecuador")
    PE = "PE", _("Peru")
    CU = "CU", _("Cuba")
    HT = "HT", _("Haiti")
    DO = "DO", _("Dominican Republic")
    OTHER = "XX", _("Other or unknown")


class OfficeKind(models.TextChoices):
    REGISTRATION_BOOTH = "registration_booth", _("Registration booth")
    FIELD_OFFICE = "field_office", _("Field office")
    RECEPTION_CENTRE = "reception_centre", _("Reception centre")
    HEADQUARTERS = "headquarters", _("Headquarters")


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("Caseworker")
    SUPERVISOR = "supervisor", _("Supervisor")
    MOVEMENT_OFFICER = "movement_officer", _("Movement officer")
    RECEPTION_STAFF = "reception_staff", _("Reception staff")
    ADMIN = "admin", _("Administrator")


class Language(models.TextChoices):
    SPANISH = "es", _("Spanish")
    ENGLISH = "en", _("English")
