#!/usr/bin/env bash
# Coverage-guided fuzzing of one parser with afl++ and SharpFuzz (fuzz/Ferry.Fuzz/FuzzTargets.cs says what each
# target checks). Usage: fuzz/run.sh TARGET SECONDS   (targets: frame json scram sntp udpchat path redis)
# Needs Debian's afl++ (apt-get install afl++); installs the sharpfuzz tool (SharpFuzz.CommandLine 2.3.0) if missing.
# Findings go to $FUZZ_OUT/TARGET (default /tmp/ferry-fuzz); every crash is copied to
# tests/Ferry.Tests/Fuzz/corpus/TARGET/, which the test suite replays (CorpusReplayTests), and the figures
# (execs, paths, coverage, crashes) are printed at the end.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${1:?usage: fuzz/run.sh TARGET SECONDS}"; seconds="${2:?usage: fuzz/run.sh TARGET SECONDS}"
[ -d "$root/fuzz/seeds/$target" ] || { echo "fuzz: no target '$target' (no fuzz/seeds/$target)" >&2; exit 2; }
command -v afl-fuzz >/dev/null || { echo "fuzz: afl-fuzz is missing: apt-get install afl++" >&2; exit 1; }
export PATH="$PATH:$HOME/.dotnet/tools"
command -v sharpfuzz >/dev/null || dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0 >/dev/null
out="${FUZZ_OUT:-/tmp/ferry-fuzz}/$target"; build="${FUZZ_OUT:-/tmp/ferry-fuzz}/build-$target"
rm -rf "$build"; mkdir -p "$out"
dotnet publish "$root/fuzz/Ferry.Fuzz/Ferry.Fuzz.csproj" -c Release -o "$build" --nologo -v quiet >/dev/null
# Only the libraries are instrumented: coverage of Ferry's parsers, not of the harness or the runtime (the redis
# target's parsers are in Ferry.Redis.dll).
sharpfuzz "$build/Ferry.dll" >/dev/null
[ "$target" != redis ] || sharpfuzz "$build/Ferry.Redis.dll" >/dev/null
# A second run continues the first one's queue ('-i -'), so an interrupted campaign resumes.
input="$root/fuzz/seeds/$target"; [ -f "$out/findings/default/fuzzer_stats" ] && input=-
AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
  AFL_AUTORESUME=1 afl-fuzz -V "$seconds" -i "$input" -o "$out/findings" -x "$root/fuzz/json.dict" -t 5000 -m none \
  -- "$build/Ferry.Fuzz" "$target" >"$out/afl.log" 2>&1 || { tail -30 "$out/afl.log" >&2; exit 1; }
stats="$out/findings/default/fuzzer_stats"
field() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
corpus="$root/tests/Ferry.Tests/Fuzz/corpus/$target"
crashes=0
for f in "$out"/findings/default/crashes/id:*; do
  [ -e "$f" ] || continue
  mkdir -p "$corpus"; cp "$f" "$corpus/crash-$(sha1sum "$f" | cut -c1-12)"; crashes=$((crashes + 1))
done
echo "$target: $(field run_time) s, $(field execs_done) execs ($(field execs_per_sec)/s), paths $(field corpus_count)" \
  "(found $(field corpus_found)), coverage $(field bitmap_cvg), crashes $(field saved_crashes), hangs $(field saved_hangs)"
[ "$crashes" -eq 0 ] || echo "$target: $crashes crash input(s) copied to ${corpus#"$root"/}; replay: dotnet run --project fuzz/Ferry.Fuzz -c Release -- $target ${corpus#"$root"/}"
