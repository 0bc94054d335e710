# linkwatch — build, test and demo.
GO ?= go
BIN := bin/linkwatch

# What `linkwatch version` says: the version (git describe), the commit
# (12 digits, -dirty with uncommitted changes) and the build date, stamped
# with -ldflags, so a
# binary says where it came from whatever GOFLAGS' -buildvcs is. Outside a
# git checkout, the version is "dev" and the commit is read from the build
# information, if any.
ifndef VERSION
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
endif
ifndef COMMIT
COMMIT := $(shell c=$$(git rev-parse --short=12 HEAD 2>/dev/null) && \
	if git diff --quiet HEAD 2>/dev/null; then echo $$c; else echo $$c-dirty; fi)
endif
# The build date: SOURCE_DATE_EPOCH when set (a reproducible build), else now.
ifndef BUILD_DATE
BUILD_DATE := $(shell d=$${SOURCE_DATE_EPOCH:+@$$SOURCE_DATE_EPOCH}; date -u -d "$${d:-now}" +%Y-%m-%dT%H:%M:%SZ)
endif
LDFLAGS = -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.buildDate=$(BUILD_DATE)

# make image: the container image (deploy/Dockerfile), tagged IMAGE, built
# from the context directory IMAGE_BUILD with the CA bundle CA_BUNDLE.
IMAGE ?= linkwatch:dev
IMAGE_BUILD ?= bin/image
CA_BUNDLE ?= /etc/ssl/certs/ca-certificates.crt
DOCKER ?= docker
SOURCE ?= https://$(shell $(GO) list -m)

.PHONY: all build test deps helm k8s vet generate demo bench fuzz local-images

.PHONY: image help compose-test chaos

all: build

help:
	@echo 'make build   bin/linkwatch, with the version and commit stamped (linkwatch version)'
	@echo 'make test    what the tests need (redis-server, helm), gofmt, go vet, go test -race ./...'
	@echo '             (the image test too, when a Docker engine is reachable)'
	@echo 'make demo    simulated routers, linkwatch run, a link flipped, the alert emails'
	@echo 'make image   the container image $(IMAGE) (IMAGE=name:tag): static binary, CA bundle,'
	@echo '             FROM scratch, user 65532, HEALTHCHECK linkwatch healthcheck; needs a Docker engine'
	@echo 'make local-images  local images of nats-server, mailpit and redis for the compose deployment'
	@echo 'make compose-test  docker-compose.yml up on the Docker engine, checked (deploy/composetest)'
	@echo 'make helm    helm $(HELM_VERSION) into .cache/bin, from its Go module (for the Helm chart tests)'
	@echo 'make k8s     regenerates deploy/k8s/linkwatch.yaml, the Helm chart rendered for its example'
	@echo 'make generate  regenerates proto/linkwatch.pb.go'
	@echo 'make chaos   the chaos run: every service as processes with nats-server, redis-server and an'
	@echo '             SMTP sink, FLIPS=$(FLIPS) link flips while processes are SIGKILLed (docs/chaos.md)'

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/linkwatch

# deps installs what the tests need when it is missing: redis-server (Debian
# package). As root it installs it; otherwise it prints the exact command.
deps:
	@if ! command -v redis-server >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ]; then \
			echo "installing redis-server (apt-get install -y redis-server)"; \
			(apt-get install -y redis-server >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y redis-server >/dev/null)) || exit 1; \
		else \
			echo "redis-server is missing: run  sudo apt-get install -y redis-server"; exit 1; \
		fi; \
	fi

# helm installs helm, which the tests of the Helm chart (deploy/helm) run,
# into .cache/bin when it is missing or of another version: built from its
# Go module at HELM_VERSION (a few minutes the first time).
HELM_VERSION := v3.22.0
HELM := .cache/bin/helm
helm:
	@if ! $(GO) version -m $(HELM) 2>/dev/null | grep -Eq '^[[:space:]]+mod[[:space:]]+helm\.sh/helm/v3[[:space:]]+$(HELM_VERSION)[[:space:]]'; then \
		echo "installing helm $(HELM_VERSION) into $(HELM) (go install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION))"; \
		GOBIN="$(CURDIR)/.cache/bin" $(GO) install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION) || exit 1; \
	fi

# k8s regenerates deploy/k8s/linkwatch.yaml, the chart rendered for
# deploy/helm/examples/two-sites.yaml; a test fails when it is stale.
k8s: helm
	$(GO) test ./cmd/linkwatch/internal/deploytest -run '^TestK8sManifests$$' -update

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...

# The compose test runs on its own, verbosely, so that its output says what
# it asserted on the Docker engine (or why it skipped).
test: deps helm vet
	$(GO) test -race $$($(GO) list ./... | grep -v /deploy/composetest$$)
	$(GO) test -count=1 -v ./deploy/composetest

# chaos builds linkwatch, nats-server (the go.mod version) and the chaos
# tool into CHAOS_BIN and runs the chaos run (docs/chaos.md): FLIPS link
# flips while processes are killed, then one summary line; it fails unless
# every flip was emailed exactly once. CHAOS_FLAGS adds flags (chaos -h).
FLIPS ?= 200
CHAOS_BIN ?= bin/chaos
CHAOS_FLAGS ?=
chaos: deps
	@mkdir -p $(CHAOS_BIN)
	$(GO) build -o $(CHAOS_BIN)/linkwatch ./cmd/linkwatch
	$(GO) build -o $(CHAOS_BIN)/nats-server github.com/nats-io/nats-server/v2
	$(GO) build -o $(CHAOS_BIN)/chaos ./cmd/chaos
	$(CHAOS_BIN)/chaos --flips $(FLIPS) $(CHAOS_FLAGS)

# generate regenerates proto/linkwatch.pb.go. It installs what is missing:
# protoc (Debian package protobuf-compiler; as root it installs it, otherwise
# it prints the exact command) and protoc-gen-go at the version of
# google.golang.org/protobuf in go.mod, into the Go bin directory.
generate:
	@if ! command -v protoc >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ]; then \
			echo "installing protoc (apt-get install -y protobuf-compiler)"; \
			(apt-get install -y protobuf-compiler >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y protobuf-compiler >/dev/null)) || exit 1; \
		else \
			echo "protoc is missing: run  sudo apt-get install -y protobuf-compiler"; exit 1; \
		fi; \
	fi
	@set -e; \
	version=$$($(GO) list -m -f '{{.Version}}' google.golang.org/protobuf); \
	bindir=$$($(GO) env GOBIN); [ -n "$$bindir" ] || bindir=$$($(GO) env GOPATH)/bin; \
	plugin=$$bindir/protoc-gen-go; \
	if [ "$$($$plugin --version 2>/dev/null)" != "protoc-gen-go $$version" ]; then \
		echo "installing protoc-gen-go $$version"; \
		$(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$$version; \
	fi; \
	protoc --plugin=protoc-gen-go=$$plugin --go_out=. --go_opt=paths=source_relative proto/linkwatch.proto

# demo: a guided tour on one machine (simulated routers, linkwatch run,
# status, an alert when a link flips and when it recovers).
demo: build
	bash deploy/demo/demo.sh

# local-images builds, without pulling anything, local images of the
# third-party servers docker-compose.yml runs (nats-server at the go.mod
# version, mailpit from its Go module, Debian's redis-server), each FROM
# scratch, and prints the variables that select them.
local-images:
	@deploy/images/build-local.sh

# image builds the static binary into IMAGE_BUILD beside the CA bundle and
# the empty /data and /tmp of the image, then docker builds deploy/Dockerfile
# FROM scratch there: nothing is pulled.
image:
	@command -v $(DOCKER) >/dev/null 2>&1 || { \
		echo "make image: $(DOCKER) is not installed: install a Docker engine and start it" >&2; exit 1; }
	@$(DOCKER) info >/dev/null 2>&1 || { \
		echo "make image: the Docker engine is not reachable ($(DOCKER) info fails): start it, or run as a user allowed to use it" >&2; exit 1; }
	@[ -r "$(CA_BUNDLE)" ] || { \
		echo "make image: no CA bundle at $(CA_BUNDLE): apt-get install ca-certificates, or make image CA_BUNDLE=FILE" >&2; exit 1; }
	rm -rf $(IMAGE_BUILD)
	mkdir -p $(IMAGE_BUILD)/data $(IMAGE_BUILD)/rootfs/tmp $(IMAGE_BUILD)/rootfs/etc/ssl/certs
	chmod 0755 $(IMAGE_BUILD)/data
	chmod 1777 $(IMAGE_BUILD)/rootfs/tmp
	CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=true -ldflags '-s -w $(LDFLAGS)' -o $(IMAGE_BUILD)/rootfs/linkwatch ./cmd/linkwatch
	install -m 0644 $(CA_BUNDLE) $(IMAGE_BUILD)/rootfs/etc/ssl/certs/ca-certificates.crt
	$(DOCKER) build -q -f deploy/Dockerfile --build-arg VERSION=$(VERSION) --build-arg REVISION=$(COMMIT) \
		--build-arg SOURCE=$(SOURCE) -t $(IMAGE) $(IMAGE_BUILD)
	@echo "built $(IMAGE): $$($(DOCKER) image inspect -f '{{.Size}}' $(IMAGE)) bytes; run it with  $(DOCKER) run --rm $(IMAGE) version"

# compose-test brings up docker-compose.yml on the Docker engine with every
# image built here and checks the deployment (deploy/composetest); make
# test runs it too when docker info succeeds.
compose-test:
	$(GO) test -count=1 -v -run TestCompose ./deploy/composetest
