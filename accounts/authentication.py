"""`Authorization: Token <key>` against our own tokens: each expires when idle or old, and can be revoked."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from accounts.selectors import api_token_expired, api_token_for_key
from accounts.services import api_token_touch

TOKEN_INVALID = _("This token is not valid. Sign in again for a new one.")
TOKEN_REVOKED = _("This token was revoked. Sign in again for a new one.")
TOKEN_EXPIRED = _("This token has expired. Sign in again for a new one.")
USER_INACTIVE = _("This account is deactivated.")


class ApiTokenAuthentication(TokenAuthentication):
    """The header and its refusals are DRF's; the key is looked up by its SHA-256 digest (accounts.ApiToken).

    `request.auth` is the ApiToken, so a view knows which of the user's tokens is in use.
    """

    def authenticate_credentials(self, key):
        token = api_token_for_key(key)
        if token is None:
            raise AuthenticationFailed(TOKEN_INVALID, code="authentication_failed")
        if token.revoked_at is not None:
            raise AuthenticationFailed(TOKEN_REVOKED, code="token_revoked")
        now = timezone.now()
        if api_token_expired(token, now):
            raise AuthenticationFailed(TOKEN_EXPIRED, code="token_expired")
        if not token.user.is_active:
            raise AuthenticationFailed(USER_INACTIVE, code="authentication_failed")
        api_token_touch(token, now)
        return token.user, token
