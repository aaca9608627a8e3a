#!/bin/sh
# Creates (or resets) the agents' accounts from the compose secrets, then runs Prosody.
# MAUVE_AGENTS names them ("web1 web2"); each one's password is /run/secrets/<name>_password.
# Registration stays closed: these are the only accounts, besides those an admin adds.
set -eu
domain="${MAUVE_DOMAIN:-mauve.localhost}"
for agent in ${MAUVE_AGENTS:-}; do
  password_file="/run/secrets/${agent}_password"
  if [ ! -r "$password_file" ]; then
    echo "mauve-prosody: no readable secret $password_file for agent $agent" >&2
    exit 78
  fi
  password="$(head -n 1 "$password_file")"
  prosodyctl register "$agent" "$domain" "$password"
done
exec "$@"
