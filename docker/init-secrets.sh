#!/bin/sh
# Creates docker/secrets/ for compose.yaml: random PostgreSQL password and relayer bearer tokens
# (kept if they exist), and lists the key files you must put there yourself.
#   sh docker/init-secrets.sh [secrets-dir]       (default: the secrets/ folder beside this script)
set -eu
dir=${1:-$(dirname "$0")/secrets}
umask 077
mkdir -p "$dir"
chmod 0700 "$dir"
random() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
for name in postgres-password relayer-operator-token relayer-sidecar-token; do
  if [ ! -s "$dir/$name.txt" ]; then
    random > "$dir/$name.txt"
    echo "created $dir/$name.txt"
  fi
done
missing=0
for name in validators-manager-keystore.json validators-manager-password.txt operator-wallet.json operator-wallet-password.txt; do
  if [ ! -s "$dir/$name" ]; then
    echo "missing $dir/$name" >&2
    missing=1
  fi
done
# the containers' users (dvt: uid 1000, postgres: uid 999) read these through read-only mounts;
# the folder itself stays closed to other users of this machine
chmod 0444 "$dir"/* 2>/dev/null || true
if [ "$missing" = 1 ]; then
  cat >&2 <<'TEXT'
Put there: the validators manager's Ethereum V3 keystore and its password (the relayer signs
approvals with it; it must be the vault's validators manager), and the operator's hot wallet
keystore and its password (it sends the registration transactions and pays their gas).
TEXT
  exit 1
fi
echo "secrets complete in $dir"
