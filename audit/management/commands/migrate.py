"""`manage.py migrate` as the owner of the tables when DATABASE_OWNER_URL is set, then the app role's grants again."""

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands import migrate
from django.db import DEFAULT_DB_ALIAS, connections

from audit.roles import app_role_grant
from avr.env import database_from_url


def connect_as_owner(alias: str, owner_url: str) -> None:
    """Point the connection at the same database as the owner; nothing is connected yet, or it is closed first."""
    owner = database_from_url(owner_url)
    if owner["NAME"] != database_from_url(settings.DATABASE_URL)["NAME"]:
        raise CommandError("DATABASE_OWNER_URL must name the same database as DATABASE_URL "
                           f"({owner['NAME']!r} is not {database_from_url(settings.DATABASE_URL)['NAME']!r})")
    connection = connections[alias]
    connection.close()
    # The name stays the connection's own: the test runner points it at the test database.
    for key in ("USER", "PASSWORD", "HOST", "PORT", "OPTIONS"):
        connection.settings_dict[key] = owner[key]


class Command(migrate.Command):
    help = migrate.Command.help + " Runs as the owner of DATABASE_OWNER_URL when it is set."

    def handle(self, *args, **options):
        alias = options["database"]
        if settings.DATABASE_OWNER_URL and alias == DEFAULT_DB_ALIAS:
            connect_as_owner(alias, settings.DATABASE_OWNER_URL)
            if options["verbosity"] >= 1:
                self.stdout.write(f"Migrating as the owner role {connections[alias].settings_dict['USER']!r}")
        super().handle(*args, **options)
        if settings.DATABASE_APP_ROLE:
            app_role_grant(connections[alias])
            if options["verbosity"] >= 1:
                self.stdout.write(f"Granted the app role {settings.DATABASE_APP_ROLE!r} its privileges")
