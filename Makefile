# linkwatch — build, test and demo.
GO ?= go
BIN := bin/linkwatch

# What `linkwatch version` says: the version (git describe) and the commit
# (12 digits, -dirty with uncommitted changes), stamped with -ldflags, so a
# binary says where it came from whatever GOFLAGS' -buildvcs is. Outside a
# git checkout, the version is "dev" and the commit is read from the build
# information, if any.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell c=$$(git rev-parse --short=12 HEAD 2>/dev/null) && \
	if git diff --quiet HEAD 2>/dev/null; then echo $$c; else echo $$c-dirty; fi)
LDFLAGS = -X main.version=$(VERSION) -X main.commit=$(COMMIT)

.PHONY: all build test deps vet generate demo bench fuzz local-images

all: build

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

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...

test: deps vet
	$(GO) test -race ./...

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
