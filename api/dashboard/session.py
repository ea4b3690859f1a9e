"""Who is looking at the dashboard, and how the key is kept between pages.

A browser cannot send a bearer header from a link, so `/dashboard?token=KEY` checks the key and
answers with a redirect to the same page without the token (it must not linger in the address
bar, history or logs) and a cookie holding the key: HttpOnly (no script can read it; there is
none anyway), SameSite=Strict (no other site can make the browser send it), Path=/dashboard
(the API never sees it), Secure when the page came over HTTPS, and no expiry (it ends with the
browser session). Programs may send `Authorization: Bearer KEY` instead.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse

from api.deps import Access, access_for

COOKIE = "aef_dashboard"
PATH = "/dashboard"


def presented_key(request: Request) -> str | None:
    """The key the request carries: a bearer header first, then the dashboard cookie."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.cookies.get(COOKIE)


async def dashboard_access(request: Request, token: str | None = None) -> Access:
    """A read-scope caller, from `token` when given, otherwise what the request carries;
    AuthenticationError / PermissionDeniedError / RateLimitedError as for the API."""
    return await access_for(request, token or presented_key(request), "read")


def signed_in(request: Request, token: str) -> RedirectResponse:
    """Redirect to the same page without the token, keeping the key in the session cookie."""
    target = request.url.path + _query_without_token(request)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE, token, path=PATH, httponly=True, samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


def signed_out(target: str) -> RedirectResponse:
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="strict")
    return response


def _query_without_token(request: Request) -> str:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
    if not kept:
        return ""
    from urllib.parse import urlencode

    return "?" + urlencode(kept)
