"""``benchwh serve``: a read-only web app over a warehouse (Starlette on uvicorn).

``create_app(db, ...)`` builds the ASGI app; ``serve(...)`` runs it. Pages: overview, model,
compare, compatibility matrix, runs (with live progress), guarded SQL. The warehouse is
opened read-only for each request and closed before the answer goes out, so a writer waits
at most one request, and a migrated or rewritten warehouse is simply reopened.
"""

from benchwh.serve.app import Config, create_app, serve

__all__ = ["Config", "create_app", "serve"]
