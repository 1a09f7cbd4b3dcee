# OpenCRS. `make test` is the one test command; CI runs it too.

GO ?= go

.PHONY: test test-short lint build demo bench fuzz

## test: every test against SQLite (and PostgreSQL and headless Chromium
## where CRS_TEST_POSTGRES and chromium are present): the packages with the
## race detector; cmd/crs and demo, which drive whole trusts through the
## binary and its seeding (15 minutes under the detector), and fhir, whose
## black-box, Synthea and UK Core suites load thousands of resources (16
## minutes under the detector), without it: the code they run is raced by
## the packages' own tests, and fhir's concurrent tests (the read cache,
## concurrent conditional writes, Bulk export) run raced on their own
WHOLE = ./cmd/crs/ ./demo/ ./fhir/
RACED_FHIR = TestReadCache|Concurrent|TestBulkExport
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 25m $$($(GO) list ./... | grep -v -e '/cmd/crs$$' -e '/demo$$' -e '/fhir$$')
	$(GO) test -race -count=1 -timeout 25m -run '$(RACED_FHIR)' ./fhir/
	$(GO) test -count=1 -timeout 25m $(WHOLE)

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
