#!/usr/bin/env bash
# Style and static checks (Debian's clang-format-15 and clang-tidy-15, installed
# by scripts/setup.sh), run by the test command:
#   - every C++ file under src/, tests/ and bench/ must be formatted as .clang-format says;
#   - every C++ file under src/ changed since BASE must pass .clang-tidy (the
#     project's rules, including no function over 60 lines).
# BASE is $WINSTON_LINT_BASE, else HEAD~1 (the last commit's files). `--all`
# checks every file under src/ with clang-tidy (several minutes on 2 cores);
# `--fix` formats every file in place.
# Needs build/debug/compile_commands.json (cmake --preset debug).
set -euo pipefail
cd "$(dirname "$0")/.."

all=false
fix=false
case ${1:-} in
  --all) all=true ;;
  --fix) fix=true ;;
esac

mapfile -t sources < <(git ls-files -- 'src/*.cpp' 'src/*.hpp' 'tests/*.cpp' 'tests/*.hpp' 'bench/*.cpp' 'bench/*.hpp')
if $fix; then
  clang-format-15 -i "${sources[@]}"
  echo "lint: formatted ${#sources[@]} files"
  exit 0
fi
echo "lint: clang-format on ${#sources[@]} files"
if ! clang-format-15 --dry-run -Werror "${sources[@]}"; then
  echo "lint: formatting differs; run: clang-format-15 -i FILE (or scripts/lint.sh --fix)" >&2
  exit 1
fi

if $all; then
  mapfile -t changed < <(git ls-files -- 'src/*.cpp')
else
  base=${WINSTON_LINT_BASE:-HEAD~1}
  if ! git rev-parse -q --verify "$base^{commit}" >/dev/null; then
    echo "lint: no commit $base to compare with; clang-tidy skipped"
    exit 0
  fi
  # Changed sources, and for a changed header the source beside it (headers
  # are checked through the files that include them, .clang-tidy HeaderFilterRegex).
  mapfile -t changed < <(git diff --name-only --diff-filter=d "$base" -- 'src/*.cpp' 'src/*.hpp' |
    sed 's/\.hpp$/.cpp/' | sort -u | while read -r f; do [[ -f $f ]] && echo "$f"; done)
fi
# Generated or data-only translation units are not ours to lint.
if ((${#changed[@]} == 0)); then
  echo "lint: no changed sources under src/ since ${base:-}; clang-tidy skipped"
  exit 0
fi
echo "lint: clang-tidy on ${#changed[@]} files"
printf '%s\n' "${changed[@]}" |
  xargs -P "$(nproc)" -n 1 clang-tidy-15 -p build/debug --quiet 2> >(grep -v "warnings generated" >&2)
echo "lint: ok"
