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

# The TLS SNI proxy's tests and the lab's TLS servers use a self-signed certificate made by openssl.
command -v openssl >/dev/null || {
  echo "membrane setup: installing openssl" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null
}

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

# The eBPF datapath (packages/datapath): clang builds BPF objects, libbpf-dev and gcc build the
# native addon (plain C on N-API, against the headers the pinned Node package ships), bpftool is
# for inspection; ping, nsenter and tc drive the lab (membrane test --live). The BPF tests pin maps on
# bpffs, which this image does not mount at boot.
missing=()
for cmd in clang:clang llc:llvm bpftool:bpftool gcc:build-essential ping:iputils-ping nsenter:util-linux tc:iproute2; do command -v "${cmd%%:*}" >/dev/null || missing+=("${cmd##*:}"); done
[ -f /usr/include/bpf/libbpf.h ] || missing+=(libbpf-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "membrane setup: installing ${missing[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf ||
  echo "membrane setup: warning: cannot mount bpffs on /sys/fs/bpf; the datapath tests need root" >&2
addon=packages/datapath/build/membrane_bpf.node
source=packages/datapath/native/membrane_bpf.c
if [ ! -f "$addon" ] || [ "$source" -nt "$addon" ]; then
  echo "membrane setup: building the BPF addon" >&2
  mkdir -p "$(dirname "$addon")"
  headers=$(ls -d node_modules/node/node_modules/node-*/include/node | head -n 1)
  gcc -O2 -Wall -Wextra -Werror -shared -fPIC -I"$headers" "$source" -lbpf -o "$addon"
fi
