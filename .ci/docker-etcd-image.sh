#!/usr/bin/env bash
# Prepares Docker for the container storage tests on a machine with no registry access:
# installs Debian's docker.io when missing (root only), starts dockerd when no engine
# answers, and builds `kapi-env/etcd:local` FROM scratch holding this machine's etcd
# binary and the shared libraries ldd lists for it.
set -euo pipefail

if ! command -v docker >/dev/null 2>&1 || ! command -v dockerd >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { echo "docker-etcd-image: dockerd missing and not root"; exit 1; }
  apt-get install -y -qq docker.io >/dev/null
fi
if ! docker info >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { echo "docker-etcd-image: no Docker engine and not root"; exit 1; }
  nohup dockerd >/tmp/dockerd.log 2>&1 &
  for _ in $(seq 1 100); do docker info >/dev/null 2>&1 && break; sleep 0.2; done
  docker info >/dev/null 2>&1 || { echo "docker-etcd-image: dockerd did not start (see /tmp/dockerd.log)"; exit 1; }
fi
if docker image inspect kapi-env/etcd:local >/dev/null 2>&1; then exit 0; fi

etcd_bin=${KAPI_ETCD_BIN:-$(command -v etcd)}
ctx=$(mktemp -d /tmp/kapi-env-etcd-image-XXXXXX)
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/usr/local/bin" "$ctx/tmp"
cp "$etcd_bin" "$ctx/usr/local/bin/etcd"
for lib in $(ldd "$etcd_bin" | grep -o '/[^ ]*' || true); do
  mkdir -p "$ctx$(dirname "$lib")"
  cp -L "$lib" "$ctx$lib"
done
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY . /
ENTRYPOINT ["/usr/local/bin/etcd"]
DOCKERFILE
docker build -q -t kapi-env/etcd:local "$ctx" >/dev/null
echo "docker-etcd-image: built kapi-env/etcd:local"
