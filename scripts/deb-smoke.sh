#!/usr/bin/env bash
# Installs a tfprod .deb into a bare Debian 12 root and runs the bundled example
# there: proves the package's dependencies are complete.
#   sudo scripts/deb-smoke.sh ROOT build/tfprod_*.deb
# ROOT: e.g. `debootstrap --variant=minbase bookworm ROOT http://deb.debian.org/debian`.
set -euo pipefail
root=$1
deb=$2
[ -d "$root/etc/apt" ] || { echo "deb-smoke: $root is not a Debian root" >&2; exit 1; }
cp "$deb" "$root/tmp/"
name=$(basename "$deb")
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
trap 'umount "$root/proc" 2>/dev/null || true' EXIT
chroot "$root" /bin/sh -ec "
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends /tmp/$name >/dev/null
  cd /tmp && rm -rf smoke && mkdir smoke && cd smoke
  tfprod --version
  tfprod example out
  tfprod export out -o m.pb
  test -s m.pb
  tfprod classify m.pb out/digit.pgm --gray --top 1
  if ldd /usr/bin/tfprod | grep -Ei 'gdal|gdcm|hdf5|opencv'; then echo 'tfprod loads what it should not'; exit 1; fi
  echo 'deb-smoke: ok'
"
