"""What OPTIONS answers on the API."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.metadata import SimpleMetadata
from rest_framework.request import clone_request


class Metadata(SimpleMetadata):
    """OPTIONS describes what an endpoint takes; it never looks an object up (the real methods do, and answer 404)."""

    def determine_actions(self, request, view):
        actions = {}
        for method in {"PUT", "POST"} & set(view.allowed_methods):
            view.request = clone_request(request, method)
            try:
                view.check_permissions(view.request)
                serializer = view.get_serializer()
            except (exceptions.APIException, DjangoPermissionDenied, Http404, AssertionError):
                continue
            finally:
                view.request = request
            actions[method] = self.get_serializer_info(serializer)
        return actions

