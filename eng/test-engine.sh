#!/usr/bin/env bash
# eng/test-engine.sh start|stop: the container engine the tests run the containers mode, the images and Compose on.
#
# start: when an engine already answers (DOCKER_HOST, or the default socket), the tests use it and this prints nothing.
#   Otherwise it installs Debian's docker.io when dockerd is missing and starts a private dockerd: its own socket,
#   exec root and pid file under $run, its own data root under $data (kept between runs, so that the stand-in images
#   are built once). It never touches /var/run/docker.sock, so the machine's default stays "no engine" and
#   ./eng/run.sh still picks the processes mode there. It prints `export DOCKER_HOST=…` for the caller to eval.
# stop: fails when a container, a user-defined network or a volume is left on the private engine (a cleanup bug of
#   the tests or of the app), removes them, then ends the engine, its containerd and every shim.
set -euo pipefail

run=/run/worker-test-engine
data=/var/lib/worker-test-engine
socket=$run/docker.sock
pidfile=$run/dockerd.pid
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)

say() { echo "test-engine: $*" >&2; }

ours_running() { [ -f "$pidfile" ] && "${sudo[@]}" kill -0 "$(cat "$pidfile")" 2>/dev/null; }

# Every process of our engine: dockerd, the containerd it manages, and the shims whose state lives under our exec root.
ours_processes() { pgrep -f -- "$run/" 2>/dev/null || true; }

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
  "${sudo[@]}" rm -f "$pidfile" "$socket"
}

# Debian's docker.io, installed so that it never becomes the machine's engine: nothing it ships is started by the
# install (a policy-rc.d that refuses, where none is in place), and where systemd runs, its units stay disabled.
install_docker() {
  local policy=/usr/sbin/policy-rc.d placed=false
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 0755 "$policy"
    placed=true
  fi
  local status=0
  bash "$(dirname "$0")/install-packages.sh" test-engine docker.io || status=$?
  ! $placed || "${sudo[@]}" rm -f "$policy"
  [ "$status" -eq 0 ] || exit "$status"
  if [ -d /run/systemd/system ]; then
    "${sudo[@]}" systemctl disable --now docker.socket docker.service containerd.service >/dev/null 2>&1 || true
  fi
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
  command -v dockerd >/dev/null 2>&1 || install_docker
  "${sudo[@]}" mkdir -p "$run" "$data"
  "${sudo[@]}" chmod 0711 "$run"
  # The sandbox this was built on refuses containers with RLIMIT_NOFILE >= 20000 or RLIMIT_NPROC >= 65536, which
  # dockerd's defaults exceed; these limits are ample for the three servers.
  "${sudo[@]}" setsid dockerd --data-root "$data" --exec-root "$run/exec" -H "unix://$socket" --pidfile "$pidfile" \
    --group "$(id -gn)" --default-ulimit nofile=16384:16384 --default-ulimit nproc=30000:30000 \
    </dev/null >"$run.log" 2>&1 &
  for _ in $(seq 1 60); do
    if DOCKER_HOST="unix://$socket" timeout 5 docker info >/dev/null 2>&1; then
      say "started a private dockerd $(DOCKER_HOST="unix://$socket" docker version --format '{{.Server.Version}}') on $socket (log: $run.log)"
      echo "export DOCKER_HOST=unix://$socket"
      return
    fi
    sleep 1
  done
  say "dockerd did not answer within 60 s; its log:"
  tail -n 30 "$run.log" >&2 || true
  stop_engine
  exit 1
}

stop() {
  ours_running || return 0
  export DOCKER_HOST="unix://$socket"
  local status=0 containers networks volumes
  containers=$(docker ps -aq)
  networks=$(docker network ls -q --filter type=custom)
  volumes=$(docker volume ls -q)
  if [ -n "$containers$networks$volumes" ]; then
    say "these outlived the tests on the test engine:"
    { docker ps -a --format '  container {{.Names}} ({{.Image}}, {{.Status}})'
      docker network ls --filter type=custom --format '  network {{.Name}}'
      docker volume ls --format '  volume {{.Name}}'; } >&2
    # shellcheck disable=SC2086 # lists of ids
    { [ -z "$containers" ] || docker rm -f -v $containers; [ -z "$networks" ] || docker network rm $networks
      [ -z "$volumes" ] || docker volume rm -f $volumes; } >/dev/null 2>&1 || true
    status=1
  fi
  stop_engine
  say "stopped the private dockerd"
  return "$status"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
