# OpenCRS. `make test` is the one test command; CI runs it too.

GO ?= go

.PHONY: test test-short lint build demo bench fuzz

## test: every test, with the race detector, against SQLite (and PostgreSQL
## and headless Chromium where CRS_TEST_POSTGRES and chromium are present)
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 25m ./...

## test-short: the fast tests only
test-short:
	$(GO) test -short -count=1 ./...

lint:
	gofmt -l . | tee /dev/stderr | (! read)
	$(GO) vet ./...

build:
	$(GO) build -o crs ./cmd/crs

demo:
	$(GO) run ./cmd/crs demo

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

## fuzz: run every fuzz target for 30 s each
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "$$pkg $$f"; $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=30s $$pkg || exit 1; \
	  done; \
	done
