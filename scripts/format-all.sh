#!/bin/sh
# Rewrites the whole tree to the lint and format rules: eslint's safe fixes first, then prettier
# (last, so that whatever a fix changed is laid out too), then a typecheck. Run it on a clean tree
# after merging, review `git diff`, commit the result on its own. eslint prints the problems it
# cannot fix; they need a person, and this script fails while any remain.
set -u
cd "$(dirname "$0")/.."
status=0
npx eslint --fix . || status=$?
# Twice: on some method chains prettier's first pass is not its last word (one file here).
npx prettier --write --log-level warn . && npx prettier --write --log-level warn . || exit $?
npx prettier --check --log-level warn . || exit $?
npx tsc -p tsconfig.json --noEmit || exit $?
git diff --shortstat
exit "$status"
