# syntax=docker/dockerfile:1
# dataflowd: build with the full toolchain, run on a slim image as a non-root user.
#   docker build -t dataflowd .
#   docker run -v "$PWD/config:/config:ro" -v dataflowd-data:/data -p 8080:8080 dataflowd
# For the port to answer outside the container, dataflowd.yaml needs `http.listen: 0.0.0.0:8080`
# (and then `http.token`); the health check below uses loopback and works either way. The README's
# container section has a complete run, and deploy/compose.yaml replicas on PostgreSQL.
# test/container/ lints this file and runs its ENTRYPOINT and CMD on the machine.

# The current Node LTS; the project itself supports Node 20.18 and later (package.json engines).
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 is native: prebuild-install fetches a matching binary when it can, otherwise
# node-gyp compiles it, which needs python3, make and g++. Debian packages are not pinned: the
# NODE_IMAGE tag pins the Debian release, whose security updates a pinned version would refuse.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# node-gyp takes the headers of the image's own node instead of downloading them.
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here; the one dependency that
# needs its install script (the native module) is rebuilt explicitly.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3
# The sources; .dockerignore keeps tests, local state and node_modules out.
COPY . .
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
# tini is PID 1: it forwards SIGTERM/SIGINT to node (dataflowd drains on the first, aborts on
# the second) and reaps zombies. Not pinned, for the reason given in the build stage.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 dataflowd \
 && useradd --system --uid 10001 --gid dataflowd --home-dir /app --no-create-home --shell /usr/sbin/nologin dataflowd \
 && mkdir -p /data /config \
 && chown dataflowd:dataflowd /data
WORKDIR /app
# The config is read from /config, which may be mounted read-only; everything dataflowd writes
# without being told where (the state database, the embedded Platform's batches) goes to /data.
ENV NODE_ENV=production \
    DATAFLOWD_CONFIG=/config \
    DATAFLOWD_DATA=/data
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
# Adobe's API descriptions: the emulator checks every request against them.
COPY --from=build --chown=root:root /app/spec ./spec
USER dataflowd
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/src/main.js"]
CMD ["start", "--config", "/config"]
