#!/usr/bin/env bash
# Usage: .ci/node-binary.sh <major>   (prints the bin directory holding that Node's `node`)
#
# The newest official Node.js release of a major line, from the npm registry: the package
# node-linux-<arch> is the release's own binary (bin/node, no install scripts), so CI needs no other
# download site. `npm pack` fetches it and checks it against the registry's integrity hash. Kept in a
# cache directory (KAPI_CI_CACHE, default ~/.cache/kapi-env-ci), one directory per version; a newer
# release of the line replaces the older. Without the registry, the newest cached one is used.
set -euo pipefail

major=${1:?usage: .ci/node-binary.sh <major>}
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "node-binary: no node-linux package for $(uname -m)" >&2; exit 1 ;;
esac
pkg="node-linux-$arch"
cache="${KAPI_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kapi-env-ci}"
mkdir -p "$cache"

# The newest version of the line the registry has (npm view lists every match; sort -V picks the newest).
version=$(npm view "$pkg@$major" version --json 2>/dev/null | tr -d '[]", ' | grep -E "^$major\." | sort -V | tail -n 1 || true)
if [ -z "$version" ]; then
  version=$(find "$cache" -maxdepth 1 -name "$pkg-$major.*" -printf '%f\n' 2>/dev/null | sed "s/^$pkg-//" | sort -V | tail -n 1 || true)
  [ -n "$version" ] || { echo "node-binary: $pkg@$major: registry unreachable and nothing cached" >&2; exit 1; }
  echo "node-binary: registry unreachable; using cached $pkg@$version" >&2
fi

dir="$cache/$pkg-$version"
if [ ! -x "$dir/bin/node" ]; then
  tmp=$(mktemp -d "$cache/.download-XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null)
  mkdir "$tmp/package"
  tar -xzf "$tmp"/*.tgz -C "$tmp/package" --strip-components=1
  "$tmp/package/bin/node" -e 0
  rm -rf "$dir"
  mv "$tmp/package" "$dir"
  # Older releases of the same line are no longer needed.
  find "$cache" -maxdepth 1 -name "$pkg-$major.*" ! -name "$pkg-$version" -exec rm -rf {} +
fi
echo "$dir/bin"
