#!/bin/sh
# The README's test command: installs what is missing, builds with AddressSanitizer and
# UndefinedBehaviorSanitizer (warnings are errors), and runs the whole suite through ctest.
# Extra arguments go to ctest (e.g. -L unit, -R protocol).
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCLINIC_ASAN=ON -DCLINIC_UBSAN=ON -DCLINIC_WERROR=ON >/dev/null
cmake --build build-test
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ctest --test-dir build-test --output-on-failure -j "$(nproc)" "$@"
# The libFuzzer targets (docs/FUZZING.md): their own clang build, instrumented for coverage with
# ASan and UBSan, each target fuzzed for 30 s on a scratch copy of its corpus. Skipped when
# arguments picked part of the suite above.
if [ "$#" -eq 0 ]; then
    CC=clang cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCLINIC_FUZZ=ON -DCLINIC_WERROR=ON >/dev/null
    cmake --build build-fuzz --target fuzz
    ctest --test-dir build-fuzz -L fuzz --output-on-failure -j "$(nproc)"
fi
