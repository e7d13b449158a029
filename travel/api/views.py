from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from avr.api import ErrorSerializer
from cases.api.registration import (
    ETAG_PARAMETER,
    VERSIONED_EDIT_ERRORS,
    expected_version,
    stale_response,
    version_required_response,
)
from cases.api.serializers import InvalidTransitionSerializer, TransitionRefusedSerializer
from cases.api.views import invalid_transition_response, transition_refused_response
from cases.services import InvalidTransition, StaleVersion, TransitionRefused
from travel import services
from travel.api.serializers import (
    BookingRequestSerializer,
    BorderSupportSerializer,
    EscortSerializer,
    MovementDetailSerializer,
    MovementSerializer,
    MovementTransitionSerializer,
    MovementUpdateSerializer,
    PassengerSerializer,
    TravelDocumentSerializer,
)
from travel.selectors import (
    member_for_travel_read,
    movement_get,
    movement_summary,
    movements_for_user,
    passengers_for,
)


class PartiallyBoardedSerializer(ErrorSerializer):
    """409 `partially_boarded`: households travel whole."""

    cases = serializers.ListField(child=serializers.CharField(), help_text="references of the split households")


class AlreadyBookedSerializer(ErrorSerializer):
    """409 `already_booked`: someone of the household already holds a seat on another movement."""

    code = serializers.ChoiceField(choices=["already_booked"])


BOOKING_CONFLICT = PolymorphicProxySerializer(
    component_name="BookingConflict",
    serializers=[InvalidTransitionSerializer, TransitionRefusedSerializer, AlreadyBookedSerializer],
    resource_type_field_name=None)
MOVEMENT_CONFLICT = PolymorphicProxySerializer(
    component_name="MovementConflict",
    serializers=[InvalidTransitionSerializer, PartiallyBoardedSerializer, TransitionRefusedSerializer],
    resource_type_field_name=None)


def movement_body(request, movement_id: int) -> dict:
    movement = movement_get(user=request.user, movement_id=movement_id, request=request._request)
    data = MovementSerializer(movement).data
    bookings, everyone = passengers_for(user=request.user, movement=movement, request=request._request)
    data["passengers"] = PassengerSerializer(bookings, many=True).data
    data["summary"] = movement_summary(movement, everyone)
    data["passengers_not_shown"] = len(everyone) - len(bookings)  # of households the caller may not see
    return data


@extend_schema_view(get=extend_schema(parameters=[
    OpenApiParameter("reception_centre", str, description="reception centre code"),
    OpenApiParameter("status", str, enum=["planned", "confirmed", "departed", "arrived", "cancelled"]),
    OpenApiParameter("departure_office", str, description="departure office code"),
]))
class MovementList(generics.GenericAPIView):
    """Movements the caller may see, soonest departure first; POST plans one (movement officers of its country)."""

    serializer_class = MovementSerializer
    pagination_class = None

    @extend_schema(responses={200: MovementSerializer(many=True)})
    def get(self, request):
        filters = {k: request.query_params.get(k) for k in ("reception_centre", "status", "departure_office")}
        movements = movements_for_user(user=request.user, filters=filters, with_legs_and_escorts=True)
        return Response(MovementSerializer(movements, many=True).data)

    @extend_schema(responses={201: MovementDetailSerializer})
    def post(self, request):
        serializer = MovementSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        legs = [dict(leg) for leg in data.pop("legs", [])]
        movement = services.movement_create(actor=request.user, data=data, legs=legs)
        return Response(movement_body(request, movement.pk), status=status.HTTP_201_CREATED)


class MovementDetail(generics.GenericAPIView):
    """One movement with its passengers (seat, name, child and medical flags: never more), escorts and legs."""

    serializer_class = MovementSerializer

    @extend_schema(responses={200: MovementDetailSerializer})
    def get(self, request, pk: int):
        body = movement_body(request, pk)
        return Response(body, headers={"ETag": f'"{body["version"]}"'})

    @extend_schema(request=MovementUpdateSerializer,
                   responses={200: MovementDetailSerializer, **VERSIONED_EDIT_ERRORS},
                   parameters=[ETAG_PARAMETER])
    def patch(self, request, pk: int):
        serializer = MovementUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version, precondition = expected_version(request, changes)
        changes.pop("version", None)
        legs = [dict(leg) for leg in changes.pop("legs")] if "legs" in changes else None
        if version is None:
            return version_required_response()
        try:
            services.movement_update(actor=request.user, movement_id=pk, expected_version=version, changes=changes,
                                     legs=legs)
        except StaleVersion as exc:
            return stale_response(exc, precondition=precondition, detail=_(
                "Someone else saved this movement after you opened it. Nothing was overwritten: reload it, then "
                "make your change again."))
        return Response(movement_body(request, pk))


class BookingCreate(generics.GenericAPIView):
    """Book a whole household (an approved case); 409 `transition_refused` lists what is missing."""

    serializer_class = BookingRequestSerializer

    @extend_schema(responses={201: MovementDetailSerializer, 409: BOOKING_CONFLICT})
    def post(self, request, pk: int):
        serializer = BookingRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.case_book(actor=request.user, movement_id=pk, case_id=serializer.validated_data["case"])
        except services.AlreadyBooked as exc:
            return Response({"code": "already_booked", "detail": exc.messages[0], "fields": exc.message_dict},
                            status=status.HTTP_409_CONFLICT)
        except TransitionRefused as exc:
            return transition_refused_response(exc)
        except InvalidTransition as exc:
            return invalid_transition_response(exc)
        return Response(movement_body(request, pk), status=status.HTTP_201_CREATED)


class BookingDelete(generics.GenericAPIView):
    """Take a household off the movement before it leaves: the case is approved again."""

    serializer_class = MovementSerializer

    @extend_schema(responses={200: MovementDetailSerializer})
    def delete(self, request, pk: int, case_id: int):
        services.case_unbook(actor=request.user, movement_id=pk, case_id=case_id)
        return Response(movement_body(request, pk))


class MovementTransition(generics.GenericAPIView):
    """Confirm, depart (`boarded`: who got on; households board whole), mark arrived or cancel."""

    serializer_class = MovementTransitionSerializer

    @extend_schema(responses={200: MovementDetailSerializer, 409: MOVEMENT_CONFLICT})
    def post(self, request, pk: int):
        serializer = MovementTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.movement_transition(actor=request.user, movement_id=pk, **serializer.validated_data)
        except services.InvalidMovementTransition as exc:
            return Response({"code": "invalid_transition", "fields": {}, "from": exc.from_status, "to": exc.to_status,
                             "detail": _("A movement cannot go from “%(from)s” to “%(to)s”.")
                             % {"from": exc.from_status, "to": exc.to_status}}, status=status.HTTP_409_CONFLICT)
        except services.DepartureRefused as exc:
            return Response({"code": "partially_boarded", "fields": {}, "cases": exc.references,
                             "detail": _("Some households boarded only in part (%(references)s): a household "
                                         "travels together, so move whoever stays to a case of their own first.")
                             % {"references": ", ".join(exc.references)}}, status=status.HTTP_409_CONFLICT)
        except services.MovementRefused as exc:
            return Response({"code": "transition_refused", "fields": {}, "to": serializer.validated_data["to"],
                             "detail": _("The movement does not meet the conditions for this step yet."),
                             "unmet": [u.as_dict() for u in exc.unmet]}, status=status.HTTP_409_CONFLICT)
        except TransitionRefused as exc:
            return transition_refused_response(exc)
        return Response(movement_body(request, pk))


class EscortCreate(generics.GenericAPIView):
    serializer_class = EscortSerializer

    @extend_schema(responses={201: EscortSerializer})
    def post(self, request, pk: int):
        serializer = EscortSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        escort = services.escort_add(actor=request.user, movement_id=pk, member_ids=data.pop("members", []),
                                     data=data)
        return Response(EscortSerializer(escort).data, status=status.HTTP_201_CREATED)


class BorderSupportCreate(generics.GenericAPIView):
    """Counts of support given to the passengers at a crossing (no names)."""

    serializer_class = BorderSupportSerializer

    @extend_schema(responses={201: BorderSupportSerializer})
    def post(self, request, pk: int):
        serializer = BorderSupportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = services.border_support_record(actor=request.user, movement_id=pk,
                                                data=dict(serializer.validated_data))
        return Response(BorderSupportSerializer(record).data, status=status.HTTP_201_CREATED)


class TravelDocumentList(generics.GenericAPIView):
    """A member's travel documents (passport or consular document) and their status."""

    serializer_class = TravelDocumentSerializer
    pagination_class = None

    @extend_schema(responses={200: TravelDocumentSerializer(many=True)})
    def get(self, request, pk: int):
        member = member_for_travel_read(user=request.user, member_id=pk, request=request._request)
        return Response(TravelDocumentSerializer(member.travel_documents.all(), many=True).data)

    @extend_schema(responses={201: TravelDocumentSerializer})
    def post(self, request, pk: int):
        serializer = TravelDocumentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        document = services.travel_document_record(actor=request.user, member_id=pk,
                                                   data=dict(serializer.validated_data))
        return Response(TravelDocumentSerializer(document).data, status=status.HTTP_201_CREATED)
