#!/usr/bin/env bash
# Installs what tfprod needs to build and test on Debian 12 (bookworm).
# Runs as root, or through sudo when available.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config
  protobuf-compiler libprotobuf-dev
  libleveldb-dev libsnappy-dev
  libfmt-dev libcli11-dev nlohmann-json3-dev libeigen3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libopencv-dev libjpeg-dev libpng-dev
  libonnx-dev
  dpkg-dev file
  graphviz
  chromium fonts-dejavu-core
  clang-14 libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node and npm for the ONNX Runtime check (tests/js): Debian's, unless a node
# with npm is already there (NodeSource's nodejs bundles npm and conflicts with Debian's npm).
if ! command -v npm >/dev/null; then
  for p in nodejs npm; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi

# tests/js: onnxruntime-node pinned by package-lock.json (its CPU library ships in the package).
js_deps() {
  local js
  js="$(cd "$(dirname "$0")/.." && pwd)/tests/js"
  if [ ! -d "$js/node_modules/onnxruntime-node" ]; then
    # Node trusts its own CA list; add the system's (a proxy's CA installed
    # there, as on CI machines behind one, is then trusted too).
    local extra=()
    [ -r /etc/ssl/certs/ca-certificates.crt ] && extra=(env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt)
    if ! (cd "$js" && "${extra[@]}" npm ci --ignore-scripts --no-audit --no-fund >/dev/null); then
      echo "install-deps: npm ci in $js failed (the tests run ONNX Runtime from there)" >&2
      exit 1
    fi
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  js_deps
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then as_root=(sudo); else
    echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
echo "install-deps: installing ${missing[*]}"
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
js_deps
