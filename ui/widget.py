"""The embeddable widget: ``/widget.js`` (the script a site pastes) and ``/widget`` (the compact
chat page it opens in an iframe), framed only by the origins in NEWSBOT_CORS_ORIGINS."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

STATIC = Path(__file__).parent / "static"
_ASSETS = {"widget-app.js": "text/javascript; charset=utf-8", "widget.css": "text/css; charset=utf-8"}


def widget_csp(allowed_origins: list[str]) -> str:
    """The widget page runs only its own script and talks only to this server."""
    ancestors = " ".join(["'self'", *allowed_origins])
    return ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
            f"base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}")


def build_widget_router(allowed_origins: list[str]) -> APIRouter:
    router = APIRouter(tags=["widget"])
    csp = widget_csp(allowed_origins)
    page_headers = {"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "strict-origin-when-cross-origin", "Cache-Control": "no-cache"}

    @router.get("/widget", include_in_schema=False)
    def widget_page() -> Response:
        return FileResponse(STATIC / "widget.html", media_type="text/html; charset=utf-8", headers=page_headers)

    @router.get("/widget/origin", include_in_schema=False)
    def widget_origin(request: Request) -> Response:
        """Whether the page asking (its Origin) may frame the widget, so that the loader explains a
        refusal instead of showing the browser's broken frame. Says nothing of the other origins."""
        origin = request.headers.get("origin", "")
        allowed = bool(origin) and (origin.rstrip("/") in allowed_origins
                                    or urlparse(origin).netloc == request.headers.get("host", ""))
        return JSONResponse({"origin": origin, "allowed": allowed},
                            headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store",
                                     "Vary": "Origin", "X-Content-Type-Options": "nosniff"})

    @router.get("/widget/{asset}", include_in_schema=False)
    def widget_asset(asset: str) -> Response:
        if asset not in _ASSETS:
            return Response("not found", status_code=404, media_type="text/plain")
        return FileResponse(STATIC / asset, media_type=_ASSETS[asset],
                            headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"})

    @router.get("/widget.js", include_in_schema=False)
    def widget_loader() -> Response:
        return FileResponse(STATIC / "widget.js", media_type="text/javascript; charset=utf-8",
                            headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache",
                                     "Cross-Origin-Resource-Policy": "cross-origin"})

    return router
