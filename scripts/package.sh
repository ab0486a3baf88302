#!/usr/bin/env bash
# Builds socketchat's Debian packages on Debian 12: installs what the build needs (apt,
# with sudo when not root), configures a Release build of the shared library and
# socketchatd for the prefix /usr with Debian's hardening flags, builds it, and runs
# cpack. The .deb files end up in OUT_DIR (default build/package); the build tree is
# OUT_DIR/build.
#   scripts/package.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-build/package}")
build="$out/build"

scripts/install-deps.sh --build

# Debian's flags (hardening on: stack protector, fortify, relro, bindnow, PIE), without
# debug information, which the packages would strip anyway.
eval "$(DEB_BUILD_MAINT_OPTIONS=hardening=+all DEB_CXXFLAGS_MAINT_STRIP=-g \
  dpkg-buildflags --export=sh)"
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi

# A unity build, 32 sources per compiler run: the library in 3 runs, the whole build in
# about 100 s on 2 cores instead of 150 s in batches of 8 (the library builds so, as its
# FetchContent consumer shows).
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
  -DBUILD_SHARED_LIBS=ON -DSOCKETCHAT_TESTS=OFF -DSOCKETCHAT_EXAMPLES=OFF \
  -DSOCKETCHAT_BENCH=OFF -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=32 \
  "-DCMAKE_CXX_FLAGS=$CPPFLAGS $CXXFLAGS" -DCMAKE_CXX_FLAGS_RELEASE=-DNDEBUG \
  "-DCMAKE_EXE_LINKER_FLAGS=$LDFLAGS" "-DCMAKE_SHARED_LINKER_FLAGS=$LDFLAGS" \
  "${launcher[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)"
(cd "$build" && cpack -G DEB -B "$out")
rm -rf "$out/_CPack_Packages"  # cpack's staging
ls "$out"/*.deb
