# Huddle in a container. Production runs on PostgreSQL: set HUDDLE_DATABASE_URL.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HUDDLE_CONTENT_DIR=/app/content

# WeasyPrint (the report's PDF) needs Pango, HarfBuzz's subsetter and a font.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY scheduler ./scheduler
COPY migrations ./migrations
COPY content ./content
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 10001 huddle \
    && mkdir -p /data && chown huddle /data

USER huddle
WORKDIR /data
EXPOSE 3978
HEALTHCHECK --interval=30s --timeout=5s \
  CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:3978/healthz', timeout=4)" || exit 1
ENTRYPOINT ["huddle"]
# Serve Slack (and Teams) on port 3978. Run `huddle db upgrade` once before the replicas.
CMD ["run"]
