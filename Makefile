# SPDX-License-Identifier: MIT
# Convenience front for CMake: every target configures and builds first.
BUILD ?= build
CMAKE_FLAGS ?=
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all check check-sanitize demo bench install clean

all: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j2

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

check: all
	cmake --build $(BUILD) --target check

# The demo builds only what it runs, with the build's output kept in a log
# that is shown only when the build fails.
demo:
	@echo "== building tangle and the example (log: $(BUILD)/demo-build.log)"
	@mkdir -p $(BUILD) && { [ -f $(BUILD)/CMakeCache.txt ] || cmake -S . -B $(BUILD) $(CMAKE_FLAGS); } >$(BUILD)/demo-build.log 2>&1 && \
	    cmake --build $(BUILD) -j2 --target tangle tangle_preload bank >>$(BUILD)/demo-build.log 2>&1 || \
	    { tail -n 40 $(BUILD)/demo-build.log; echo "== the build failed; the whole log is $(BUILD)/demo-build.log"; exit 1; }
	@sh examples/live/demo.sh $(BUILD)/bin/tangle $(BUILD)/examples/bank

bench: all
	cmake --build $(BUILD) --target bench

# Installs the tangle command, libtangle, libtangle-tasks, headers,
# pkg-config files, the CMake package, man pages and bash completion under
# PREFIX (default /usr/local); DESTDIR stages the install for packaging.
install: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j2 --target tangle tangle_preload tangle_tasks
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD)

# The same suite with tangle itself built under ASan and UBSan.
check-sanitize:
	$(MAKE) check BUILD=build-asan CMAKE_FLAGS=-DTANGLE_SANITIZE=ON
