#!/usr/bin/env bash
# build-local.sh builds, on a machine that cannot pull images, local images
# of the third-party servers the compose deployment runs, from sources and
# packages this machine has:
#
#   linkwatch-local/nats-server:<v>  nats-server at the version in go.mod (static Go build)
#   linkwatch-local/mailpit:<v>      mailpit from its Go module (static Go build; the API and
#                                    SMTP sink, without the prebuilt web UI assets)
#   linkwatch-local/redis:<v>        Debian's redis-server with the libraries it links
#
# Each is FROM scratch and runs as uid 65532. It prints the variables that
# point docker-compose.yml at them (NATS_IMAGE=..., etc.); with --env FILE
# it also writes them there. Images that exist already are kept.
set -euo pipefail
cd "$(dirname "$0")/../.."

MAILPIT_VERSION=${MAILPIT_VERSION:-v1.33.1}
env_file=""
if [ "${1:-}" = "--env" ]; then env_file=$2; fi

command -v docker >/dev/null || { echo "build-local.sh: docker is not installed" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "build-local.sh: the docker engine is not reachable (docker info fails)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

nats_version=$(go list -m -f '{{.Version}}' github.com/nats-io/nats-server/v2)
redis_version=$(redis-server --version | sed -n 's/.* v=\([0-9.]*\).*/\1/p')
nats_image=linkwatch-local/nats-server:${nats_version#v}
mailpit_image=linkwatch-local/mailpit:${MAILPIT_VERSION#v}
redis_image=linkwatch-local/redis:${redis_version}

have() { docker image inspect "$1" >/dev/null 2>&1; }

# scratch_image TAG DIR ENTRYPOINT...: DIR becomes the image's root.
scratch_image() {
	local tag=$1 dir=$2; shift 2
	local entry
	entry=$(printf '"%s",' "$@")
	mkdir -p "$dir/data" "$dir/tmp"
	cat >"$dir/Dockerfile" <<DOCKERFILE
FROM scratch
COPY --chown=65532:65532 rootfs/ /
USER 65532:65532
ENTRYPOINT [${entry%,}]
DOCKERFILE
	docker build -q -t "$tag" "$dir" >/dev/null
}

if ! have "$nats_image"; then
	mkdir -p "$work/nats/rootfs"
	CGO_ENABLED=0 go build -trimpath -o "$work/nats/rootfs/nats-server" github.com/nats-io/nats-server/v2
	mkdir -p "$work/nats/rootfs/data" "$work/nats/rootfs/tmp"
	scratch_image "$nats_image" "$work/nats" /nats-server
fi

if ! have "$mailpit_image"; then
	mkdir -p "$work/mailpit/rootfs" "$work/gomod"
	(cd "$work/gomod" && CGO_ENABLED=0 GOFLAGS=-mod=mod GOBIN="$work/mailpit/rootfs" \
		go install -trimpath "github.com/axllent/mailpit@$MAILPIT_VERSION")
	mkdir -p "$work/mailpit/rootfs/data" "$work/mailpit/rootfs/tmp"
	scratch_image "$mailpit_image" "$work/mailpit" /mailpit
fi

if ! have "$redis_image"; then
	command -v redis-server >/dev/null || { echo "build-local.sh: redis-server is not installed (apt-get install -y redis-server)" >&2; exit 1; }
	root=$work/redis/rootfs
	bin=$(command -v redis-server)
	mkdir -p "$root$(dirname "$bin")"
	cp -L "$bin" "$root$bin"
	# The libraries it links, and the loader, at their own paths.
	for lib in $(ldd "$bin" | awk '/=> \//{print $3} /^\t\//{print $1}'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
	mkdir -p "$root/data" "$root/tmp"
	scratch_image "$redis_image" "$work/redis" "$bin"
fi

vars="NATS_IMAGE=$nats_image
MAILPIT_IMAGE=$mailpit_image
REDIS_IMAGE=$redis_image"
echo "$vars"
if [ -n "$env_file" ]; then
	echo "$vars" >>"$env_file"
fi
