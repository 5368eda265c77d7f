#!/bin/sh
# Entry point of the dvt image: `dvt <command> [options]`.
#
# Most secrets are already read from files by the apps themselves (VALIDATORS_MANAGER_PASSWORD_FILE,
# WALLET_PASSWORD_FILE, RELAYER_SIDECAR_TOKEN_FILE, --operator-token-file, ...). Two settings are
# only taken as values; give them as files here so they stay out of env files and `docker inspect`:
#   RELAYER_TOKEN_FILE  -> RELAYER_TOKEN  (dvt operator: bearer token of the relayer's operator routes)
#   PGPASSWORD_FILE     -> PGPASSWORD     (dvt relayer: PostgreSQL password when DATABASE_URL has none)
set -eu
for name in RELAYER_TOKEN PGPASSWORD; do
  eval "file=\${${name}_FILE:-}"
  if [ -n "$file" ]; then
    if [ ! -r "$file" ]; then
      echo "dvt: ${name}_FILE=$file is not a readable file" >&2
      exit 78
    fi
    value=$(cat "$file")
    export "$name=$value"
    unset "${name}_FILE" value
  fi
done
exec node "${DVT_MAIN:-/app/bin/dvt.js}" "$@"
