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
  dpkg-dev file
  graphviz
  chromium fonts-dejavu-core
  clang-14 libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
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
