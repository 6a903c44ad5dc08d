"""GET /analytics-exports/{report}.csv?q=&expires=&user=&signature= : an analytics report's `csvUrl`.

As for documents (graph/documents/download.py): signed links only, minted through the API for one
analyst, valid 5 minutes, re-checked at use (the user is still an active ANALYST). The figures are
computed again at download with the link's filter. Every failure is the same 404.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from resolvers.analytics import export as rules


async def download_analytics_csv(request: Request) -> Response:
    params = request.query_params
    found = await rules.export_for_signed_link(
        request.app.state.services, request.path_params.get("report", ""), params.get("q", ""),
        params.get("expires", ""), params.get("user", ""), params.get("signature", ""),
    )
    if found is None:
        return PlainTextResponse("Not found.", status_code=404)
    return Response(found.content, media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{found.filename}"'})
