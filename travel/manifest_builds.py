"""The manifest PDF made in the background: asking for it, building it with progress, handing it out.

Rendering 300 passengers takes seconds of CPU, so the request only asks; a worker builds. One build per requester and
state of the passenger list: asking again while it is queued, building or ready builds nothing more.
"""

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import audit_record
from outbox.services import outbox_enqueue
from travel.choices import MANIFEST_BUILD_OPEN, SEAT_TAKING, ManifestBuildStatus
from travel.models import Booking, ManifestBuild, Movement, TravelDocument

logger = logging.getLogger(__name__)
BUILD_TASK = "travel.tasks.manifest_build_run_task"


# What a manifest row prints of a passenger (travel.manifest.passenger_row): a change to any makes a ready file stale.
PRINTED_MEMBER_FIELDS = ("member__given_names", "member__family_names", "member__sex", "member__date_of_birth",
                         "member__nationality", "member__document_type", "member__document_number",
                         "member__is_unaccompanied_child", "case__reference")
PRINTED_DOCUMENT_FIELDS = ("member_id", "id", "type", "number", "status")


def passengers_version(movement: Movement) -> str:
    """A fingerprint of what the manifest prints: the movement's version, every seat taken, each passenger's printed
    fields and travel documents. A file built before a name or a passport was corrected is never handed out."""
    seats = list(Booking.objects.filter(movement=movement, status__in=SEAT_TAKING).order_by("id")
                 .values_list("id", "seat", "status", "member_id", "case_id", *PRINTED_MEMBER_FIELDS))
    documents = (TravelDocument.objects.filter(member_id__in=[seat[3] for seat in seats]).order_by("member_id", "id")
                 .values_list(*PRINTED_DOCUMENT_FIELDS))
    text = f"{movement.pk}:{movement.version}:" + ";".join(":".join(map(str, row)) for row in [*seats, *documents])
    return hashlib.sha256(text.encode()).hexdigest()


def build_key(build_id: int) -> str:
    return f"manifest-{build_id}"


@transaction.atomic
def manifest_build_request(*, actor, movement: Movement, language: str) -> ManifestBuild:
    """Queue the actor's manifest PDF of the passenger list as it stands; a build already open or ready stands for
    this one, a failed one is queued again."""
    build, created = ManifestBuild.objects.select_for_update().get_or_create(
        movement=movement, requested_by=actor, passengers_version=passengers_version(movement),
        defaults={"language": language})
    # A requester keeps one file per movement: the earlier, stale ones (names as they were) go.
    (ManifestBuild.objects.filter(movement=movement, requested_by=actor).exclude(pk=build.pk)
     .exclude(status__in=MANIFEST_BUILD_OPEN).delete())
    if created or build.status == ManifestBuildStatus.FAILED:
        build.status, build.progress, build.error, build.finished_at = ManifestBuildStatus.QUEUED, 0, "", None
        build.language = language
        build.save(update_fields=["status", "progress", "error", "finished_at", "language"])
        manifest_build_enqueue(build.pk)
    return build


def manifest_build_enqueue(build_id: int) -> None:
    """Build once this transaction commits; a message still open for the build stands for this one."""
    outbox_enqueue(BUILD_TASK, build_id, key=build_key(build_id))


def manifest_build_progress(build_id: int, percent: int) -> None:
    ManifestBuild.objects.filter(pk=build_id, status=ManifestBuildStatus.BUILDING).update(progress=percent)


def manifest_build_run(build_id: int) -> ManifestBuild | None:
    """Render the PDF for its requester (their households, their fields); a build delivered again once ready does
    nothing."""
    from travel.manifest import manifest_case_ids, manifest_pdf

    build = ManifestBuild.objects.filter(pk=build_id).select_related("movement", "requested_by").first()
    if build is None or build.status == ManifestBuildStatus.READY:
        return build
    ManifestBuild.objects.filter(pk=build_id).update(status=ManifestBuildStatus.BUILDING, progress=5)
    try:
        with translation.override(build.language):
            content = manifest_pdf(build.movement, viewer=build.requested_by,
                                   progress=lambda percent: manifest_build_progress(build_id, percent))
            case_ids = manifest_case_ids(build.movement, viewer=build.requested_by)
    except Exception:
        logger.exception("manifest build %s failed", build_id)
        ManifestBuild.objects.filter(pk=build_id).update(
            status=ManifestBuildStatus.FAILED, error=_("The manifest could not be made; ask again."))
        raise
    ManifestBuild.objects.filter(pk=build_id).update(
        status=ManifestBuildStatus.READY, progress=100, content=content, case_ids=case_ids,
        finished_at=timezone.now())
    return ManifestBuild.objects.get(pk=build_id)


def manifest_builds_orphaned_requeue(*, now=None) -> list[int]:
    """Queue again any build left queued or building with no outbox message to build it; the ids queued."""
    from outbox.models import OutboxMessage

    settled = (now or timezone.now()) - timedelta(seconds=settings.AVR_STUCK_AFTER_SECONDS)
    waiting = ManifestBuild.objects.filter(status__in=MANIFEST_BUILD_OPEN, requested_at__lt=settled)
    ids = []
    for build_id in waiting.values_list("pk", flat=True):
        with transaction.atomic():
            if not OutboxMessage.objects.filter(key=build_key(build_id), done_at__isnull=True,
                                                failed_at__isnull=True).exists():
                manifest_build_enqueue(build_id)
                ids.append(build_id)
    return ids


def manifest_build_for_user(*, user, movement: Movement, build_id) -> ManifestBuild:
    """A build of this movement, for its requester only (it holds their view of the passengers); else 404."""
    build = (ManifestBuild.objects.defer("content")
             .filter(pk=build_id, movement=movement, requested_by=user).first())
    if build is None:
        raise Http404
    return build


def manifest_build_current(*, user, movement: Movement) -> ManifestBuild | None:
    """The user's build of the passenger list as it stands now, if they asked for one."""
    return (ManifestBuild.objects.filter(movement=movement, requested_by=user,
                                         passengers_version=passengers_version(movement)).first())


def manifest_build_download(*, user, movement: Movement, build: ManifestBuild, request=None) -> bytes:
    """A ready build's PDF; every download is audited with the cases it carries, as the manifest always was."""
    if build.status != ManifestBuildStatus.READY or build.content is None:
        raise Http404
    audit_record(actor=user, action=AuditAction.EXPORT, request=request, obj=movement, object_ids=build.case_ids)
    return bytes(build.content)
