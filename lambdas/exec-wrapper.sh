#!/bin/sh
# The exec wrapper of this package's Lambda functions (AWS_LAMBDA_EXEC_WRAPPER, set by the
# construct: lib/functions.ts). Lambda's bootstrap runs it with the command it would have run,
#   /var/lang/bin/node --expose-gc --max-http-header-size 81920 <heap flags> /var/runtime/index.mjs
# and it runs that same command with two changes, every other argument passed on as it is, in its
# order:
# - without --expose-gc: the flag enters V8's flag hash, so V8 refuses the code cache of Node's
#   built-in modules and Node compiles each of them from its source at every cold start
#   (lambdas/shared/definitions/bundle-files.ts, BENCHMARKS.md). Neither the runtime nor these
#   functions call gc();
# - with --min-semi-space-size beside the runtime's --max-semi-space-size=N: the same N, at most 16
#   (MB), so the young generation starts at the size the runtime lets it grow to instead of 1 MB,
#   and the init runs without the two scavenges it took on the way (no collection during any
#   function's init at 128 MB's 6 MB; about 2 ms less per cold start, README "The exec wrapper").
#   It stays within the runtime's own memory budget (the runtime sets the maximum); 16 (also
#   MIN_SEMI_SPACE_CAP_MB of scripts/node24.ts, the tests' model of this script) bounds what a
#   large, idle function keeps. Not a flag of V8's flag hash: the code caches are taken under it.
for arg do
  shift
  case $arg in
    --expose-gc) ;;
    --max-semi-space-size=*)
      max=${arg#--max-semi-space-size=}
      case $max in
        '' | *[!0-9]*) set -- "$@" "$arg" ;;
        *) [ "$max" -gt 16 ] && min=16 || min=$max
           set -- "$@" "$arg" "--min-semi-space-size=$min" ;;
      esac ;;
    *) set -- "$@" "$arg" ;;
  esac
done
exec "$@"
