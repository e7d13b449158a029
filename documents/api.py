from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from avr.parsers import JSONParser
from cases.fields import FieldPolicyMixin
from cases.selectors import case_get_for_user
from documents.choices import DocumentKind
from documents.models import Document
from documents.selectors import document_for_download, documents_readable
from documents.services import NOTE_MAX, document_delete, document_upload
from screening.uploads import SCAN_TYPES, scan_response


class DocumentSerializer(FieldPolicyMixin, serializers.ModelSerializer):
    policy_keys = {"uploaded_by": None, "download": "documents.Document.file"}
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True)
    download = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = ["id", "kind", "member", "original_name", "content_type", "size", "sha256", "note", "uploaded_by",
                  "uploaded_at", "download"]
        read_only_fields = fields

    def get_download(self, obj) -> str:
        return f"/api/v1/cases/{obj.case_id}/documents/{obj.pk}/"


class DocumentUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    file = serializers.FileField(help_text="PDF, JPEG or PNG, judged by its bytes; at most AVR_UPLOAD_MAX_MB")
    member = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1,
                                      help_text="the member the document is about; none for the household")
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX)


class DocumentDeleteSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=NOTE_MAX)


class CaseDocumentList(generics.GenericAPIView):
    """The case's documents the caller may read (by kind: identity, medical, other); POST attaches one (multipart)."""

    serializer_class = DocumentSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    pagination_class = None

    @extend_schema(responses={200: DocumentSerializer(many=True)})
    def get(self, request, pk: int):
        case, access = case_get_for_user(user=request.user, case_id=pk, request=request._request)
        rows = documents_readable(case=case, access=access)
        return Response(DocumentSerializer(rows, many=True, context={"access": access}).data)

    @extend_schema(request={"multipart/form-data": DocumentUploadSerializer},
                   responses={201: DocumentSerializer})
    def post(self, request, pk: int):
        serializer = DocumentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        document = document_upload(actor=request.user, case_id=pk, kind=data["kind"], file=data["file"],
                                   member_id=data.get("member"), note=data.get("note", ""))
        case, access = case_get_for_user(user=request.user, case_id=pk, request=request._request)
        return Response(DocumentSerializer(document, context={"access": access}).data,
                        status=status.HTTP_201_CREATED)


class CaseDocumentFile(generics.GenericAPIView):
    """The document's file, to those who may read its kind; every download is audited."""

    @extend_schema(responses={(200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description="the file")
                              for media_type in SCAN_TYPES})
    def get(self, request, pk: int, document_id: int):
        document = document_for_download(user=request.user, case_id=pk, document_id=document_id,
                                         request=request._request)
        return scan_response(document.file, file_name=document.original_name or f"document-{document.pk}",
                             content_type=document.content_type)


class CaseDocumentDelete(generics.GenericAPIView):
    """Delete a document and its file (the case team, with a reason kept in the case's timeline)."""

    serializer_class = DocumentDeleteSerializer

    @extend_schema(request=DocumentDeleteSerializer, responses={204: None})
    def post(self, request, pk: int, document_id: int):
        serializer = DocumentDeleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        document_delete(actor=request.user, case_id=pk, document_id=document_id,
                        reason=serializer.validated_data["reason"])
        return Response(status=status.HTTP_204_NO_CONTENT)
