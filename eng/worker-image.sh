#!/usr/bin/env bash
# eng/worker-image.sh: builds the worker's image, worker:latest, into the engine DOCKER_HOST names, as a user would:
# `dotnet publish Worker -t:PublishContainer`. The SDK takes its base image only from a registry, and none is reachable
# here, so the base is made from Debian's packages (eng/images/build.sh aspnet) and served, for this build only, by a
# registry on loopback from Debian's docker-registry package. Prints the image's size.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "worker-image: $*" >&2; }

base=$(bash eng/images/build.sh aspnet)
command -v docker-registry >/dev/null 2>&1 || bash eng/install-packages.sh --no-start worker-image docker-registry

port=
for candidate in $(seq 5100 5199); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
    port=$candidate
    break
  fi
done
[ -n "$port" ] || { say "no free port in 5100-5199 for the registry"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/worker-registry.XXXXXX")
registry=127.0.0.1:$port
served=$registry/${base#localhost/}
cleanup() {
  [ -z "${registry_pid:-}" ] || kill "$registry_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  docker rmi "$served" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/config.yml" <<EOF
version: 0.1
log: { level: warn }
storage: { filesystem: { rootdirectory: $work/storage } }
http: { addr: $registry }
EOF
docker-registry serve "$work/config.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 1 30); do
  curl -sf "http://$registry/v2/" >/dev/null && break
  sleep 0.5
done
curl -sf "http://$registry/v2/" >/dev/null || { say "the registry did not answer:"; cat "$work/registry.log" >&2; exit 1; }

docker tag "$base" "$served"
docker push -q "$served" >/dev/null
# The SDK speaks TLS to a registry unless told otherwise; this one is plain http on loopback.
DOTNET_CONTAINER_INSECURE_REGISTRIES=$registry dotnet publish Worker -t:PublishContainer -p:ContainerBaseImage="$served" \
  -v q -nologo >"$work/publish.log" 2>&1 || { tail -n 30 "$work/publish.log" >&2; exit 1; }
say "built worker:latest on $base, $(docker image inspect --format '{{.Size}}' worker:latest | awk '{ printf "%d MB", $1 / 1000000 }')"
