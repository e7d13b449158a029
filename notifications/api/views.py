from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications.api.serializers import NotificationSerializer, NotificationsReadSerializer
from notifications.selectors import notifications_for_user
from notifications.services import notifications_mark_all_read


class NotificationList(generics.ListAPIView):
    """The caller's own notifications, newest first."""

    serializer_class = NotificationSerializer

    def get_queryset(self):
        return notifications_for_user(user=self.request.user)


class NotificationsRead(APIView):
    """Mark all the caller's notifications read."""

    @extend_schema(request=None, responses={200: NotificationsReadSerializer})
    def post(self, request):
        return Response({"marked": notifications_mark_all_read(user=request.user)})
