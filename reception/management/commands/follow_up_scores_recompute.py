"""Score the completed follow-ups again from their raw answers and the questions' current weights."""

from django.core.management.base import BaseCommand

from reception.followups import follow_up_scores_recompute


class Command(BaseCommand):
    help = "Recompute the stored follow-up scores (after a question's weight changed)."

    def add_arguments(self, parser):
        parser.add_argument("--instrument-version", type=int, default=None, help="only this questionnaire version")

    def handle(self, *args, **options):
        count = follow_up_scores_recompute(instrument_version_id=options["instrument_version"])
        self.stdout.write(f"{count} follow-ups scored again.")
