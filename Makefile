# The README's commands. `make test` installs the npm packages of every
# Node.js component the tests run (from their committed lock files; only
# when a lock file changed since the last install), then runs the tests.

LOCKS := $(shell git ls-files '*package-lock.json' 2>/dev/null | grep -v node_modules)
STAMPS := $(LOCKS:package-lock.json=node_modules/.package-lock.json)

.PHONY: test deps check example npm-packages bench-peers fuzz

# The release's version: npm packages are VERSION, the binary says vVERSION.
VERSION ?= 0.1.0
EXAMPLE := examples/sf-query-on401

test: deps
	go test -race -timeout 30m ./...
	node --test harness/node/test/

deps: $(STAMPS)

# The README's first command: check a built-in example component against
# the rules over the whole Salesforce scenario catalogue. It installs the
# npm packages of that one component only.
example: $(EXAMPLE)/node_modules/.package-lock.json
	go run ./cmd/refreshproof check $(EXAMPLE)

# Fuzz every fuzz target for FUZZTIME each, one after the other (not
# part of test: it takes minutes; .ci/run calls it). A failing input is
# written under the package's testdata/fuzz/, where it becomes a regular
# test case once committed. FUZZ=PATTERN fuzzes only matching targets.
FUZZTIME ?= 10s
fuzz:
	FUZZTIME=$(FUZZTIME) .ci/fuzz

# The npm packages (refreshproof and one per platform, binaries
# cross-compiled), packed into dist/npm/*.tgz, ready for npm publish.
npm-packages:
	go run ./internal/tools/npmpack -version $(VERSION) -out dist/npm -pack

# npm ci writes node_modules/.package-lock.json; it is older than the lock
# file only when the lock file changed.
%/node_modules/.package-lock.json: %/package-lock.json
	cd $* && npm ci --no-audit --no-fund --loglevel=error

check: deps
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt: these files need formatting:"; echo "$$unformatted"; exit 1; fi
	go vet ./...
	go test -race ./...
	node --test harness/node/test/

# Measure serve side by side with other mock OAuth servers, installed from
# their registries into a cache directory (not part of .ci/run; takes
# about ten minutes). PEERBENCH_FLAGS="-reps 5 -duration 20s" to change it.
bench-peers:
	go run ./internal/tools/peerbench $(PEERBENCH_FLAGS)
