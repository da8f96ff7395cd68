# The deployment README describes ("Deploying at scale"): the database is built once, here, at
# image build time (fixtures validated; a bad fixture fails the build), and the image serves that
# one immutable file with N workers. Replicas of the image share nothing and answer identically.
# uvicorn runs on its C stack (httptools parser, uvloop event loop) with the access log off.
FROM python:3.11-slim

RUN useradd --create-home --uid 10001 app
WORKDIR /app
COPY --chown=app:app . /app
# The figures' permalinks are written into the built file: build the image for the URL it is reached at.
ARG TALL_PUBLIC_URL=http://127.0.0.1:8000
RUN python3 -m venv /app/.venv && /app/.venv/bin/pip install --no-cache-dir -e . \
    && TALL_PUBLIC_URL="$TALL_PUBLIC_URL" /app/.venv/bin/tall-evidence build --out /app/data \
    && ln -s "$(ls /app/data/tall-evidence-*.sqlite3)" /app/data/current.sqlite3 \
    && chmod -R a-w /app/data

USER app
# WEB_CONCURRENCY: worker processes in this container (about one per core it is given).
ENV TALL_HOST=0.0.0.0 TALL_PORT=8000 WEB_CONCURRENCY=2 TALL_PUBLIC_URL=$TALL_PUBLIC_URL
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/app/.venv/bin/python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"]
CMD ["/app/.venv/bin/tall-evidence", "serve", "--database", "/app/data/current.sqlite3"]
