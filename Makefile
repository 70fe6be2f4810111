# dtqvp: the two commands of the README.
#   make run   installs missing Debian packages, builds, runs scenarios/default.yaml
#   make test  the same set-up, then builds and runs the whole test suite (ctest)
BUILD ?= build
JOBS  ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build run test test-sanitize bench clean

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

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer (any report fails a test).
test-sanitize:
	$(MAKE) test BUILD=build-asan CMAKE_FLAGS="-DDTQ_SANITIZE=ON $(CMAKE_FLAGS)"

clean:
	rm -rf $(BUILD)
