#!/bin/sh
# ldd_check.sh "TOOLS..." "OTHERS...": fails when any binary's ldd lists GDAL,
# GDCM or HDF5, or when a tool (first list) lists any OpenCV library.
status=0
for f in $1 $2; do
  deps=$(ldd "$f") || { echo "ldd failed on $f"; status=1; continue; }
  bad=$(printf '%s\n' "$deps" | grep -Ei 'libgdal|libgdcm|libhdf5')
  if [ -n "$bad" ]; then echo "$f loads:"; echo "$bad"; status=1; fi
  echo "$f: $(printf '%s\n' "$deps" | wc -l) libraries"
done
for f in $1; do
  cv=$(ldd "$f" | grep -i 'libopencv')
  if [ -n "$cv" ]; then echo "$f loads OpenCV at start-up:"; echo "$cv"; status=1; fi
done
exit $status
