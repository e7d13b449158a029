from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from notifications.messages import notification_path, notification_text
from notifications.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    text = serializers.SerializerMethodField(help_text="The message, in the caller's language; never personal data.")
    url = serializers.SerializerMethodField(help_text="Where the notification leads (a path on this site).")
    reference = serializers.SerializerMethodField(help_text="The case or movement reference, when it is about one.")

    class Meta:
        model = Notification
        fields = ["id", "kind", "text", "url", "reference", "created_at", "read_at"]

    @extend_schema_field(serializers.CharField())
    def get_text(self, notification) -> str:
        return notification_text(notification)

    @extend_schema_field(serializers.CharField())
    def get_url(self, notification) -> str:
        return notification_path(notification)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_reference(self, notification) -> str | None:
        return notification.params.get("reference")


class NotificationsReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField(read_only=True, help_text="How many notifications were unread.")
