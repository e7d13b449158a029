"""`manage.py audit_partitions`: list, make ahead, or detach past retention the audit log's monthly partitions."""

from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext as _

from audit.management.commands.migrate import connect_as_owner
from audit.partitions import (
    PartitionRefused,
    audit_partitions_detach,
    audit_partitions_ensure,
    audit_partitions_list,
    retention_cutoff,
)


def year_month(value: str) -> date:
    try:
        year, month = value.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise CommandError(_("Give the month as YYYY-MM, e.g. 2019-12.")) from None


class Command(BaseCommand):
    help = ("List the audit log's monthly partitions, make the coming ones (--ensure), or detach those before a "
            "month past AUDIT_RETENTION_MONTHS into archive tables (--detach-before YYYY-MM); rows are never deleted. "
            "Runs as the owner of DATABASE_OWNER_URL when it is set.")

    def add_arguments(self, parser):
        parser.add_argument("--list", action="store_true", help="show partitions and archives (the default)")
        parser.add_argument("--ensure", action="store_true", help="make this month's and the next months' partitions")
        parser.add_argument("--months", type=int, default=None,
                            help="with --ensure: months ahead (default AUDIT_PARTITIONS_AHEAD)")
        parser.add_argument("--detach-before", type=year_month, metavar="YYYY-MM",
                            help="detach every month before this one; each must be past retention")
        parser.add_argument("--actor", help="with --detach-before: username of the person asking, for the audit line")

    def handle(self, *args, **options):
        if settings.DATABASE_OWNER_URL:
            # Detaching alters the table, which only its owner may; making partitions works either way.
            connect_as_owner(DEFAULT_DB_ALIAS, settings.DATABASE_OWNER_URL)
        if options["ensure"]:
            made = audit_partitions_ensure(months_ahead=options["months"])
            self.stdout.write(_("Partitions made: %(names)s") % {"names": ", ".join(made) or "-"})
        if options["detach_before"]:
            self.detach(options["detach_before"], options["actor"])
        if options["list"] or not (options["ensure"] or options["detach_before"]):
            self.show()

    def detach(self, before: date, username: str | None) -> None:
        actor = None
        if username:
            from accounts.models import User

            actor = User.objects.filter(username=username, is_active=True).first()
            if actor is None:
                raise CommandError(_("No active user %(username)s.") % {"username": username})
        try:
            archives = audit_partitions_detach(before=before, actor=actor, by="manage.py audit_partitions")
        except PartitionRefused as refusal:
            raise CommandError(str(refusal)) from None
        self.stdout.write(_("Detached to archive tables: %(names)s") % {"names": ", ".join(archives) or "-"})

    def show(self) -> None:
        cutoff = retention_cutoff()
        for partition in audit_partitions_list():
            if not partition.attached:
                state = _("archive, detached")
            elif partition.month is None:
                state = _("default partition")
            elif partition.month < cutoff:
                state = _("past retention")
            else:
                state = _("kept")
            self.stdout.write(f"{partition.name}\t~{partition.rows_estimate}\t{state}")
