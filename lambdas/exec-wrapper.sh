#!/bin/sh
# The exec wrapper of this package's Lambda functions (AWS_LAMBDA_EXEC_WRAPPER, set by the
# construct: lib/functions.ts). Lambda's bootstrap runs it with the command it would have run,
#   /var/lang/bin/node --expose-gc --max-http-header-size 81920 <heap flags> /var/runtime/index.mjs
# and it runs that same command without --expose-gc: the flag enters V8's flag hash, so V8 refuses
# the code cache of Node's built-in modules and Node compiles each of them from its source at
# every cold start (lambdas/shared/definitions/bundle-files.ts, BENCHMARKS.md). Every other
# argument is passed on as it is, in its order. Neither the runtime nor these functions call gc().
for arg do
  shift
  [ "$arg" = --expose-gc ] || set -- "$@" "$arg"
done
exec "$@"
