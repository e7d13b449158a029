"""Each programme's `follow_up_months` becomes a plan with one step; follow-ups made before plans get a status."""

from datetime import date

from django.db import migrations

from audit.operations import AuditChanges

WINDOW_DAYS = 14


def plans_from_months(apps, schema_editor):
    Programme = apps.get_model("accounts", "Programme")
    FollowUpPlan = apps.get_model("reception", "FollowUpPlan")
    FollowUpStep = apps.get_model("reception", "FollowUpStep")
    for programme in Programme.objects.filter(follow_up_months__gt=0):
        plan, created = FollowUpPlan.objects.get_or_create(programme=programme)
        if created:
            months = programme.follow_up_months
            FollowUpStep.objects.create(plan=plan, name=f"Month {months}", offset_days=30 * months,
                                        window_days=WINDOW_DAYS)


def statuses_of_earlier_follow_ups(apps, schema_editor):
    FollowUp = apps.get_model("reception", "FollowUp")
    today = date.today()
    earlier = FollowUp.objects.filter(step__isnull=True)
    earlier.filter(cancelled_on__isnull=False).update(status="cancelled")
    earlier.filter(cancelled_on__isnull=True, done_on__isnull=False).update(status="completed")
    still = earlier.filter(cancelled_on__isnull=True, done_on__isnull=True)
    still.filter(due_on__lte=today).update(status="due")
    for follow_up in still.filter(opens_on__isnull=True):
        follow_up.opens_on = follow_up.due_on
        follow_up.save(update_fields=["opens_on"])


class Migration(migrations.Migration):
    dependencies = [("reception", "0006_follow_up_plans"), ("accounts", "0005_programme_follow_up_months")]

    operations = [
        migrations.RunPython(plans_from_months, migrations.RunPython.noop),
        migrations.RunPython(statuses_of_earlier_follow_ups, migrations.RunPython.noop),
        AuditChanges("reception_followupattempt"),
        AuditChanges("reception_followupanswer"),
        AuditChanges("reception_followupflag"),
        AuditChanges("reception_safeguardingtask"),
        AuditChanges("reception_followupplan"),
        AuditChanges("reception_followupstep"),
        AuditChanges("reception_instrumentitem"),
    ]
