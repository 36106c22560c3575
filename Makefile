# Front door for Avow. `make` builds into build/; `make test` runs the whole suite.
# Both first run scripts/setup.sh, which installs any missing Debian packages.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
PORT       ?= 8443
DATA       ?= avow-data

.PHONY: all setup build test asan fuzz run install clean format

all: build

setup:
	@bash scripts/setup.sh

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The same suite built with AddressSanitizer + UndefinedBehaviorSanitizer.
asan: setup
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DAVOW_SANITIZE=ON -DCMAKE_C_COMPILER=clang >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)

# libFuzzer targets; run each for FUZZ_SECONDS (see scripts/fuzz.sh).
fuzz: setup
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DAVOW_FUZZ=ON -DCMAKE_C_COMPILER=clang >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers
	@bash scripts/fuzz.sh $(FUZZ_BUILD)

# Installs the public headers (PREFIX/include/avow), the shared libavow.so.N,
# PREFIX/lib/pkgconfig/avow.pc, and the avow and avowd programs.
PREFIX ?= /usr/local
install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

# The main job: the attestation service on localhost with the embedded store.
# TRUST_ROOT=PEM also trusts a simulated root (README quick start); never Intel's
# evidence alone.
run: build
	@$(BUILD)/avowd --listen 127.0.0.1:$(PORT) --data $(DATA) $(if $(TRUST_ROOT),--trust-root $(TRUST_ROOT))

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
