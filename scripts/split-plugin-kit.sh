#!/usr/bin/env bash
# Makes (or updates) a branch whose root is tollgate-plugin-kit/, with that
# folder's history: what to publish as its own repository so that plugin
# packages can depend on the kit by git URL. (SwiftPM fetches a package only
# from a repository whose root holds Package.swift; the kit is nested here.)
#
#   scripts/split-plugin-kit.sh [BRANCH]          default branch: plugin-kit
#
# Then push it to a repository NAMED tollgate-plugin-kit (SwiftPM names a URL
# dependency after the repository, so `package: "tollgate-plugin-kit"` stays
# the same as with the path form), and tag releases there:
#
#   git push <url>/tollgate-plugin-kit.git plugin-kit:main
#   git push <url>/tollgate-plugin-kit.git plugin-kit:refs/tags/1.3.0
set -euo pipefail
cd "$(dirname "$0")/.."
BRANCH="${1:-plugin-kit}"
commit="$(git subtree split -q --prefix=tollgate-plugin-kit)"
git branch -f "$BRANCH" "$commit"
echo "branch $BRANCH at $commit: the kit at the root ($(git ls-tree --name-only "$BRANCH" | tr '\n' ' '))"
