"""GET /envelope-documents/{id}?expires=&party=&signature= : the PDF behind an envelope document's
`downloadUrl` (dealer) or a `signingSession.documentUrl` (signer).

Signed links only, checked again at download time (resolvers/esign/downloads.py): a bad, expired or
foreign link is 404, exactly like a missing document. A genuine link to a document whose stored
bytes no longer hash to its recorded SHA-256 is 409 and logged: a tampered contract is never
served. `Cache-Control: no-store` and `nosniff` come from the app's middleware, as on every response.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from resolvers.esign import downloads


async def download_envelope_document(request: Request) -> Response:
    params = request.query_params
    found = await downloads.document_for_link(
        request.app.state.services, request.path_params.get("document_id", ""), params.get("expires", ""),
        params.get("party", ""), params.get("signature", ""),
    )
    if found is None:
        return PlainTextResponse("Not found.", status_code=404)
    if not found.intact:
        return PlainTextResponse("This document failed its integrity check and cannot be downloaded. Contact "
                                 "support.", status_code=409)
    return Response(
        bytes(found.document.content),
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{found.filename}"',
                 "x-content-sha256": found.document.sha256},
    )
