"""GET /message-attachments/{id}?expires=&user=&signature= : the file behind a
`MessageAttachment.downloadUrl`.

As for documents (graph/documents/download.py): signed links only, minted through the API for one
user, valid 5 minutes, and re-checked at use against who may see the thread now (the customer's
logins and active support staff). Every failure is the same 404. The file goes out with the type
stored when its content was checked, as an attachment (never rendered inline); `nosniff` and
`Cache-Control: no-store` come from the app's middleware, as on every response.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from resolvers.messages import attachments as rules


async def download_attachment(request: Request) -> Response:
    params = request.query_params
    found = await rules.attachment_for_signed_link(
        request.app.state.services, request.path_params.get("attachment_id", ""), params.get("expires", ""),
        params.get("user", ""), params.get("signature", ""),
    )
    if found is None:
        return PlainTextResponse("Not found.", status_code=404)
    return Response(found.content, media_type=found.content_type,
                    headers={"content-disposition": f'attachment; filename="{found.filename}"'})
