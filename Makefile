# linkwatch — build, test and demo.
GO ?= go
BIN := bin/linkwatch

.PHONY: all build test deps vet generate demo bench fuzz

all: build

build:
	$(GO) build -o $(BIN) ./cmd/linkwatch

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
	$(GO) vet ./...

test: deps vet
	$(GO) test -race ./...
