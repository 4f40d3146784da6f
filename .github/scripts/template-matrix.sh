#!/usr/bin/env bash
# Exercises the cargo-generate template (template/): for each combination of template values below, generates a
# pattern with `cargo xtask new` and checks it the way a pull request checks a pattern: no Liquid left unrendered,
# rustfmt, clippy and the unit tests of its Lambda crate, `cargo xtask validate`, and a local `cargo xtask test`
# (deploy + verify + destroy, for every IaC flavour the pattern has).
#
# CI runs it (.github/workflows/template.yml); run it the same way locally, from anywhere in the repository:
#
#   .github/scripts/template-matrix.sh               # every combination (the full matrix, about 55 minutes here)
#   .github/scripts/template-matrix.sh --quick       # the quick subset (what `cargo xtask ci` runs)
#   .github/scripts/template-matrix.sh 'sqs-*' alb-sam  # the named combinations (shell patterns allowed)
#   .github/scripts/template-matrix.sh --list [--quick]  # the names of the combinations
#
# Needs cargo-generate at the version `cargo xtask setup` installs, and the project's other tools (`cargo xtask setup`).
#
# The scratch location: a combination `<c>` is generated as patterns/tc-<c>/ (git-ignored) and removed as soon as
# it has been checked, also after a failure or Ctrl-C; Cargo.lock (which the build extends) is restored at the
# end. The checkout is left as it was. A failing combination does not stop the others: the summary at the end
# lists each combination's result and time, and the exit status is non-zero if any failed.
set -euo pipefail

# One combination a line: `name|trigger|iac|dynamodb|arch|memory`. The names are `<trigger>-<iac>[-ddb]`; the
# DynamoDB variants also take the other architecture and memory value, so every value of every placeholder is
# generated somewhere. Keep in step with template/cargo-generate.toml (`cargo xtask new --help`).
COMBINATIONS=()
for trigger in rest-api alb sqs eventbridge s3; do
  for iac in terraform sam both; do
    COMBINATIONS+=("$trigger-$iac|$trigger|$iac|no|x86_64|128")
    COMBINATIONS+=("$trigger-$iac-ddb|$trigger|$iac|yes|arm64|512")
  done
done

# The quick subset: every trigger and every IaC value once, a table once. SQS with SAM is left out because
# `cargo xtask ci` runs it already, as its template sample (`cargo xtask new orders-queue --iac sam --trigger sqs`).
QUICK=(rest-api-terraform-ddb eventbridge-both s3-sam alb-sam)

fail() {
  echo "template-matrix: error: $*" >&2
  exit 1
}

name_of() {
  echo "${1%%|*}"
}

quick=""
list=""
wanted=()
for arg in "$@"; do
  case "$arg" in
    --quick) quick=yes ;;
    --list) list=yes ;;
    -*) fail "unknown option '$arg'; the options are --quick and --list" ;;
    *) wanted+=("$arg") ;;
  esac
done
if [[ -n "$quick" && ${#wanted[@]} -gt 0 ]]; then
  fail "give --quick or combination names, not both"
fi
if [[ -n "$quick" ]]; then
  wanted=("${QUICK[@]}")
fi

# The combinations to run: those matching a wanted name or shell pattern, or all.
selected=()
if [[ ${#wanted[@]} -eq 0 ]]; then
  selected=("${COMBINATIONS[@]}")
else
  for pattern in "${wanted[@]}"; do
    found=""
    for combination in "${COMBINATIONS[@]}"; do
      # shellcheck disable=SC2053 # a shell pattern on purpose
      if [[ "$(name_of "$combination")" == $pattern ]]; then
        selected+=("$combination")
        found=yes
      fi
    done
    if [[ -z "$found" ]]; then
      fail "no combination matches '$pattern'; \`$0 --list\` shows them"
    fi
  done
fi

if [[ -n "$list" ]]; then
  for combination in "${selected[@]}"; do
    name_of "$combination"
  done
  exit 0
fi

root="$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)"
cd "$root"

[[ -f template/cargo-generate.toml ]] || fail "template/cargo-generate.toml is missing: there is no template to exercise"
command -v cargo-generate >/dev/null 2>&1 ||
  fail "cargo-generate is not installed. Fix: cargo xtask setup (it installs the pinned version)"

xtask() {
  cargo xtask "$@"
}

scratch="$(mktemp -d)"
cp Cargo.lock "$scratch/Cargo.lock"
current=""
local_cloud_was_up=""
if xtask local status --json 2>/dev/null | grep -q '"state": "running"'; then
  local_cloud_was_up=yes
fi
cleanup() {
  local status=$?
  if [[ -n "$current" ]]; then
    rm -rf "patterns/$current" "patterns/.new-$current"
  fi
  cp "$scratch/Cargo.lock" Cargo.lock
  rm -rf "$scratch"
  if [[ -z "$local_cloud_was_up" ]]; then
    xtask local down >/dev/null 2>&1 || true
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Liquid that cargo-generate did not render (`{{`, `{%`), except GitHub Actions' `${{ ... }}`.
unrendered() {
  grep -rnE '(^|[^$])\{\{|\{%' "$1" || true
}

# Checks one combination; prints each step; returns non-zero at the first failing step.
check() {
  local name=$1 trigger=$2 iac=$3 dynamodb=$4 arch=$5 memory=$6
  local pattern="tc-$name" flags=()
  [[ "$dynamodb" == yes ]] && flags+=(--dynamodb)
  local dir="patterns/$pattern"
  [[ ! -e "$dir" ]] || rm -rf "$dir" # left by an interrupted run

  echo "==> $name: cargo xtask new $pattern --trigger $trigger --iac $iac ${flags[*]} --arch $arch --memory $memory"
  xtask new "$pattern" --trigger "$trigger" --iac "$iac" "${flags[@]}" --arch "$arch" --memory "$memory" >/dev/null || return 1
  local residue
  residue="$(unrendered "$dir")"
  if [[ -n "$residue" ]]; then
    echo "$name: unrendered Liquid in the generated pattern:" >&2
    echo "$residue" >&2
    return 1
  fi
  local manifest="$dir/functions/handler/Cargo.toml"
  echo "==> $name: rustfmt, clippy and unit tests"
  cargo fmt --manifest-path "$manifest" --check || return 1
  cargo clippy --quiet --manifest-path "$manifest" --all-targets -- -D warnings || return 1
  cargo test --quiet --manifest-path "$manifest" || return 1
  echo "==> $name: cargo xtask validate $pattern"
  xtask validate "$pattern" || return 1
  echo "==> $name: cargo xtask test $pattern (local deploy, verify, destroy)"
  xtask test "$pattern" || return 1
}

results=()
failed=()
started_all=$SECONDS
for combination in "${selected[@]}"; do
  IFS='|' read -r name trigger iac dynamodb arch memory <<<"$combination"
  current="tc-$name"
  echo
  started=$SECONDS
  if check "$name" "$trigger" "$iac" "$dynamodb" "$arch" "$memory"; then
    result=pass
  else
    result=FAIL
    failed+=("$name")
  fi
  rm -rf "patterns/$current"
  current=""
  results+=("$(printf '%-26s %-4s %5ss' "$name" "$result" "$((SECONDS - started))")")
  echo "==> $name: $result in $((SECONDS - started)) s"
done

echo
echo "template-matrix: ${#selected[@]} combination(s) in $((SECONDS - started_all)) s"
printf '  %s\n' "${results[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  fail "${#failed[@]} combination(s) failed: ${failed[*]}"
fi
