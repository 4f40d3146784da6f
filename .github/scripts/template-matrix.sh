#!/usr/bin/env bash
# Exercises the cargo-generate template (template/): for each combination of template values below, generates a
# pattern into patterns/ and checks it the way a pull request checks a pattern: rustfmt, clippy and the unit tests
# of its Lambda crates, `cargo xtask validate`, and a local `cargo xtask test` (deploy + verify + destroy).
#
# CI runs it (.github/workflows/template.yml); run it the same way locally, from anywhere in the repository:
#
#   .github/scripts/template-matrix.sh              # every combination
#   .github/scripts/template-matrix.sh terraform    # only the named combination(s)
#   .github/scripts/template-matrix.sh --list       # the names of the combinations
#
# Needs cargo-generate (`cargo install cargo-generate --locked`) and the project's tools (`cargo xtask setup`).
# A generated pattern lives in patterns/template-check-<combination>/ only while it is checked: it is removed
# afterwards, also after a failure or Ctrl-C, and Cargo.toml and Cargo.lock are restored.
set -euo pipefail

# One combination a line: `name|values|lifecycle`, where values are the `--define key=value` pairs given to
# cargo-generate (space-separated) and lifecycle says whether to run the local deploy + verify + destroy.
# Keep the keys in step with the placeholders of template/cargo-generate.toml.
COMBINATIONS=(
  "terraform|iac=terraform|yes"
  # `cargo xtask deploy` cannot deploy SAM templates yet (xtask/src/deploy/mod.rs): lint, test and validate only.
  "sam|iac=sam|no"
)

fail() {
  echo "template-matrix: error: $*" >&2
  exit 1
}

names() {
  local combination
  for combination in "${COMBINATIONS[@]}"; do
    echo "${combination%%|*}"
  done
}

if [[ "${1:-}" == "--list" ]]; then
  names
  exit 0
fi

root="$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)"
cd "$root"

if [[ ! -f template/cargo-generate.toml ]]; then
  fail "template/cargo-generate.toml does not exist, so there is no cargo-generate template to exercise yet.
Fix: add the template under template/ (with its cargo-generate.toml), or stop running this script until then."
fi
if ! cargo generate --version >/dev/null 2>&1; then
  fail "cargo-generate is not installed. Fix: cargo install cargo-generate --locked"
fi

# The combinations to run: the named ones, or all.
selected=()
if [[ $# -eq 0 ]]; then
  selected=("${COMBINATIONS[@]}")
else
  for wanted in "$@"; do
    found=""
    for combination in "${COMBINATIONS[@]}"; do
      if [[ "${combination%%|*}" == "$wanted" ]]; then
        found="$combination"
      fi
    done
    [[ -n "$found" ]] || fail "unknown combination '$wanted'; the combinations are: $(names | tr '\n' ' ')"
    selected+=("$found")
  done
fi

scratch="$(mktemp -d)"
cp Cargo.toml Cargo.lock "$scratch/"
generated=()
cleanup() {
  local status=$?
  local dir
  for dir in "${generated[@]}"; do
    rm -rf "$dir"
  done
  cp "$scratch/Cargo.toml" "$scratch/Cargo.lock" .
  rm -rf "$scratch"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for combination in "${selected[@]}"; do
  IFS='|' read -r name values lifecycle <<<"$combination"
  pattern="template-check-$name"
  dir="patterns/$pattern"
  echo
  echo "==> $name: cargo generate ($values) into $dir"
  [[ ! -e "$dir" ]] || fail "$dir already exists; fix: remove it (it is left from an earlier run or is a real pattern)"
  defines=()
  for value in $values; do
    defines+=(--define "$value")
  done
  generated+=("$dir")
  cargo generate --path "$root/template" --name "$pattern" --destination "$root/patterns" \
    --vcs none --silent "${defines[@]}"
  [[ -f "$dir/pattern.toml" ]] || fail "$name: the template produced no $dir/pattern.toml"

  manifests=("$dir"/functions/*/Cargo.toml)
  [[ -f "${manifests[0]}" ]] || fail "$name: the template produced no Lambda crate ($dir/functions/<crate>/Cargo.toml)"
  for manifest in "${manifests[@]}"; do
    echo "==> $name: rustfmt, clippy and tests of $manifest"
    cargo fmt --manifest-path "$manifest" --check
    cargo clippy --manifest-path "$manifest" --all-targets -- -D warnings
    cargo test --manifest-path "$manifest"
  done

  echo "==> $name: cargo xtask validate $pattern"
  cargo xtask validate "$pattern"

  if [[ "$lifecycle" == "yes" ]]; then
    echo "==> $name: cargo xtask test $pattern (local deploy, verify, destroy)"
    cargo xtask test "$pattern"
  else
    echo "==> $name: NOT deployed: this combination is marked lifecycle=no in $0"
  fi
done

echo
echo "template-matrix: ${#selected[@]} combination(s) passed: $(for c in "${selected[@]}"; do printf '%s ' "${c%%|*}"; done)"
echo "template-matrix: the local cloud may still be running; \`cargo xtask local down\` stops it"
