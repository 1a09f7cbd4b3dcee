# OpenCRS. `make test` is the one test command; CI runs it too.

GO ?= go

.PHONY: test test-short lint build demo bench fuzz

## test: every test against SQLite (and PostgreSQL and headless Chromium
## where CRS_TEST_POSTGRES and chromium are present). The packages whose
## tests drive whole trusts, feeds and browsers (cmd/crs and demo through
## the binary, fhir's black-box, Synthea and UK Core suites, store's,
## web's, interfaces' and report's) run without the race detector, which
## made them 40 of CI's minutes; their concurrent tests (the committer
## and its batches, the audit chain, pooled writers, concurrent feeds and
## resends, the read cache, conditional writes, Bulk export, the live
## board) run raced on their own, and every other package is raced whole.
WHOLE = ./cmd/crs/ ./demo/ ./fhir/ ./store/ ./web/ ./interfaces/ ./report/
RACED = TestReadCache|Concurrent|OtherProcess|TestBulkExport|TestAuditChain|TestLoadKeepsOthersForeignKeys|TestDryRunLeavesNothing|TestNumbering|TestAnsweredOnlyAfterSync|TestCommandsWhileSyncingShareACommit|TestBatchRun|TestBatchNumbersRunOn|TestBufferedEventsKeepSavepoints|TestReadsAppended|TestWriteGuarantees|TestReadAuditsWrittenWithoutWrites|TestDeadlockRetried|TestGroupCommitIsolatesCommands|TestWriteTimingsAddUp|TestPooled|TestLive|TestFeedOrder
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 25m $$($(GO) list ./... | grep -v -e '/cmd/crs$$' -e '/demo$$' -e '/fhir$$' -e '/store$$' -e '/web$$' -e '/interfaces$$' -e '/report$$')
	$(GO) test -race -count=1 -timeout 25m -run '$(RACED)' ./fhir/ ./store/ ./web/ ./interfaces/
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
