#!/usr/bin/env bash
# Exercises the cargo-generate template (template/): for each combination of template values below, generates a
# pattern with `cargo xtask new` and checks it the way a pull request checks a pattern: no Liquid left unrendered,
# rustfmt, clippy and the unit tests of its Lambda crate, `cargo xtask validate`, and a local `cargo xtask test`
# (deploy + verify + destroy, for every IaC flavour the pattern has).
#
# CI runs it (.github/workflows/template.yml); run it the same way locally, from anywhere in the repository:
#
#   .github/scripts/template-matrix.sh               # every combination (the full matrix)
#   .github/scripts/template-matrix.sh --quick       # the quick subset (what `cargo xtask ci` runs)
#   .github/scripts/template-matrix.sh 'sqs-*' alb-sam  # the named combinations (shell patterns allowed)
#   .github/scripts/template-matrix.sh --list [--quick]  # the names of the combinations
#
# Needs cargo-generate at the version `cargo xtask setup` installs, and the project's other tools (`cargo xtask setup`).
#
# How: every combination is generated first (and checked alone for Liquid and rustfmt), then the generated ones
# are checked together, as the collection's own patterns are: one test build of their crates that clippy lints, one
# `cargo xtask validate`, one `cargo xtask test` (four at a time in one local cloud). When a step fails together,
# each combination runs that step alone, so the summary names the ones that failed; the run fails all the same if
# they then all pass (a failure only together is a failure).
#
# The scratch location: a combination `<c>` is generated as patterns/tc-<c>/ (git-ignored); every one is removed at
# the end, also after a failure or Ctrl-C, and Cargo.lock (which the build extends) is restored. The checkout is
# left as it was. A failing combination does not stop the others: the summary at the end lists each combination's
# result, and the exit status is non-zero if any failed.
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
created=()
local_cloud_was_up=""
if xtask local status --json 2>/dev/null | grep -q '"state": "running"'; then
  local_cloud_was_up=yes
fi
cleanup() {
  local status=$?
  local name
  for name in "${created[@]}"; do
    rm -rf "patterns/tc-$name" "patterns/.new-tc-$name"
  done
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

# Generates one combination and checks it alone: no Liquid left, rustfmt. Returns non-zero at the first failure.
generate() {
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
  cargo fmt --manifest-path "$dir/functions/handler/Cargo.toml" --check
}

# The steps run over the generated patterns together (each takes pattern names; a crate is named as its pattern).
# Clippy lints the generated crates inside their test build, as `cargo xtask ci` lints the workspace
# (xtask/src/ci.rs, `with_clippy`, with the same lints and .cargo/lint-build.toml; a repository test checks it):
# their dependencies compile once instead of once more in check mode.
clippy_driver="$(rustc --print sysroot)/bin/clippy-driver"
[[ -x "$clippy_driver" ]] || fail "$clippy_driver is missing. Fix: rustup component add clippy"
# Built as the whole workspace (`--workspace --all-targets`, as ci's test build): selected with `-p`, the generated
# crates alone resolved lambda_http, aws_lambda_events and tokio with fewer features than the workspace does, and
# the whole shared tree (tokio, hyper, rustls, serde, ...) compiled again (~250 CPU-seconds). Then only their test
# executables run, each from its crate's folder as cargo runs it.
lint_and_unit_tests() {
  local package messages executable manifest status=0 ran
  messages="$(RUSTC_WORKSPACE_WRAPPER="$clippy_driver" CLIPPY_ARGS=-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__ \
    cargo test --quiet --workspace --all-targets --no-run --config .cargo/lint-build.toml \
    --message-format=json-render-diagnostics)" || return 1
  for package; do
    ran=0
    while IFS= read -r line; do
      executable="$(grep -o '"executable":"[^"]*"' <<<"$line" | cut -d'"' -f4)"
      manifest="$(grep -o '"manifest_path":"[^"]*"' <<<"$line" | cut -d'"' -f4)"
      [[ -n "$executable" && -n "$manifest" ]] || continue
      ran=$((ran + 1))
      (cd "$(dirname "$manifest")" && "$executable" --quiet) || status=1
    done < <(grep -F "\"manifest_path\":\"$root/patterns/$package/" <<<"$messages" | grep -F '"test":true')
    if [[ $ran -eq 0 ]]; then
      echo "template-matrix: cargo built no test executable of $package" >&2
      status=1
    fi
  done
  return $status
}
validate() {
  xtask validate "$@"
}
lifecycle() {
  xtask test "$@"
}

declare -A outcome=()
passing=()
failed_together=()
started_all=$SECONDS
for combination in "${selected[@]}"; do
  IFS='|' read -r name trigger iac dynamodb arch memory <<<"$combination"
  created+=("$name")
  echo
  if generate "$name" "$trigger" "$iac" "$dynamodb" "$arch" "$memory"; then
    passing+=("$name")
  else
    outcome[$name]="FAIL (generate)"
  fi
done

# Runs step `$1` (a function above) over the passing combinations together; if it fails, over each alone.
together() {
  local step=$1 started=$SECONDS name
  local ok=()
  [[ ${#passing[@]} -gt 0 ]] || return 0
  echo
  echo "==> $step: ${passing[*]}"
  if "$step" "${passing[@]/#/tc-}"; then
    echo "==> $step: passed in $((SECONDS - started)) s"
    return 0
  fi
  echo "==> $step failed together; each combination alone, to name the ones that fail:"
  for name in "${passing[@]}"; do
    if "$step" "tc-$name"; then
      ok+=("$name")
    else
      outcome[$name]="FAIL ($step)"
    fi
  done
  if [[ ${#ok[@]} -eq ${#passing[@]} ]]; then
    failed_together+=("$step")
  fi
  passing=("${ok[@]}")
}
together lint_and_unit_tests
together validate
together lifecycle
for name in "${passing[@]}"; do
  outcome[$name]=pass
done

echo
echo "template-matrix: ${#selected[@]} combination(s) in $((SECONDS - started_all)) s"
failed=()
for combination in "${selected[@]}"; do
  name="$(name_of "$combination")"
  printf '  %-26s %s\n' "$name" "${outcome[$name]}"
  [[ "${outcome[$name]}" == pass ]] || failed+=("$name")
done
if [[ ${#failed_together[@]} -gt 0 ]]; then
  fail "failed together, passed alone: ${failed_together[*]}"
fi
if [[ ${#failed[@]} -gt 0 ]]; then
  fail "${#failed[@]} combination(s) failed: ${failed[*]}"
fi
