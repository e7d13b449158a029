"""The declaration download, for the project urls to include: page_patterns under "", api_patterns under "api/v1/"."""

from django.urls import path

from screening.views_pdf import DeclarationPdf, declaration_pdf_view

page_patterns = [path("cases/<int:pk>/declaration.pdf", declaration_pdf_view, name="declaration_pdf")]
api_patterns = [path("cases/<int:pk>/declaration.pdf", DeclarationPdf.as_view(), name="api-declaration-pdf")]
