# One place for build tags and tools so everyone builds the same thing.
GO       ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
TAGS     := migrated_fynedo,sqlite_fts5
GOFLAGS  := -tags=$(TAGS)
BIN      := pos
VERSION  := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
# Debian/Ubuntu packages the build, tests and simulators need (sqlite3:
# the audit tests tamper with a closed database through the command-line tool;
# postgresql: the back-office tests start a throwaway cluster of their own).
APT_PKGS := gcc pkg-config libc6-dev libgl1-mesa-dev xorg-dev xvfb xdotool imagemagick socat sqlite3 postgresql chromium
export CGO_ENABLED := 1

.PHONY: deps build build-windows run test screenshots bench fuzz vet clean package package-linux package-check android-check

## deps: install missing system packages (apt-get as root, else sudo, else print the command) and Go modules
deps:
	@missing=""; \
	for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then missing="$$missing nodejs npm"; fi; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "please run: sudo apt-get install -y$$missing"; exit 1; fi; \
	fi
	@command -v $(GO) >/dev/null 2>&1 || { echo "Go is missing: install Go 1.26+ (https://go.dev/dl) and re-run"; exit 1; }
	$(GO) mod download

## build: the pos binary
build: deps
	$(GO) build $(GOFLAGS) -ldflags "$(LDFLAGS)" -o $(BIN) .

## run: build and open the app on the embedded default (demo data, sandbox gateway, simulated devices)
run: build
	@if [ -z "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
	  echo "no DISPLAY: starting the app under a virtual display (xvfb-run); use a desktop session to see it"; \
	  xvfb-run -a -s "-screen 0 1280x800x24" ./$(BIN); \
	else ./$(BIN); fi

## test: every test, including the real-window smoke test under Xvfb and the npm interop clients
test: deps
	$(GO) vet $(GOFLAGS) ./...
	$(GO) test $(GOFLAGS) -count=1 -timeout 25m ./...

## screenshots: refresh docs/screenshots from the real-window smoke test under Xvfb (make test writes them to a temporary folder)
screenshots: deps
	POS_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test $(GOFLAGS) -count=1 -run 'TestSmoke_' -v .

## bench: benchmarks (3 runs each), raw output in docs/bench-latest.txt, medians and ratios in docs/bench-summary.txt
bench: deps
	$(GO) test $(GOFLAGS) -run '^$$' -bench . -benchmem -count 3 -timeout 30m ./... | tee docs/bench-latest.txt
	awk -f .ci/bench-ratios.awk docs/bench-latest.txt | tee docs/bench-summary.txt

## fuzz: run every fuzz target briefly
fuzz: deps
	@for p in $$($(GO) list $(GOFLAGS) ./...); do \
	  for f in $$($(GO) test $(GOFLAGS) -list '^Fuzz' $$p | grep '^Fuzz'); do \
	    echo "== $$p $$f"; $(GO) test $(GOFLAGS) -run '^$$' -fuzz "^$$f$$" -fuzztime 20s $$p || exit 1; \
	  done; \
	done

vet:
	$(GO) vet $(GOFLAGS) ./...

## build-windows: cross-compile a bare pos.exe for trying out (installs the MinGW-w64 compiler when missing); `make package` makes the installer
build-windows: deps
	@assets/packaging/need.sh x86_64-w64-mingw32-gcc=gcc-mingw-w64-x86-64
	CC=x86_64-w64-mingw32-gcc GOOS=windows GOARCH=amd64 $(GO) build $(GOFLAGS) -ldflags "$(LDFLAGS) -H windowsgui" -o $(BIN).exe .

## package: every installer artifact into dist/ (Linux .deb and .tar.xz, Windows pos.exe and NSIS installer; docs/PACKAGING.md); installs MinGW-w64 and NSIS when missing
package: deps
	GO=$(GO) TAGS=$(TAGS) assets/packaging/package.sh dist all

## package-linux: only the Linux .deb and .tar.xz, into dist/
package-linux: deps
	GO=$(GO) TAGS=$(TAGS) assets/packaging/package.sh dist linux

## package-check: make package, then check every artifact: the .deb's files, installed into a temporary root and opened under Xvfb (screenshot), PE32+ Windows files (minutes: not part of make test)
package-check: package
	POS_PACKAGE_DIST=$(CURDIR)/dist $(GO) test $(GOFLAGS) -count=1 -timeout 10m -run '^TestPackage_' -v ./assets/packaging/

## android-check: go vet and go build for android/arm64, without the NDK, of every package that needs no cgo (rule in assets/packaging/android-check.sh; make test runs it too)
android-check:
	GO=$(GO) TAGS=$(TAGS) assets/packaging/android-check.sh

clean:
	rm -f $(BIN) $(BIN).exe *.tar.xz
	rm -rf dist
