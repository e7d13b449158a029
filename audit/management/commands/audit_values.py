import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_values_read


class Command(BaseCommand):
    help = "Show the values of one audit line to an admin who gives a reason; the reading is itself logged."

    def add_arguments(self, parser):
        parser.add_argument("entry", type=int, help="the audit line's id")
        parser.add_argument("--actor", required=True, help="username of the admin reading")
        parser.add_argument("--reason", required=True, help="why the values are needed (written to the log)")

    def handle(self, *args, entry, actor, reason, **options):
        try:
            user = User.objects.get(username=actor, is_active=True)
            line = AuditEvent.objects.get(pk=entry)
            values = audit_values_read(actor=user, entry=line, reason=reason)
        except (User.DoesNotExist, AuditEvent.DoesNotExist, PermissionDenied):
            raise CommandError(_("No such audit line for this user.")) from None
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if values is None:
            self.stdout.write(_("No readable values: none were kept, or the case's key was destroyed."))
            return
        self.stdout.write(json.dumps(values, ensure_ascii=False, indent=2, sort_keys=True))
