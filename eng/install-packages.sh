#!/usr/bin/env bash
# eng/install-packages.sh WHO PACKAGE...: installs Debian packages, through sudo unless root, saying who asked and what.
set -euo pipefail
who=$1
shift
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "$who: installing from the distribution's packages: $*"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@"
