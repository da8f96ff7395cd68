"""HTTP layers around the routes: response cache, security headers, CORS, input limits, ETags.

install() is the one place that states their order.
"""

from fastapi import FastAPI

from api.middleware.cors import install_cors
from api.middleware.etags import HttpCacheMiddleware
from api.middleware.limits import QueryStringLimit
from api.middleware.releases import ReleasePin
from api.middleware.request_policy import RequestTargetPolicy
from api.middleware.response_cache import ResponseCacheMiddleware, install_response_cache
from api.middleware.security import install_security
from api.middleware.startup import StartupRefusals
from api.settings import Settings


def install(app: FastAPI, settings: Settings) -> ResponseCacheMiddleware | None:
    """Install every layer; returns the response cache (None when disabled).

    From the outside in:
      1. response cache: replays finished responses, so it wraps everything, even Starlette's
         error handler (it wraps the built stack rather than being added as middleware);
      2. security headers and the read-only method refusal: also outside the error handler,
         so its 500 answers carry the headers;
      (Starlette's ServerErrorMiddleware)
      3. the request-target policy (encoded slashes, repeated or empty Host: 400);
      4. CORS, so 304s and 414s carry its headers;
      5. the query-string limit;
      6. the release a ?version= pins (404 for one not served);
      7. conditional GETs (ETags, Cache-Control);
      8. start-up refusals in one line (lifespan only);
      then FastAPI's exception handlers and the routes.
    """
    # add_middleware puts each layer outside those added before it: innermost first.
    app.add_middleware(StartupRefusals)
    app.add_middleware(
        HttpCacheMiddleware,
        max_age=settings.cache_max_age,
        s_maxage=settings.cache_s_maxage,
        stale_while_revalidate=settings.cache_stale_while_revalidate,
        shaping=(settings.data_licence, settings.fhir_canonical_base),
    )
    app.add_middleware(ReleasePin)
    app.add_middleware(QueryStringLimit)
    install_cors(app, settings)
    app.add_middleware(RequestTargetPolicy)
    # These two wrap the built stack; the one wrapped last is outermost.
    install_security(app, settings)
    return install_response_cache(app, settings)
