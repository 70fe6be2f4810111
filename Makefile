# dtqvp: the two commands of the README.
#   make run   installs missing Debian packages, builds, runs scenarios/default.yaml
#   make test  the same set-up, then builds and runs the whole test suite (ctest)
#   make bench the same set-up, then the benchmarks of bench/bench.yaml (bench/results.json)
BUILD ?= build
JOBS  ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build run test test-sanitize fuzz bench bench-cg package install mutate clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/dtqvp run scenarios/default.yaml --out $(BUILD)/out/default

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# A Debian package of dtqvp (binary, scenarios, Python module) in $(BUILD)/dtqvp_*.deb
# (docs/user-guide.md#installing); PREFIX=dir make install installs into a prefix.
package: build
	cmake --build $(BUILD) --target package

PREFIX ?= /usr/local
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# Benchmarks (docs/performance.md#benchmarks): the entries of bench/bench.yaml; writes
# bench/results.json and prints a table. BENCH_ARGS: e.g. --quick, --only sweep.scaling.
# The instruction counts (callgrind) come from CG_BUILD, the same sources built for
# x86-64-v3 (AVX2): valgrind 3.19 cannot run the AVX-512 code of a -march=native build.
CG_BUILD ?= build-cg
bench: build bench-cg
	/usr/bin/python3 bench/run_bench.py --build $(BUILD) --cg-build $(CG_BUILD) $(BENCH_ARGS)

bench-cg:
	cmake -S . -B $(CG_BUILD) -G Ninja -DDTQ_NATIVE=OFF -DDTQ_COSIM=OFF -DDTQ_TESTS=OFF \
	  -DCMAKE_CXX_FLAGS=-march=x86-64-v3 -DCMAKE_C_FLAGS=-march=x86-64-v3
	cmake --build $(CG_BUILD) -j $(JOBS) --target dtqvp

# Mutation testing (docs/testing.md#mutation-testing), by hand or scheduled, not in CI: each
# mutation of tools/mutate.py applied, rebuilt, its tests run, restored; writes
# docs/mutation-results.md. MUTATE_ARGS: e.g. --full, or mutation ids.
mutate: build
	/usr/bin/python3 tools/mutate.py --build $(BUILD) --jobs $(JOBS) --report docs/mutation-results.md $(MUTATE_ARGS)

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer (any report fails a test).
test-sanitize:
	$(MAKE) test BUILD=build-asan CMAKE_FLAGS="-DDTQ_SANITIZE=ON $(CMAKE_FLAGS)"

# libFuzzer harnesses of the scenario loader and the command decoder (clang, optional, not
# in CI): builds build-fuzz and runs each for FUZZ_SECONDS; findings land in build-fuzz/
# as crash-* files (docs/errors.md#fuzzing).
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
fuzz: deps
	@command -v clang++ >/dev/null && ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 || \
	  { echo "make fuzz needs clang and libFuzzer: apt-get install clang libclang-rt-14-dev"; exit 1; }
	cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDTQ_FUZZ=ON -DDTQ_TESTS=OFF -DDTQ_COSIM=OFF $(CMAKE_FLAGS)
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_config fuzz_command
	mkdir -p $(FUZZ_BUILD)/corpus/config $(FUZZ_BUILD)/corpus/command
	cp scenarios/*.yaml scenarios/presets/*.yaml $(FUZZ_BUILD)/corpus/config/
	cd $(FUZZ_BUILD) && ./fuzz/fuzz_config -max_total_time=$(FUZZ_SECONDS) -max_len=4096 corpus/config
	cd $(FUZZ_BUILD) && ./fuzz/fuzz_command -max_total_time=$(FUZZ_SECONDS) -max_len=72 corpus/command

clean:
	rm -rf $(BUILD)
