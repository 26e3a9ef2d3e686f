#!/usr/bin/env bash
# Regenerates the public API listings of the library packages (src/Gpt.Kernels, src/Gpt.Sdk and src/Gpt.Sdk.MLTokenizers:
# PublicAPI.Unshipped.txt) from the code, with Microsoft.CodeAnalysis.PublicApiAnalyzers' own code fix for RS0016, then
# builds them to show that the listings and the code agree. Run it after a deliberate public change, or after a merge that brings one;
# then `git diff -- '*PublicAPI*.txt'` is the API change to review and commit.
#
# PublicAPI.Shipped.txt is left alone: it is empty until the first release, which moves the unshipped lines into it.
# After that, removing a shipped symbol needs a `*REMOVED*` line in PublicAPI.Unshipped.txt by hand (RS0017 has no
# code fix), and the build below says which.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

for project in src/Gpt.Kernels src/Gpt.Sdk src/Gpt.Sdk.MLTokenizers; do
  # Start from an empty unshipped list, so symbols that are gone drop out too; the code fix then adds every
  # public symbol that is not in the shipped list, in the analyzer's own order.
  printf '#nullable enable\n' > "$project/PublicAPI.Unshipped.txt"
  dotnet format analyzers "$project" --diagnostics RS0016 --severity warn
done

# Building Gpt.Sdk.MLTokenizers builds Gpt.Sdk and Gpt.Kernels too; RS0016/RS0017 are errors, so this fails if anything
# is still unlisted.
dotnet build src/Gpt.Sdk.MLTokenizers -c Release -nologo -clp:NoSummary -v quiet
git --no-pager diff --stat -- src/Gpt.Kernels/PublicAPI.Unshipped.txt src/Gpt.Sdk/PublicAPI.Unshipped.txt src/Gpt.Sdk.MLTokenizers/PublicAPI.Unshipped.txt
