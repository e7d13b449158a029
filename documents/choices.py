from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    IDENTITY_DOCUMENT = "identity_document", _("Identity document")
    MEDICAL_CERTIFICATE = "medical_certificate", _("Medical certificate")
    OTHER = "other", _("Other document")
