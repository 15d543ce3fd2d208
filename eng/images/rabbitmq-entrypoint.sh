#!/bin/sh
# The stand-in rabbitmq image's entrypoint: the part of the official image's contract that Aspire and Compose use.
# RABBITMQ_DEFAULT_USER and RABBITMQ_DEFAULT_PASS create the first user (the server reads them itself), who may connect
# from any host; the broker listens on 5672 and logs to stdout, and runs as the rabbitmq user.
set -eu

if [ "${1:-}" != rabbitmq-server ]; then
  exec "$@"
fi

cat >/etc/rabbitmq/rabbitmq.conf <<CONF
loopback_users = none
listeners.tcp.default = 5672
CONF
chown -R rabbitmq:rabbitmq /var/lib/rabbitmq
exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups -- /usr/lib/rabbitmq/bin/rabbitmq-server
