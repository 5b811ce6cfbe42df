# Portico's container image. Build: `docker build -t portico .`; run: see docs/deployment.md.
#
# The base image is a build argument (a mirror, a pinned digest, or a stand-in built from Debian
# packages where no registry is reachable); it must provide node and npm, and apt for the build
# stage.
ARG NODE_IMAGE=node:20-slim

# ---- build: the whole toolchain, none of which reaches the final image ----------------------------
FROM ${NODE_IMAGE} AS build
# No prebuilt better-sqlite3 binary may be downloadable for this platform: then npm compiles it,
# which takes Python, make and a C++ compiler.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /build
# Dependencies first, so a change to the sources reuses this layer.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The image holds exactly what `npm pack` ships (prepack runs the release build), with production
# dependencies only (their native modules already compiled above).
RUN npm pack --pack-destination /tmp \
 && mkdir /app \
 && tar -xzf /tmp/portico-*.tgz -C /app --strip-components=1 \
 && npm prune --omit=dev --no-audit --no-fund \
 && cp -a node_modules /app/node_modules

# ---- the image -------------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
# A user of its own, never root; /data belongs to it (a named volume starts as a copy of it).
RUN groupadd --gid 10001 portico \
 && useradd --uid 10001 --gid portico --home-dir /data --no-create-home --shell /usr/sbin/nologin portico \
 && mkdir /data \
 && chown portico:portico /data \
 && ln -s /app/bin/portico.js /usr/local/bin/portico
# Root owns the code: the process can change nothing but /data, so the root filesystem can be
# mounted read-only.
COPY --from=build /app /app
WORKDIR /app
ENV PORTICO_HOST=0.0.0.0 \
    PORTICO_PORT=4000 \
    PORTICO_DATA_DIR=/data
USER portico
VOLUME ["/data"]
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["node", "/app/bin/healthcheck.js"]
# Node runs as PID 1 (no npm in between, which would not pass SIGTERM on): Portico handles SIGTERM
# itself, drains and exits within PORTICO_SHUTDOWN_TIMEOUT_MS.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/bin/portico.js"]
CMD ["serve"]
