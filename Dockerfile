# Hop: one image for every process (`hop edge`, `hop admin`, `hop worker`, `hop migrate`).
# Build: docker build -t hop:latest .   Run: see docker-compose.yml.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim

# --- dashboard: the web dashboard's static build (its API types are committed: no Python needed here)
FROM ${NODE_IMAGE} AS dashboard
ENV npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
WORKDIR /dashboard
# Packages first, so that a source change reuses the cached install layer.
COPY dashboard/package.json dashboard/package-lock.json ./
RUN npm ci
COPY dashboard ./
RUN npm run build

# --- build: a virtualenv with Hop and its dependencies (all of them ship wheels: no compiler needed)
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/hop
WORKDIR /src
# Dependencies first, so that a code change reuses the cached dependency layer.
COPY pyproject.toml README.md ./
RUN mkdir common edge admin worker hop \
    && touch common/__init__.py edge/__init__.py admin/__init__.py worker/__init__.py hop/__init__.py \
    && /opt/hop/bin/pip install --no-cache-dir . \
    && /opt/hop/bin/pip uninstall --yes hop
COPY common ./common
COPY edge ./edge
COPY admin ./admin
COPY worker ./worker
COPY hop ./hop
RUN /opt/hop/bin/pip install --no-cache-dir --no-deps . \
    && /opt/hop/bin/python -m compileall -q /opt/hop/lib

# --- runtime: the virtualenv on a clean slim base, run as an unprivileged user
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/hop/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOP_ENVIRONMENT=production \
    HOP_EDGE_HOST=0.0.0.0 \
    HOP_ADMIN_HOST=0.0.0.0 \
    HOP_METRICS_HOST=0.0.0.0
RUN groupadd --system --gid 10001 hop \
    && useradd --system --uid 10001 --gid hop --home-dir /home/hop --create-home --shell /usr/sbin/nologin hop
COPY --from=build /opt/hop /opt/hop
# Served by `hop admin` at / (HOP_ADMIN_DASHBOARD_DIR); the other processes ignore it.
COPY --from=dashboard /dashboard/dist /opt/hop/dashboard
ENV HOP_ADMIN_DASHBOARD_DIR=/opt/hop/dashboard
USER 10001:10001
WORKDIR /home/hop
# edge, admin; metrics of edge, admin, worker (keep the metrics ports private)
EXPOSE 8000 8001 9180 9181 9182
ENTRYPOINT ["hop"]
CMD ["edge"]
