# syntax=docker/dockerfile:1
# glabella's production image: `glabella serve` on port 8000 as an unprivileged user, the
# runtime dependencies installed from requirements.lock with their hashes checked, the static
# files collected at build. The same image runs `glabella worker`, `glabella migrate` and
# `glabella backup` (see compose.yaml and README's "Production").
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
# Only what runs goes into the image's environment: the lockfile's runtime entries, hashes and
# all (scripts/runtime_requirements.py), then glabella's own wheel, built by the lockfile's
# setuptools in a throwaway environment.
COPY pyproject.toml requirements.lock ./
COPY scripts/runtime_requirements.py scripts/
RUN python scripts/runtime_requirements.py requirements.lock > runtime.txt \
    && python scripts/runtime_requirements.py --build requirements.lock > build.txt \
    && python -m venv /opt/glabella \
    && /opt/glabella/bin/pip install --no-cache-dir --require-hashes --no-deps -r runtime.txt \
    && python -m venv /opt/build \
    && /opt/build/bin/pip install --no-cache-dir --require-hashes --no-deps -r build.txt
COPY README.md ./
COPY glabella glabella
RUN /opt/build/bin/pip wheel --no-cache-dir --no-deps --no-build-isolation --wheel-dir /wheels . \
    && /opt/glabella/bin/pip install --no-cache-dir --no-deps /wheels/glabella-*.whl

FROM ${PYTHON_IMAGE}
# pg_dump and pg_restore for `glabella backup` and `glabella restore` on PostgreSQL (Debian's,
# major version 15: back up a newer server with its own client tools). Debian's security
# updates replace exact versions, so they are not pinned here.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 glabella \
    && useradd --system --uid 10001 --gid glabella --home-dir /var/lib/glabella \
        --shell /usr/sbin/nologin glabella \
    && install -d -o glabella -g glabella -m 0750 /var/lib/glabella /backups
COPY --from=build /opt/glabella /opt/glabella
ENV PATH=/opt/glabella/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=glabella.settings \
    DEBUG=false \
    GLABELLA_DATA_DIR=/var/lib/glabella \
    STATIC_ROOT=/opt/glabella/static \
    GLABELLA_BIND=0.0.0.0:8000
# Collected once, owned by root and read-only to the app; whitenoise serves them. The key only
# lets the settings load at build time: every container is given its own SECRET_KEY.
RUN SECRET_KEY=build-time-only-collectstatic-never-serves-a-request \
    glabella collectstatic --noinput --verbosity 0
USER 10001:10001
WORKDIR /var/lib/glabella
EXPOSE 8000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-m", "glabella.probe", "/healthz"]
CMD ["glabella", "serve"]
