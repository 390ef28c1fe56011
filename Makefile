# Convenience front for CMake: every target configures and builds first.
BUILD ?= build
CMAKE_FLAGS ?=

.PHONY: all check check-sanitize demo bench clean

all: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j2

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

check: all
	cmake --build $(BUILD) --target check

demo: all
	cmake --build $(BUILD) --target demo

bench: all
	cmake --build $(BUILD) --target bench

clean:
	rm -rf $(BUILD)

# The same suite with tangle itself built under ASan and UBSan.
check-sanitize:
	$(MAKE) check BUILD=build-asan CMAKE_FLAGS=-DTANGLE_SANITIZE=ON
