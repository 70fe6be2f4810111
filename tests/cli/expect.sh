#!/usr/bin/env bash
# expect.sh CODE REGEX CMD...: runs CMD, requires exit code CODE and output (stdout+stderr) matching REGEX.
code=$1; regex=$2; shift 2
out=$("$@" 2>&1); rc=$?
if [ "$rc" != "$code" ]; then echo "expected exit code $code, got $rc"; echo "$out"; exit 1; fi
if ! grep -Eq -- "$regex" <<<"$out"; then echo "output does not match /$regex/:"; echo "$out"; exit 1; fi
echo "ok: exit $rc, output matches /$regex/"
