#!/usr/bin/env bash
# moat's main job, from a fresh Debian 12 machine: install what is needed,
# build moat, and run sample programs inside the sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cmake --preset native >/dev/null
cmake --build --preset native

moat=build/native/cli/moat
programs=build/native/integration/programs
set -x
"$moat" --version
"$moat" run -- "$programs/hello.glibc"
"$moat" run -- "$programs/hello.musl"
"$moat" run --clear-env -e GREETING=hi -- "$programs/args_env.glibc" "sandboxed argument"
echo "piped through the sandbox" | "$moat" run -- "$programs/cat_stdin.musl"
"$moat" run -- "$programs/uname_ids.glibc"
"$moat" run -- "$programs/exit_code.glibc" 42 || echo "exit status: $?"
"$moat" run -- "$programs/null_deref.glibc" || echo "exit status: $?"
