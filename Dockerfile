# syntax=docker/dockerfile:1
# One image for both processes: docker-compose.yml runs it as the worker
# (node dist/worker/main.js) and as the API (node dist/api/main.js, the default).

FROM node:20-bookworm-slim AS build
WORKDIR /app
# --ignore-scripts skips the postinstall hook, which downloads the Temporal
# dev-server binaries that only local development and tests use.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY config ./config
# The node user (uid 1000) comes with the official image. The files above
# stay owned by root, so the app can read but not modify its code and config.
USER node
EXPOSE 3000
CMD ["node", "dist/api/main.js"]
