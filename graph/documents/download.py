"""GET /documents/{id}?expires=&user=&signature= : the PDF behind a `Document.downloadUrl`.

Signed links only (no session needed, none accepted instead): the link is minted through the
authenticated API for one user and lasts 5 minutes, and this route re-checks that the user is still
a party to the contract. Why the user id is in the link: a browser following a link sends no bearer
token and no CSRF header, so the route must learn from the link whom it was signed for. The id is
not a secret; the HMAC (settings.secret_key) binds it to the document and the expiry.

Every failure (bad or expired signature, unknown document, user no longer on the contract) is the
same 404: forbidden looks like missing. `Cache-Control: no-store` and `nosniff` come from the app's
middleware, as on every response.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from resolvers.servicing import documents as rules


async def download_document(request: Request) -> Response:
    params = request.query_params
    found = await rules.document_for_signed_link(
        request.app.state.services, request.path_params.get("document_id", ""), params.get("expires", ""),
        params.get("user", ""), params.get("signature", ""),
    )
    if found is None:
        return PlainTextResponse("Not found.", status_code=404)
    document, filename = found
    return Response(
        bytes(document.content),
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
