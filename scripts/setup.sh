#!/usr/bin/env bash
# Idempotent set-up for a fresh machine (Debian 12, Node 20 preinstalled, root): installs the npm
# packages, including the pinned Node.js 24 (package `node`) that every script runs on. Re-running
# it does nothing unless package-lock.json changed.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=node_modules/.membrane-setup
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -x node_modules/.bin/node ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "membrane setup: installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
node_modules/.bin/node -e 'const [maj] = process.versions.node.split("."); if (maj !== "24") { console.error(`membrane setup: expected Node 24, got ${process.version}`); process.exit(1); }'

# The DNS proxy's end-to-end tests run a real upstream resolver: dnsmasq (the -base package ships the
# binary without starting a system service).
if ! command -v dnsmasq >/dev/null; then
  echo "membrane setup: installing dnsmasq-base" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dnsmasq-base >/dev/null
fi

# The proxy benchmarks (npm run bench): nginx is the HTTP proxy's reference (the benchmark starts it
# with its own configuration on a free port) and wrk its load generator. Where the package may start
# its system service (invoke-rc.d allowed), stop and disable it: nothing of it may keep running.
command -v nginx >/dev/null || {
  echo "membrane setup: installing nginx-light" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
  if [ -d /run/systemd/system ]; then systemctl disable --now nginx >/dev/null 2>&1 || true; fi
  if [ -s /run/nginx.pid ]; then nginx -s quit 2>/dev/null || true; fi
}
command -v wrk >/dev/null || {
  echo "membrane setup: installing wrk" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
}
