# Huddle in a container, in two stages: the first builds Huddle and its dependencies into
# a virtual environment (/opt/huddle); the second is a slim Python with only that, the
# system libraries the report's PDF needs, and the sample content, run as a non-root user.
#
#   docker build -t huddle .
#   docker run --rm -e HUDDLE_DATABASE_URL=postgresql+psycopg://... huddle db upgrade
#   docker run -p 3978:3978 -e HUDDLE_DATABASE_URL=... -e HUDDLE_SLACK_BOT_TOKEN=... huddle
#
# Your initiative's content: mount it over /content (read-only is fine), or point
# HUDDLE_CONTENT_DIR elsewhere. docs/deploy.md has the rest; compose.yaml runs PostgreSQL
# and two replicas behind a proxy. tests/test_deploy.py runs the install steps below
# (the lines between "install:" markers) in a clean virtual environment and checks that
# the Huddle they give starts and answers /readyz.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY scheduler ./scheduler
COPY migrations ./migrations
# install: begin
RUN python -m venv /opt/huddle \
    && /opt/huddle/bin/pip install --upgrade pip \
    && /opt/huddle/bin/pip install .
# install: end

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/huddle/bin:$PATH \
    HUDDLE_CONTENT_DIR=/content \
    HUDDLE_LOG_FORMAT=json
# WeasyPrint (the report's PDF) needs Pango, HarfBuzz's subsetter and a font.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 huddle \
    && mkdir -p /data && chown huddle /data
COPY --from=build /opt/huddle /opt/huddle
COPY content /content
USER huddle
# The working folder: the SQLite file of a trial lives here; production uses PostgreSQL.
WORKDIR /data
VOLUME ["/data"]
EXPOSE 3978
# Alive (the process answers); readiness for a load balancer is GET /readyz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3978/healthz', timeout=4)" || exit 1
ENTRYPOINT ["huddle"]
# Serve Slack, Teams, xAPI and the dashboard on port 3978. Run `huddle db upgrade` once,
# before the replicas start.
CMD ["run"]
