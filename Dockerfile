# syntax=docker/dockerfile:1
#
# findata: one image, two roles (docs/OPERATIONS.md).
#   FINDATA_ROLE=api     HTTP API + web app on $PORT, app metrics at GET /metrics
#   FINDATA_ROLE=worker  Temporal worker; app metrics on $WORKER_METRICS_PORT,
#                        Temporal SDK metrics on $TEMPORAL_METRICS_PORT
#
# Stages: deps (npm ci, all dependencies) -> build (vite build of web/dist)
#         -> prod-deps (dev dependencies pruned; tsx is a runtime dependency)
#         -> runtime (node:20-bookworm-slim, non-root, no build tools, no secrets).
# Secrets are never build args or ENV here: compose passes them at run time.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------- deps ---
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci

# --------------------------------------------------------------- build ---
FROM deps AS build
COPY . .
RUN npm run build:web

# ----------------------------------------------------------- prod-deps ---
FROM deps AS prod-deps
# Drop dev dependencies (tsx stays: it is a runtime dependency), then the
# Temporal core-bridge binaries of other operating systems and its Rust
# sources (~90 MB). The Linux x64/arm64 binaries stay.
RUN npm prune --omit=dev \
 && rm -rf node_modules/@temporalio/core-bridge/releases/*-apple-darwin \
           node_modules/@temporalio/core-bridge/releases/*-windows-msvc \
           node_modules/@temporalio/core-bridge/sdk-core \
 && test -x node_modules/.bin/tsx \
 && ls node_modules/@temporalio/core-bridge/releases/ | grep -q linux

# ------------------------------------------------------------- runtime ---
FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="findata" \
      org.opencontainers.image.description="findata API/web (FINDATA_ROLE=api) and Temporal worker (FINDATA_ROLE=worker)"

ENV NODE_ENV=production \
    FINDATA_ROLE=api \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data \
    WORKER_METRICS_PORT=9465 \
    TEMPORAL_METRICS_PORT=9464 \
    DEMO_TENANTS=false

WORKDIR /app
# Code and dependencies belong to root and are read-only for the app user;
# only DATA_DIR is writable.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY domain ./domain
COPY lib ./lib
COPY workflows ./workflows
COPY activities ./activities
COPY api ./api
COPY server ./server
COPY scripts ./scripts
COPY --from=build /app/web/dist ./web/dist
COPY deploy/docker/healthcheck.mjs ./deploy/docker/healthcheck.mjs
RUN mkdir -p /data && chown node:node /data

# the base image's unprivileged user (uid 1000)
USER node

# 8000: API + web + /metrics (api role); 9465: app metrics + /healthz (worker role);
# 9464: Temporal SDK Prometheus exporter (worker role)
EXPOSE 8000 9464 9465

# Role-aware: GET /api/health (api) or GET /healthz on WORKER_METRICS_PORT (worker).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=4 \
  CMD ["node", "deploy/docker/healthcheck.mjs"]

CMD ["node_modules/.bin/tsx", "server/main.ts"]
