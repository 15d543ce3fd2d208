#!/usr/bin/env bash
# eng/images/build.sh: builds, into the engine that DOCKER_HOST names, the images the tests run without a registry.
# - Stand-ins for the three official images the AppHost asks for (their names come from aspire-manifest.json), made
#   from a minimal Debian root and the distribution's server package, under the registry name `localhost`:
#   docker.io/library/redis:8.6 becomes localhost/library/redis:8.6. The AppHost reaches them through its
#   BackingServices:ContainerRegistry setting. They follow the official images' contract as far as Aspire and Compose
#   use it (see the entrypoints here), but run Debian's server versions, which the README names.
# - localhost/dotnet/aspnet:MAJOR.MINOR, the worker's base image: Debian plus the SDK's own ASP.NET runtime and the
#   non-root user `app` (uid 1654), as .NET's official base images have it.
# An image is built again only when its recipe (this script, its entrypoint, the runtime version) changed.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=eng/images
registry=localhost
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)

say() { echo "images: $*" >&2; }

docker info >/dev/null 2>&1 || { say "no container engine answers (DOCKER_HOST=${DOCKER_HOST:-unset}); run eng/test-engine.sh start"; exit 1; }
command -v debootstrap >/dev/null 2>&1 || bash eng/install-packages.sh images debootstrap

# The Debian release and mirrors of this machine, so that the images hold the same package versions as its servers.
suite=bookworm
mirror=http://deb.debian.org/debian
security=http://deb.debian.org/debian-security
if [ -r /etc/os-release ] && . /etc/os-release && [ "${ID:-}" = debian ] && [ -n "${VERSION_CODENAME:-}" ]; then
  suite=$VERSION_CODENAME
  sources=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  mirror=$(grep -oE 'https?://[^ ]+/debian/?( |$)' <<<"$sources" | head -n 1 | tr -d ' ' | sed 's:/$::') || true
  security=$(grep -oE 'https?://[^ ]+/debian-security/?( |$)' <<<"$sources" | head -n 1 | tr -d ' ' | sed 's:/$::') || true
  mirror=${mirror:-http://deb.debian.org/debian}
  security=${security:-http://deb.debian.org/debian-security}
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/worker-images.XXXXXX")
cleanup() {
  local dir
  for dir in "$work"/*/proc; do
    mountpoint -q "$dir" 2>/dev/null && { "${sudo[@]}" umount "$dir" || "${sudo[@]}" umount -l "$dir"; }
  done
  # Never remove a tree that still holds a mounted /proc.
  if grep -q " $work/" /proc/mounts; then
    say "left $work in place: a mount inside it did not come off"
  else
    "${sudo[@]}" rm -rf "$work"
  fi
}
trap cleanup EXIT

recipe_of() { cat "$0" "$@" | sha256sum | cut -c1-16; }

current() { # image recipe: whether the engine holds the image built from this recipe
  [ "$(docker image inspect --format '{{index .Config.Labels "worker.recipe"}}' "$1" 2>/dev/null)" = "$2" ]
}

# A minimal root with the given Debian packages; the first call makes the shared base with debootstrap (about a minute).
root_with() {
  local dir=$1
  shift
  if [ ! -d "$work/base" ]; then
    say "debootstrap $suite from $mirror"
    "${sudo[@]}" debootstrap --variant=minbase "$suite" "$work/base" "$mirror" >"$work/debootstrap.log" 2>&1 \
      || { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
    printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n' \
      "$mirror" "$suite" "$mirror" "$suite" "$security" "$suite" | "${sudo[@]}" tee "$work/base/etc/apt/sources.list" >/dev/null
    # Nothing a package installs may start here.
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$work/base/usr/sbin/policy-rc.d" >/dev/null
    "${sudo[@]}" chmod 0755 "$work/base/usr/sbin/policy-rc.d"
    "${sudo[@]}" chroot "$work/base" apt-get update -qq
  fi
  "${sudo[@]}" cp -a "$work/base" "$dir"
  "${sudo[@]}" mount -t proc proc "$dir/proc"
  "${sudo[@]}" chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >"$dir.log" 2>&1 \
    || { tail -n 20 "$dir.log" >&2; exit 1; }
  "${sudo[@]}" chroot "$dir" apt-get clean
  "${sudo[@]}" umount "$dir/proc"
  "${sudo[@]}" rm -rf "$dir"/var/lib/apt/lists/* "$dir/usr/sbin/policy-rc.d"
}

import() { # dir image recipe Dockerfile-instructions...
  local dir=$1 image=$2 recipe=$3
  shift 3
  # docker import takes only some instructions (no STOPSIGNAL): the rest go into a build that adds no layer.
  "${sudo[@]}" tar -C "$dir" --numeric-owner -c . | docker import - "$image-root" >/dev/null
  printf '%s\n' "FROM $image-root" "LABEL worker.recipe=$recipe" "$@" | DOCKER_BUILDKIT=0 docker build -q -t "$image" - >/dev/null 2>"$work/build.log" \
    || { cat "$work/build.log" >&2; exit 1; }
  docker rmi "$image-root" >/dev/null
  say "built $image ($(docker image inspect --format '{{.Size}}' "$image" | awk '{ printf "%d MB", $1 / 1000000 }'))"
}

stand_in() { # official-name
  local official=$1 name=${1#docker.io/}
  local image=$registry/$name server=${name#library/}
  server=${server%%:*}
  local recipe
  # shellcheck disable=SC2046 # no entrypoint of its own (redis) is no file
  recipe=$(recipe_of $(ls $here/"$server"-entrypoint.sh 2>/dev/null))
  if current "$image" "$recipe"; then
    say "$image is current"
    return
  fi
  local dir=$work/$server
  case $server in
    postgres)
      root_with "$dir" postgresql
      local bin
      bin=$(ls -d "$dir"/usr/lib/postgresql/*/bin | head -n 1)
      bin=${bin#"$dir"}
      # The package made a cluster; the entrypoint makes one in PGDATA on the first start, as the official image does.
      "${sudo[@]}" rm -rf "$dir"/etc/postgresql/* "$dir"/var/lib/postgresql/*
      "${sudo[@]}" install -m 0755 $here/postgres-entrypoint.sh "$dir/usr/local/bin/docker-entrypoint.sh"
      import "$dir" "$image" "$recipe" \
        "ENV PATH=$bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "ENV LANG=C.UTF-8" \
        "ENV PGDATA=/var/lib/postgresql/data" "VOLUME /var/lib/postgresql" "EXPOSE 5432" "STOPSIGNAL SIGINT" \
        'ENTRYPOINT ["docker-entrypoint.sh"]' 'CMD ["postgres"]'
      ;;
    redis)
      root_with "$dir" redis-server
      "${sudo[@]}" mkdir -p "$dir/data"
      import "$dir" "$image" "$recipe" "WORKDIR /data" "VOLUME /data" "EXPOSE 6379" 'CMD ["redis-server"]'
      ;;
    rabbitmq)
      root_with "$dir" rabbitmq-server
      "${sudo[@]}" install -m 0755 $here/rabbitmq-entrypoint.sh "$dir/usr/local/bin/docker-entrypoint.sh"
      # HOME is the broker's data directory, as in the official image, so that rabbitmqctl run by `docker exec`
      # finds the broker's Erlang cookie.
      import "$dir" "$image" "$recipe" \
        "ENV PATH=/usr/lib/rabbitmq/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "ENV LANG=C.UTF-8" \
        "ENV HOME=/var/lib/rabbitmq" "ENV RABBITMQ_LOGS=-" "VOLUME /var/lib/rabbitmq" "EXPOSE 5672" \
        'ENTRYPOINT ["docker-entrypoint.sh"]' 'CMD ["rabbitmq-server"]'
      ;;
    *) say "no stand-in recipe for $official"; exit 1 ;;
  esac
}

aspnet_base() {
  local line dotnet_root version
  line=$(dotnet --list-runtimes | grep '^Microsoft.AspNetCore.App ' | sort -V -k2 | tail -n 1)
  version=$(awk '{ print $2 }' <<<"$line")
  dotnet_root=$(sed 's/.*\[\(.*\)\/shared\/Microsoft.AspNetCore.App\]/\1/' <<<"$line")
  local image=$registry/dotnet/aspnet:${version%.*}
  local recipe
  recipe=$(recipe_of <(echo "$version"))
  if current "$image" "$recipe"; then
    say "$image is current"
    echo "$image"
    return
  fi
  local dir=$work/aspnet fxr
  root_with "$dir" libicu72 ca-certificates tzdata
  fxr=$(ls -d "$dotnet_root"/host/fxr/* | sort -V | tail -n 1)
  "${sudo[@]}" mkdir -p "$dir/usr/share/dotnet/host/fxr" "$dir/usr/share/dotnet/shared"
  "${sudo[@]}" cp -a "$dotnet_root/dotnet" "$dir/usr/share/dotnet/"
  "${sudo[@]}" cp -a "$fxr" "$dir/usr/share/dotnet/host/fxr/"
  for framework in Microsoft.NETCore.App Microsoft.AspNetCore.App; do
    "${sudo[@]}" mkdir -p "$dir/usr/share/dotnet/shared/$framework"
    "${sudo[@]}" cp -a "$dotnet_root/shared/$framework/$version" "$dir/usr/share/dotnet/shared/$framework/"
  done
  "${sudo[@]}" ln -s /usr/share/dotnet/dotnet "$dir/usr/bin/dotnet"
  "${sudo[@]}" chroot "$dir" groupadd --gid 1654 app
  "${sudo[@]}" chroot "$dir" useradd --uid 1654 --gid 1654 --no-create-home --shell /bin/false app
  import "$dir" "$image" "$recipe" "ENV DOTNET_VERSION=$version" "ENV ASPNET_VERSION=$version" \
    "ENV APP_UID=1654" "ENV ASPNETCORE_HTTP_PORTS=8080" "ENV DOTNET_RUNNING_IN_CONTAINER=true" "WORKDIR /app"
  echo "$image"
}

case "${1:-stand-ins}" in
  stand-ins)
    for official in $(grep -oE '"image": *"docker\.io/library/[^"]+"' aspire-manifest.json | sed 's/.*"\(docker[^"]*\)"/\1/' | sort -u); do
      stand_in "$official"
    done
    ;;
  aspnet) aspnet_base ;;
  *) echo "usage: $0 [stand-ins|aspnet]" >&2; exit 2 ;;
esac
