#!/usr/bin/env bash
# Builds the consumer with nothing but pkg-config against an installed prefix, and runs it.
set -euo pipefail
prefix=$1 source=$2 out=$3
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
mkdir -p "$out"
# shellcheck disable=SC2046  # pkg-config output is meant to be split into words
c++ -o "$out/consumer" "$source" $(pkg-config --cflags --libs socketchat) \
  -DEXPECTED_VERSION="\"$(pkg-config --modversion socketchat)\""
"$out/consumer"
