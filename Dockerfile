# Same steps as the README's run command: pip install -e . then tall-evidence serve, which runs
# uvicorn on its C stack (httptools parser, uvloop event loop) with the access log off (TALL_ACCESS_LOG).
FROM python:3.11-slim

RUN useradd --create-home --uid 10001 app
WORKDIR /app
COPY --chown=app:app . /app
RUN python3 -m venv /app/.venv && /app/.venv/bin/pip install --no-cache-dir -e .

USER app
ENV TALL_HOST=0.0.0.0 TALL_PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/app/.venv/bin/python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"]
CMD ["/app/.venv/bin/tall-evidence", "serve"]
