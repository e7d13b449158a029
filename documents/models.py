from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from documents.choices import DocumentKind


class Document(models.Model):
    """A file attached to a case or to one of its members: read under the field group of its kind (cases.fields).

    Stored under a name of our own outside any public URL and served only by the download views, audited; the
    original name, type and digest are kept for the download and to refuse the same file twice on one case.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="documents", verbose_name=_("case"))
    member = models.ForeignKey("cases.Member", on_delete=models.CASCADE, null=True, blank=True,
                               related_name="documents", verbose_name=_("member"))
    kind = models.CharField(_("kind"), max_length=24, choices=DocumentKind.choices)
    file = models.FileField(_("file"), upload_to="documents/%Y/%m/", blank=True)
    original_name = models.CharField(_("file name"), max_length=160, blank=True)
    content_type = models.CharField(_("file type"), max_length=40, blank=True)
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["case", "id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        # Anonymisation empties the digest with the file, so erased rows never collide.
        constraints = [models.UniqueConstraint(fields=["case", "sha256"], name="document_once_per_case",
                                               condition=~models.Q(sha256=""))]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"
