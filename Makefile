# Isomargin: one entry point for set-up, build, tests and the demo.
#   make test            everything CI runs (installs the pinned tools first), the release check included
#   make test-contracts  the forge suite, the ABI drift check, the gas snapshot check and the deploy smoke test
#   make test-java       the Maven suite (Java 21+; Anvil from the npm install)
#   make demo            the end-to-end demo on a local chain (CHAIN=hardhat for a Hardhat node; DEMO_ARGS="--vaults 500"; DEMO_ARGS="--capital-free": a keeper with no loan token, selling on Uniswap V2)
#   make up              the demo, left running (chain, indexer, keeper, dashboard) until Ctrl-C
#   make dist            the release: target/dist/isomargin-<version>.tar.gz (jars, launchers, configs, systemd, monitoring)
#   make test-dist       checks the release as an operator uses it (launchers, units, rules, a demo on it)
#   make test-deep       the fuzz and invariant suites at 10x+ the runs
#   make abi             re-export contract ABIs and bytecode to abi/ after a contract change
#   make snapshot        re-record the gas snapshot after a contract change
#   make bench           every benchmark, then target/bench/report.md + report.json with charts (~10 min; not in test)
#   make bench-indexer   indexer benchmark: backfill events/s (in process, and the jar from launch) and live head lag (BENCH_ARGS="--events 400000 ...")
#   make bench-abi       re-export the benchmark's event filler (bench/EventFiller.json) after changing it
#   make bench-keeper-detect  keeper detection latency, JMH, 10k/100k/1M vaults (ISOMARGIN_BENCH_QUICK=1: shorter)
#   make bench-keeper-e2e     keeper end to end: blocks to liquidate ~1,000 of 10,000 vaults at 1 s blocks
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT := $(CURDIR)
BIN := $(ROOT)/node_modules/.bin
FORGE := $(BIN)/forge
TOOLS_STAMP := node_modules/.isomargin-tools-installed
FORGE_SUMMARY := $(ROOT)/contracts/tools/forge-summary.sh

.PHONY: help tools build abi check-abi test test-contracts test-java test-deep snapshot bench-indexer bench-abi demo demo-build up clean dist test-dist \
	bench-keeper-detect bench-keeper-e2e bench-keeper-build bench

# A JDK 21+ (the machine's default java may be older): JAVA_HOME if it qualifies, else the newest in /usr/lib/jvm.
JDK = $(shell tools/find-jdk.sh 2>/dev/null)
MVN = JAVA_HOME="$(JDK)" ./mvnw -B -ntp
# Quiets Netty's sun.misc.Unsafe warning on JDK 24+; only passed to a JDK that knows it (21 and 22 refuse it).
UNSAFE_FLAG = $(shell "$(JDK)/bin/java" --sun-misc-unsafe-memory-access=allow -version >/dev/null 2>&1 \
	&& echo --sun-misc-unsafe-memory-access=allow)

help:
	@sed -n 's/^#   //p' Makefile

# Pinned Foundry (forge, anvil, cast), solc-js and OpenZeppelin from the npm registry (package-lock.json).
$(TOOLS_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "make: npm not found; install Node.js 20+ and npm (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	@echo "==> installing pinned tools (npm install, versions from package-lock.json)"
	@# not `npm ci`: npm leaves the other platforms' optional Foundry binaries out of the lock file, which npm ci rejects
	npm install --no-audit --no-fund --loglevel=error
	@$(FORGE) --version | head -1
	@touch $@

tools: $(TOOLS_STAMP)

build: tools
	@echo "==> forge build (contracts, offline with the pinned solc-js; a minute or two the first time, then cached)"
	cd contracts && $(FORGE) build

abi: build
	node contracts/tools/export-abi.cjs contracts/out abi

check-abi: build
	@tmp=$$(mktemp -d); node contracts/tools/export-abi.cjs contracts/out "$$tmp" >/dev/null; \
	if ! diff -r -q abi "$$tmp" --exclude='*.java' --exclude=pom.xml --exclude=src --exclude=target >/dev/null; then \
	  diff -r abi "$$tmp" --exclude='*.java' --exclude=pom.xml --exclude=src --exclude=target | head -20; \
	  echo "check-abi: abi/ differs from a fresh build of contracts/; run 'make abi' and commit the result" >&2; rm -rf "$$tmp"; exit 1; \
	fi; rm -rf "$$tmp"; echo "check-abi: abi/ matches the contracts"

test: test-contracts test-java test-dist

# The Morpho-shaped gas scenario runs apart, each call as its own transaction (--isolate), and must match
# contracts/snapshots/MorphoScenario.json (FORGE_SNAPSHOT_CHECK); `make snapshot` re-records it.
GAS_SCENARIO = cd contracts && ISOMARGIN_GAS_SCENARIO=1 $(FORGE) test --isolate --match-path 'test/gas/*'

test-contracts: check-abi
	@echo "==> forge test"
	cd contracts && $(FORGE_SUMMARY) $(FORGE) test --no-match-path 'test/gas/*'
	@echo "==> gas snapshot check (make snapshot re-records it)"
	cd contracts && $(FORGE) snapshot --check --match-path 'test/unit/*' >/dev/null
	@echo "==> Morpho-shaped gas scenario (isolated transactions) against contracts/snapshots/MorphoScenario.json"
	cd contracts && FORGE_SNAPSHOT_CHECK=true ISOMARGIN_GAS_SCENARIO=1 $(FORGE) test --isolate --match-path 'test/gas/*' >/dev/null \
	  || { echo "gas: contracts/snapshots/MorphoScenario.json differs from this build; run 'make snapshot' and commit it" >&2; exit 1; }
	@cat contracts/snapshots/MorphoScenario.json
	@echo "==> deploy scripts on Anvil"
	bash contracts/test/deploy-smoke.sh

test-java: tools
	@[ -n "$(JDK)" ] || tools/find-jdk.sh
	@echo "==> PostgreSQL for the tests"
	bash tools/ensure-postgres.sh
	@echo "==> Chromium for the dashboard's browser test"
	bash tools/ensure-chromium.sh
	@echo "==> maven test (JDK: $(JDK))"
	$(MVN) test

test-deep: check-abi
	cd contracts && FOUNDRY_PROFILE=deep $(FORGE_SUMMARY) $(FORGE) test --match-path 'test/{fuzz,invariant}/*'

snapshot: build
	cd contracts && $(FORGE) snapshot --match-path 'test/unit/*'
	$(GAS_SCENARIO) >/dev/null
	@cat contracts/snapshots/MorphoScenario.json

# make bench: every benchmark in turn, then target/bench/report.md + report.json + PNG charts (about 10 minutes here).
# Not part of make test. BENCH_QUICK=1 runs shorter (smaller indexer sizes, short JMH): for trying it out, not for figures.
BENCH_CP = bench/target/classes:$$(cat bench/target/classpath.txt)
BENCH_JAVA = "$(JDK)/bin/java" -Disomargin.root="$(ROOT)" -cp "$(BENCH_CP)"
BENCH_QUICK ?=
BENCH_SIZES = $(if $(BENCH_QUICK),5000$(,)20000$(,)50000,20000$(,)100000$(,)400000)
BENCH_LIVE_SECONDS = $(if $(BENCH_QUICK),15,60)
# the largest size is backfilled this many times in the same JVM: the first shows a JIT-cold JVM, the last (the
# headline) one whose hot paths are compiled
BENCH_INDEXER_REPEAT = $(if $(BENCH_QUICK),1,3)
, := ,
bench: build
	@[ -n "$(JDK)" ] || tools/find-jdk.sh
	bash tools/ensure-postgres.sh
	@echo "==> building the benchmarks and the indexer and keeper jars"
	$(MVN) -q -pl bench,indexer,keeper -am package -DskipTests
	rm -rf target/bench && mkdir -p target/bench
	@echo "==> [1/5] contract gas: the forge gas snapshot, re-recorded"
	cd contracts && $(FORGE) test --match-path test/unit/Gas.t.sol >/dev/null
	$(GAS_SCENARIO) >/dev/null
	@echo "==> [2/5] indexer: backfill at $(BENCH_SIZES) events (the largest $(BENCH_INDEXER_REPEAT) times), live lag at 1 s blocks (profiled with JFR)"
	$(BENCH_JAVA) -XX:StartFlightRecording=filename=target/bench/indexer.jfr,settings=default \
	  io.isomargin.bench.IndexerBench --sizes $(BENCH_SIZES) --repeat $(BENCH_INDEXER_REPEAT) \
	  --live-seconds $(BENCH_LIVE_SECONDS) \
	  --json target/bench/indexer.json
	@echo "==> [3/5] keeper detection latency (JMH): 10k, 100k, 1M vaults"
	$(if $(BENCH_QUICK),ISOMARGIN_BENCH_QUICK=1) $(BENCH_JAVA) io.isomargin.bench.keeper.KeeperDetectBench
	@echo "==> [4/5] keeper end to end: 10,000 vaults, 1,000 liquidatable at once, 1 s blocks"
	$(BENCH_JAVA) io.isomargin.bench.keeper.KeeperE2eBench --vaults 10000 --liquidatable 1000
	@echo "==> [5/5] memory: the indexer's and the keeper's jars following 100,000 vaults (keeper: -Xmx512m)"
	$(BENCH_JAVA) io.isomargin.bench.keeper.KeeperE2eBench --vaults 100000 --liquidatable 0 --indexer \
	  --keeper-java-opts -Xmx512m --opens-per-tx 1000 --gas-limit 1000000000
	$(BENCH_JAVA) io.isomargin.bench.report.BenchReport --dir target/bench

# The benchmark runs in its own JVM (BENCH_JAVA_OPTS, e.g. -XX:StartFlightRecording=filename=/tmp/bench.jfr).
BENCH_ARGS ?=
BENCH_JAVA_OPTS ?=
bench-indexer: tools
	@[ -n "$(JDK)" ] || tools/find-jdk.sh
	bash tools/ensure-postgres.sh
	$(MVN) -q -pl bench -am package -DskipTests
	"$(JDK)/bin/java" $(BENCH_JAVA_OPTS) -Disomargin.root="$(ROOT)" \
	  -cp "bench/target/classes:$$(cat bench/target/classpath.txt)" io.isomargin.bench.IndexerBench $(BENCH_ARGS)

# Keeper benchmarks: numbers on stdout, target/bench/keeper.json (+ JMH's JSON). BENCH_KEEPER_ARGS passes options.
BENCH_KEEPER_ARGS ?=
bench-keeper-build: tools
	@[ -n "$(JDK)" ] || tools/find-jdk.sh
	$(MVN) -q -pl bench -am package -DskipTests

bench-keeper-detect: bench-keeper-build
	"$(JDK)/bin/java" $(BENCH_JAVA_OPTS) -Disomargin.root="$(ROOT)" \
	  -cp "bench/target/classes:$$(cat bench/target/classpath.txt)" io.isomargin.bench.keeper.KeeperDetectBench $(BENCH_KEEPER_ARGS)

bench-keeper-e2e: tools
	@[ -n "$(JDK)" ] || tools/find-jdk.sh
	bash tools/ensure-postgres.sh
	$(MVN) -q -pl bench,keeper,indexer -am package -DskipTests
	"$(JDK)/bin/java" $(BENCH_JAVA_OPTS) -Disomargin.root="$(ROOT)" \
	  -cp "bench/target/classes:$$(cat bench/target/classpath.txt)" io.isomargin.bench.keeper.KeeperE2eBench $(BENCH_KEEPER_ARGS)

bench-abi: build
	node contracts/tools/export-abi.cjs contracts/out bench EventFiller.sol:EventFiller

# The demo driver runs in its own JVM and starts the chain, the indexer and keeper jars, and forge, itself.
CHAIN ?= anvil
DEMO_ARGS ?=
# The jars are rebuilt only when a source, resource, ABI or pom of the modules they hold changed since the last build.
DEMO_STAMP := target/.demo-build
DEMO_INPUTS = $(shell find pom.xml abi indexer keeper demo -path '*/target' -prune -o -type f -print)
# a stamp without its jars (./mvnw clean) does not count
_ := $(shell ls indexer/target/*-all.jar keeper/target/*-all.jar demo/target/classpath.txt >/dev/null 2>&1 \
	|| rm -f $(DEMO_STAMP))
$(DEMO_STAMP): $(DEMO_INPUTS)
	@[ -n "$(JDK)" ] || tools/find-jdk.sh
	@echo "==> building the indexer, keeper and demo jars (Maven; skipped next time if nothing changed)"
	$(MVN) -q -pl indexer,keeper,demo -am package -DskipTests
	@mkdir -p $(@D) && touch $@

demo-build: build $(DEMO_STAMP)
	bash tools/ensure-postgres.sh

demo: demo-build
	"$(JDK)/bin/java" $(UNSAFE_FLAG) -cp "demo/target/classes:$$(cat demo/target/classpath.txt)" \
	  io.isomargin.demo.DemoMain --chain $(CHAIN) $(DEMO_ARGS)

up: demo-build
	"$(JDK)/bin/java" $(UNSAFE_FLAG) -cp "demo/target/classes:$$(cat demo/target/classpath.txt)" \
	  io.isomargin.demo.DemoMain --chain $(CHAIN) --keep-running $(DEMO_ARGS)

# The release an operator installs (dist/README.md inside says how).
VERSION := $(shell sed -n 's|^  <version>\(.*\)</version>$$|\1|p' pom.xml | head -1)
DIST := target/dist/isomargin-$(VERSION)

dist: $(DEMO_STAMP)
	@echo "==> packaging $(DIST).tar.gz"
	rm -rf $(DIST) $(DIST).tar.gz && mkdir -p $(DIST)/lib $(DIST)/config
	cp -r dist/bin dist/systemd dist/monitoring $(DIST)/
	cp dist/README.md LICENSE $(DIST)/
	cp indexer/target/isomargin-indexer-$(VERSION)-all.jar $(DIST)/lib/isomargin-indexer.jar
	cp keeper/target/isomargin-keeper-$(VERSION)-all.jar $(DIST)/lib/isomargin-keeper.jar
	cp indexer/indexer.example.yaml keeper/keeper.example.yaml $(DIST)/config/
	tar -C target/dist -czf $(DIST).tar.gz isomargin-$(VERSION)
	@echo "dist: $(DIST).tar.gz ($$(du -h $(DIST).tar.gz | cut -f1))"

TEST_DIST_ARGS ?= --vaults 150 --crash-steps 2 --database isomargin_demo_dist
test-dist: dist demo-build
	JAVA_BIN="$(JDK)/bin/java" UNSAFE_FLAG="$(UNSAFE_FLAG)" bash dist/check-dist.sh $(DIST).tar.gz $(TEST_DIST_ARGS)

clean:
	rm -rf contracts/out contracts/cache contracts/broadcast target abi/target
