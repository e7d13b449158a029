"""Compile the translation catalogues (.po -> .mo) without needing GNU gettext on the machine."""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile every locale/*/LC_MESSAGES/*.po into .mo (pure Python, no gettext needed)."

    def add_arguments(self, parser):
        parser.add_argument("--fill-source", metavar="LANG",
                            help="first copy each msgid into the empty msgstr of LANG (the source language)")

    def handle(self, *args, **options):
        if options["fill_source"]:
            self.fill_source(options["fill_source"])
        compiled = 0
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                try:
                    polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
                except (OSError, ValueError) as exc:
                    raise CommandError(f"{po_path}: {exc}") from exc
                compiled += 1
        self.stdout.write(f"compiled {compiled} catalogue(s)")

    def fill_source(self, language: str) -> None:
        """The source language's catalogue says each string as written, so it is complete by construction."""
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in Path(locale_dir).glob(f"{language}/LC_MESSAGES/*.po"):
                catalogue = polib.pofile(str(po_path))
                for entry in catalogue:
                    # makemessages' fuzzy guesses are wrong by definition in the source language.
                    if "fuzzy" in entry.flags:
                        entry.flags.remove("fuzzy")
                    entry.previous_msgid = entry.previous_msgid_plural = None
                    if entry.msgid_plural:
                        entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
                    else:
                        entry.msgstr = entry.msgid
                catalogue.save()
