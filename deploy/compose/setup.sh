#!/usr/bin/env bash
# setup.sh makes the bus keys of the compose deployment (docker-compose.yml),
# once per project, with the linkwatch image itself:
#
#   - every role's nkey, in the volume <project>-keystore (what `linkwatch
#     run` would keep in data_dir/auth);
#   - each service's own key in a volume of its own, <project>-key-<role>,
#     which that service alone mounts at /keys (nats.nkey_seed_file);
#   - the public keys, which the NATS hub and leaf node read from the
#     environment, in deploy/compose/secrets/public-keys.env (no secret);
#   - the leaf node's seed, in deploy/compose/secrets/leaf-site-b.env (0600).
#
# It does nothing when the keys exist. --remove deletes them all (after
# `docker-compose down`); the next setup makes new ones.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -f .env ]; then set -a; . ./.env; set +a; fi
project=${COMPOSE_PROJECT_NAME:-linkwatch}
image=${LINKWATCH_IMAGE:-linkwatch:dev}
secrets=deploy/compose/secrets
roles="scheduler notifier cli worker-site-a worker-site-b"
leaf=leaf-site-b

if [ "${1:-}" = "--remove" ]; then
	for v in keystore $(for r in $roles; do echo "key-$r"; done); do
		docker volume rm -f "$project-$v" >/dev/null
	done
	rm -f "$secrets/public-keys.env" "$secrets/$leaf.env"
	echo "removed the bus keys of project $project"
	exit 0
fi

docker image inspect "$image" >/dev/null 2>&1 || { echo "setup.sh: no image $image: run make image (or set LINKWATCH_IMAGE)" >&2; exit 1; }
if docker volume inspect "$project-keystore" >/dev/null 2>&1 && [ -f "$secrets/public-keys.env" ] && [ -f "$secrets/$leaf.env" ]; then
	echo "the bus keys of project $project exist (deploy/compose/setup.sh --remove to start again)"
	exit 0
fi

# linkwatch runs with no network, the configuration read-only and the key
# store at /data (data_dir).
lw() {
	docker run --rm --network none -v "$PWD/deploy/compose/linkwatch.yaml:/etc/linkwatch/linkwatch.yaml:ro" \
		-v "$project-keystore:/data" "$@"
}
config=(--config /etc/linkwatch/linkwatch.yaml)

mkdir -p "$secrets"
umask 077
public=$secrets/public-keys.env
echo "# Public nkeys of linkwatch's roles (no secret), written by deploy/compose/setup.sh." >"$public.tmp"
for role in $roles $leaf; do
	var=LINKWATCH_NKEY_$(echo "$role" | tr 'a-z-' 'A-Z_')
	echo "$var=$(lw "$image" creds export "${config[@]}" --role "$role" --public)" >>"$public.tmp"
done
for role in $roles; do
	docker volume rm -f "$project-key-$role" >/dev/null
	lw -v "$project-key-$role:/keys" "$image" creds export "${config[@]}" --role "$role" --output /keys/nats.nk
done
var=LINKWATCH_SEED_$(echo "$leaf" | tr 'a-z-' 'A-Z_')
echo "$var=$(lw "$image" creds export "${config[@]}" --role "$leaf")" >"$secrets/$leaf.env.tmp"
mv "$secrets/$leaf.env.tmp" "$secrets/$leaf.env"
chmod 644 "$public.tmp"
mv "$public.tmp" "$public"
echo "made the bus keys of project $project: volumes $project-keystore and $project-key-*, $public, $secrets/$leaf.env"
