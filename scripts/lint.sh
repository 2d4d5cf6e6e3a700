#!/usr/bin/env bash
# Style and static checks (Debian's clang-format-15 and clang-tidy-15, installed
# by scripts/setup.sh), run by the test command on the C++ files changed since
# BASE:
#   - under src/, tests/ and bench/: formatted as .clang-format says;
#   - under src/: clean under .clang-tidy (the project's rules, including no
#     function over 60 lines).
# BASE is $WINSTON_LINT_BASE, else the commit in .lint-base (where the checks
# were introduced; files migrate to the format as they are touched). `--all`
# checks every file (clang-tidy takes several minutes on 2 cores); `--fix`
# formats the changed files in place.
# Needs build/debug/compile_commands.json (cmake --preset debug).
set -euo pipefail
cd "$(dirname "$0")/.."

all=false
fix=false
case ${1:-} in
  --all) all=true ;;
  --fix) fix=true ;;
esac

if $all; then
  mapfile -t sources < <(git ls-files -- 'src/*.cpp' 'src/*.hpp' 'tests/*.cpp' 'tests/*.hpp' 'bench/*.cpp' 'bench/*.hpp')
else
  base=${WINSTON_LINT_BASE:-$(cat .lint-base)}
  if ! git rev-parse -q --verify "$base^{commit}" >/dev/null; then
    echo "lint: commit $base is not in this clone (shallow?); checks skipped"
    exit 0
  fi
  mapfile -t sources < <(git diff --name-only --diff-filter=d "$base" -- 'src/*.cpp' 'src/*.hpp' 'tests/*.cpp' \
    'tests/*.hpp' 'bench/*.cpp' 'bench/*.hpp')
fi
if ((${#sources[@]} == 0)); then
  echo "lint: no C++ file changed since ${base:-}; nothing to check"
  exit 0
fi
if $fix; then
  clang-format-15 -i "${sources[@]}"
  echo "lint: formatted ${#sources[@]} files"
  exit 0
fi
echo "lint: clang-format on ${#sources[@]} files"
if ! clang-format-15 --dry-run -Werror "${sources[@]}"; then
  echo "lint: formatting differs; run scripts/lint.sh --fix" >&2
  exit 1
fi

# Sources under src/, and for a changed header the source beside it (headers
# are checked through the files that include them, .clang-tidy HeaderFilterRegex).
mapfile -t changed < <(printf '%s\n' "${sources[@]}" | grep '^src/' | sed 's/\.hpp$/.cpp/' | sort -u |
  while read -r f; do [[ -f $f ]] && echo "$f"; done)
if ((${#changed[@]} == 0)); then
  echo "lint: no source under src/ changed; clang-tidy skipped"
  exit 0
fi
echo "lint: clang-tidy on ${#changed[@]} files"
printf '%s\n' "${changed[@]}" |
  xargs -P "$(nproc)" -n 1 clang-tidy-15 -p build/debug --quiet 2> >(grep -v "warnings generated" >&2)
echo "lint: ok"
