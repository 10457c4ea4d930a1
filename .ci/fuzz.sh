#!/usr/bin/env bash
# Fuzzing in CI (issue 4, item 7): builds the cargo-fuzz targets in fuzz/ with AddressSanitizer on
# the STABLE toolchain and runs each for NP700_FUZZ_SECS seconds (default 60), starting from its
# committed corpus. Any crash, sanitizer report, leak, timeout or out-of-memory fails the script.
#
# cargo-fuzz builds with `-Zsanitizer=address` and other unstable rustc flags; RUSTC_BOOTSTRAP=1
# lets the stable compiler take them (stable ships the ASan runtime for x86_64 Linux). A nightly
# may be installed on a machine, but CI must not depend on one, so the toolchain is forced.
#
# A crash leaves its input in fuzz/artifacts/<target>/; keep it in fuzz/regressions/<target>/,
# which plain `cargo test` replays (tests/fuzz_regressions.rs), and fix the bug.
#
# Time on the 2-core machine: 60 s per target (six) and their starts, 6 min 20 s with cargo-fuzz
# and the build already there (measured under load), about 10 min from scratch (cargo-fuzz install
# 1 min, build 2.5 min).
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
SECS=${NP700_FUZZ_SECS:-60}

# One line per target: its name, then any libFuzzer options of its own.
TARGETS=(
  "number_parse"
  "journal_decode -max_len=4096 -malloc_limit_mb=256"
  "crash_recover -max_len=1024"
  "registry_ops -max_len=512"
  "c_abi -max_len=2048"
  "c_abi_controls -max_len=2048"
)

export RUSTUP_TOOLCHAIN=stable
export CARGO_TERM_COLOR=never

if [[ "$(cargo fuzz --version 2>/dev/null || true)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]]; then
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi
export RUSTC_BOOTSTRAP=1
rustc --version
cargo fuzz --version

# One build for every target (they share the np700 build).
cargo fuzz build --sanitizer address

logs=fuzz/target/logs
mkdir -p "$logs"
failed=()
for line in "${TARGETS[@]}"; do
  read -r target options <<<"$line"
  # New inputs go to a scratch directory; the committed corpus and regression inputs (also run
  # under ASan here) are only read.
  scratch=$(mktemp -d)
  seeds=()
  for dir in "fuzz/corpus/$target" "fuzz/regressions/$target"; do
    if [[ -d "$dir" ]]; then seeds+=("$dir"); fi
  done
  echo "--- $target: ${SECS}s"
  # shellcheck disable=SC2086 # options are separate libFuzzer flags
  if cargo fuzz run "$target" --sanitizer address "$scratch" "${seeds[@]}" -- \
      -max_total_time="$SECS" -timeout=20 -rss_limit_mb=3072 -print_final_stats=1 $options \
      >"$logs/$target.log" 2>&1; then
    grep -E '^#[0-9]+[[:space:]]+DONE|^stat::number_of_executed_units|^stat::average_exec_per_sec' \
      "$logs/$target.log" || true
  else
    failed+=("$target")
    # The panic or sanitizer report, then how libFuzzer ended (the log before it is progress).
    grep -m 3 -A 4 -E 'panicked at|ERROR: (Address|Leak)Sanitizer|ERROR: libFuzzer' \
      "$logs/$target.log" || true
    tail -n 25 "$logs/$target.log"
    echo "$target FAILED: input in fuzz/artifacts/$target/ (full log: $logs/$target.log)"
  fi
  rm -rf "$scratch"
done

if ((${#failed[@]})); then
  echo "fuzzing failed: ${failed[*]}"
  exit 1
fi
echo "fuzzing: ${#TARGETS[@]} targets, ${SECS}s each, no crash"
