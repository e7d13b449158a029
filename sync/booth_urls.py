"""The installable booth app: its shell page, service worker and web app manifest."""

urlpatterns = []
