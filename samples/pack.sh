#!/usr/bin/env bash
# Packs the Ferry library into samples/feed and builds the samples against that package, as a user's project
# would (samples/nuget.config names only that feed; a private package cache, so no older Ferry stands in).
# --no-build packs the library as last built (dotnet build -c Release), as the test does: it runs after the build, and
# must not rebuild src/Ferry while another test packs the CLI from the same folders.
set -euo pipefail
pack_args=()
if [[ "${1:-}" == "--no-build" ]]; then pack_args+=(--no-build); fi
here="$(cd "$(dirname "$0")" && pwd)"
rm -rf "$here/feed" "$here/.packages"
dotnet pack "$here/../src/Ferry" -c Release -o "$here/feed" --nologo -v q "${pack_args[@]}"
export NUGET_PACKAGES="$here/.packages"
for sample in KeyValue ChatBot; do
  dotnet build "$here/$sample" -c Release --nologo -v q
done
echo "built: $here/KeyValue/bin/Release/net10.0/kv and $here/ChatBot/bin/Release/net10.0/chatbot"
