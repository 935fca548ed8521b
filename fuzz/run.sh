#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for a set time with cargo-fuzz (libFuzzer) and
# prints executions and crashes per target as a Markdown table, also saved to fuzz/last-run.md.
#
# Usage: fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
#   SECONDS_PER_TARGET  fuzzing time per target (default 300)
#   TARGET              default: markdown module_file quiz_file gift_import answer_payload
#                       credential_verify email_headers
#
# Exit status: 0 no crash, 1 a target crashed (inputs in fuzz/artifacts/<target>/) or stopped
# with an error, 2 the tools or the build failed.
#
# Optional environment:
#   FUZZ_SANITIZER=none      cargo fuzz --sanitizer; none is about twice as fast, and the code
#                            under test is safe Rust (address needs a nightly-capable rustc)
#   FUZZ_DEBUG_ASSERTIONS=1  build with debug assertions (integer overflow panics); 0 to skip
#   FUZZ_TIMEOUT=30          seconds one input may take before libFuzzer reports a hang
#   FUZZ_RSS_MB=2048         memory limit of the fuzzing process, MiB
#   FUZZ_ARGS="..."          more libFuzzer flags, e.g. "-max_len=65536"
#   FUZZ_TOOLCHAIN=stable    rustup toolchain (run with RUSTC_BOOTSTRAP=1 for cargo fuzz's flags)
set -uo pipefail
export LC_ALL=C

FUZZ_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$FUZZ_DIR")
ALL_TARGETS=(markdown module_file quiz_file gift_import answer_payload credential_verify email_headers)

usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

die() {
    echo "run.sh: $1" >&2
    exit "${2:-2}"
}

seconds=300
if [[ $# -gt 0 && ($1 == -h || $1 == --help) ]]; then
    usage
    exit 0
fi
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then
    seconds=$((10#$1))
    shift
fi
((seconds >= 1)) || die "SECONDS_PER_TARGET must be at least 1"
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=("${ALL_TARGETS[@]}")
fi
for t in "${targets[@]}"; do
    [[ " ${ALL_TARGETS[*]} " == *" $t "* ]] || die "unknown target '$t' (targets: ${ALL_TARGETS[*]})"
done

trap 'echo "run.sh: interrupted" >&2; exit 130' INT TERM

# Only stable is installed here; cargo fuzz passes a few nightly-only flags (e.g. for the
# sanitizers), which RUSTC_BOOTSTRAP=1 lets the stable compiler accept.
export RUSTC_BOOTSTRAP=1
if command -v rustup >/dev/null 2>&1; then
    export RUSTUP_TOOLCHAIN="${FUZZ_TOOLCHAIN:-${RUSTUP_TOOLCHAIN:-stable}}"
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "run.sh: installing cargo-fuzz (cargo install cargo-fuzz --locked)" >&2
    cargo install cargo-fuzz --locked || die "could not install cargo-fuzz"
fi

# The fuzz crate is its own workspace; start its lock file from the main one so the library is
# fuzzed with exactly the dependency versions it ships with.
if [[ ! -f $FUZZ_DIR/Cargo.lock && -f $ROOT/Cargo.lock ]]; then
    cp "$ROOT/Cargo.lock" "$FUZZ_DIR/Cargo.lock"
fi

build_flags=(--sanitizer "${FUZZ_SANITIZER:-none}")
if [[ ${FUZZ_DEBUG_ASSERTIONS:-1} != 0 ]]; then
    build_flags+=(--debug-assertions)
fi
# Linking dead code (cargo fuzz's default) drags in symbols nothing calls; skip it when the
# installed cargo-fuzz knows how.
if cargo fuzz build --help 2>/dev/null | grep -q -- '--strip-dead-code'; then
    build_flags+=(--strip-dead-code=true)
fi

cd "$ROOT" || die "cannot enter $ROOT"
mkdir -p "$FUZZ_DIR/target/logs"

for t in "${targets[@]}"; do
    echo "run.sh: building $t" >&2
    cargo fuzz build "${build_flags[@]}" "$t" || die "the build of $t failed"
done

# The crash, hang and out-of-memory inputs in a folder, sorted.
crash_files() {
    find "$1" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' \
        -o -name 'leak-*' \) -printf '%f\n' 2>/dev/null | sort
}

rows=()
found=()
failed=0
for t in "${targets[@]}"; do
    corpus=$FUZZ_DIR/corpus/$t
    artifacts=$FUZZ_DIR/artifacts/$t
    log=$FUZZ_DIR/target/logs/$t.log
    tmp=$FUZZ_DIR/target/tmp/$t
    mkdir -p "$corpus" "$artifacts"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    seeds=()
    if [[ -d $FUZZ_DIR/seeds/$t ]]; then
        seeds+=("$FUZZ_DIR/seeds/$t")
    fi
    case $t in
    markdown | module_file) seeds+=("$ROOT/course_content/modules") ;;
    quiz_file) seeds+=("$ROOT/course_content/quizzes") ;;
    esac
    before=$(crash_files "$artifacts")

    echo "run.sh: fuzzing $t for ${seconds} s (log: ${log#"$ROOT"/})" >&2
    start=$(date +%s)
    # New inputs go to the first folder (the corpus); the seed folders are only read. TMPDIR
    # holds the targets' scratch databases and content folders, removed after the run.
    # shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
    TMPDIR=$tmp cargo fuzz run "${build_flags[@]}" "$t" "$corpus" ${seeds[@]+"${seeds[@]}"} -- \
        -max_total_time="$seconds" -rss_limit_mb="${FUZZ_RSS_MB:-2048}" \
        -timeout="${FUZZ_TIMEOUT:-30}" -print_final_stats=1 ${FUZZ_ARGS:-} >"$log" 2>&1
    status=$?
    elapsed=$(($(date +%s) - start))
    rm -rf "$tmp"

    # libFuzzer's last words: "Done N runs in S second(s)" after a clean run; after a crash
    # only the final stats (-print_final_stats) or the last "#N" status line.
    done_line=$(grep -aoE 'Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n 1)
    if [[ -n $done_line ]]; then
        execs=$(awk '{ print $2 }' <<<"$done_line")
        secs=$(awk '{ print $5 }' <<<"$done_line")
    else
        execs=$(grep -aoE 'stat::number_of_executed_units: *[0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+$')
        if [[ -z $execs ]]; then
            execs=$(grep -aoE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')
        fi
        secs=$elapsed
    fi
    execs=${execs:-0}

    after=$(crash_files "$artifacts")
    new=$(comm -13 <(printf '%s\n' "$before" | sed '/^$/d') <(printf '%s\n' "$after" | sed '/^$/d'))
    crashes=$(printf '%s\n' "$new" | sed '/^$/d' | wc -l | tr -d ' ')
    result=$crashes
    if ((crashes > 0)); then
        failed=1
        while IFS= read -r f; do
            [[ -n $f ]] && found+=("fuzz/artifacts/$t/$f")
        done <<<"$new"
        echo "run.sh: $t crashed; input in fuzz/artifacts/$t/, log ${log#"$ROOT"/}" >&2
    elif ((status != 0)); then
        failed=1
        result="error (exit $status, see ${log#"$ROOT"/})"
        echo "run.sh: $t stopped with exit status $status; see ${log#"$ROOT"/}" >&2
    fi
    rows+=("| $t | $secs | $execs | $result |")
done

commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
{
    echo "## Fuzz run $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo
    echo "Commit \`$commit\`, ${seconds} s per target, sanitizer \`${FUZZ_SANITIZER:-none}\`," \
        "$(cargo fuzz --version 2>/dev/null), $(rustc --version 2>/dev/null)."
    echo
    echo "| target | seconds | executions | crashes |"
    echo "|---|---:|---:|---:|"
    printf '%s\n' "${rows[@]}"
    if ((${#found[@]} > 0)); then
        echo
        echo "Crash inputs (reproduce with \`cargo fuzz run <target> <file>\`, then keep each as a"
        echo "regression test in \`tests/fuzz_regressions/<target>/\`):"
        echo
        printf -- '- `%s`\n' "${found[@]}"
    fi
} | tee "$FUZZ_DIR/last-run.md"

exit "$failed"
