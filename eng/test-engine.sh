#!/usr/bin/env bash
# eng/test-engine.sh start|stop: the container engine the tests run the containers mode, the images and Compose on.
#
# start: when an engine already answers (DOCKER_HOST, or the default socket), the tests use it and this prints nothing.
#   Otherwise it installs Debian's docker.io when dockerd is missing and starts a private dockerd: its own socket,
#   exec root and pid file under $run, its own data root under $data (kept between runs, so that the stand-in images
#   are built once). It never touches /var/run/docker.sock, so the machine's default stays "no engine" and
#   ./eng/run.sh still picks the processes mode there. It prints `export DOCKER_HOST=…` for the caller to eval.
# stop: fails when a container, a user-defined network or a volume is left on the private engine (a cleanup bug of
#   the tests or of the app), removes them, then ends the engine, its containerd and every shim, and unmounts what
#   they left mounted. It also fails when the machine's default socket answers although it did not at the start: the
#   install must never have made an engine the machine's own. A no-op where this script started no engine.
set -euo pipefail

run=/run/worker-test-engine
data=/var/lib/worker-test-engine
socket=$run/docker.sock
pidfile=$run/dockerd.pid
log=$run/dockerd.log
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)

say() { echo "test-engine: $*" >&2; }

ours_running() { [ -f "$pidfile" ] && "${sudo[@]}" kill -0 "$(cat "$pidfile")" 2>/dev/null; }

# Every process of our engine: dockerd, the containerd it manages, and the shims whose state lives under our exec root.
ours_processes() { pgrep -f -- "$run/" 2>/dev/null || true; }

default_answers() { env -u DOCKER_HOST timeout 10 docker info >/dev/null 2>&1; }

ours_mounts() { awk -v run="$run/" -v data="$data/" 'index($2, run) == 1 || index($2, data) == 1 { print $2 }' /proc/mounts; }

stop_engine() {
  if ours_running; then
    "${sudo[@]}" kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
    for _ in $(seq 1 30); do ours_running || break; sleep 1; done
  fi
  local left
  left=$(ours_processes)
  if [ -n "$left" ]; then
    # shellcheck disable=SC2086 # a list of pids
    "${sudo[@]}" kill -KILL $left 2>/dev/null || true
  fi
  local mounts
  mounts=$(ours_mounts | sort -r)
  for mount in $mounts; do "${sudo[@]}" umount -l "$mount" 2>/dev/null || true; done
  "${sudo[@]}" rm -f "$pidfile" "$socket"
}

start() {
  if [ -z "${DOCKER_HOST:-}" ] && ours_running; then
    say "stopping the engine an earlier run left behind"
    stop_engine
  fi
  if command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1; then
    say "an engine answers (${DOCKER_HOST:-the default socket}): the tests use it"
    return
  fi
  # Installed so that it never becomes the machine's engine (see install-packages.sh). Its output goes to stderr:
  # stdout carries only the line the caller evaluates.
  command -v dockerd >/dev/null 2>&1 || bash "$(dirname "$0")/install-packages.sh" --no-start test-engine docker.io >&2
  "${sudo[@]}" mkdir -p "$run" "$data"
  "${sudo[@]}" chmod 0711 "$run"
  # The sandbox this was built on refuses containers with RLIMIT_NOFILE >= 20000 or RLIMIT_NPROC >= 65536, which
  # dockerd's defaults exceed; these limits are ample for the three servers. Where the machine runs a containerd of
  # its own, dockerd uses it: a namespace of ours keeps our containers apart from its.
  "${sudo[@]}" sh -c 'exec setsid "$@" </dev/null >"'"$log"'" 2>&1' dockerd dockerd --data-root "$data" --exec-root "$run/exec" \
    -H "unix://$socket" --pidfile "$pidfile" --group "$(id -gn)" --containerd-namespace worker-test \
    --containerd-plugins-namespace worker-test-plugins --default-ulimit nofile=16384:16384 --default-ulimit nproc=30000:30000 &
  echo "no" | "${sudo[@]}" tee "$run/default-engine-before" >/dev/null
  for _ in $(seq 1 60); do
    if DOCKER_HOST="unix://$socket" timeout 5 docker info >/dev/null 2>&1; then
      say "started a private dockerd $(DOCKER_HOST="unix://$socket" docker version --format '{{.Server.Version}}') on $socket (log: $log)"
      echo "export DOCKER_HOST=unix://$socket"
      return
    fi
    sleep 1
  done
  say "dockerd did not answer within 60 s; its log:"
  "${sudo[@]}" tail -n 30 "$log" >&2 || true
  stop_engine
  exit 1
}

stop() {
  [ -f "$pidfile" ] || [ -n "$(ours_processes)" ] || return 0
  local status=0 containers networks volumes left
  if ours_running; then
    export DOCKER_HOST="unix://$socket"
    containers=$(timeout 30 docker ps -aq || true)
    networks=$(timeout 30 docker network ls -q --filter type=custom || true)
    volumes=$(timeout 30 docker volume ls -q || true)
    if [ -n "$containers$networks$volumes" ]; then
      say "these outlived the tests on the test engine:"
      { timeout 30 docker ps -a --format '  container {{.Names}} ({{.Image}}, {{.Status}})'
        timeout 30 docker network ls --filter type=custom --format '  network {{.Name}}'
        timeout 30 docker volume ls --format '  volume {{.Name}}'; } >&2 || true
      # shellcheck disable=SC2086 # lists of ids
      { [ -z "$containers" ] || timeout 60 docker rm -f -v $containers; [ -z "$networks" ] || timeout 30 docker network rm $networks
        [ -z "$volumes" ] || timeout 30 docker volume rm -f $volumes; } >/dev/null 2>&1 || true
      status=1
    fi
  fi
  stop_engine
  left=$(ours_processes; ours_mounts)
  if [ -n "$left" ]; then
    say "still there after the engine stopped: $left"
    status=1
  fi
  if [ "$("${sudo[@]}" cat "$run/default-engine-before" 2>/dev/null)" = no ] && default_answers; then
    say "the machine's default socket answers now, and did not when the tests started: an engine became the machine's own"
    status=1
  fi
  "${sudo[@]}" rm -f "$run/default-engine-before"
  say "stopped the private dockerd"
  return "$status"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
