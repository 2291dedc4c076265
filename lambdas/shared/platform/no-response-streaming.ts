/**
 * What the bundles give @middy/core in place of `node:stream/web` and `node:stream/promises`
 * (lib/bundling.ts noResponseStreamingPlugin). middy imports them at module scope for response
 * streaming (`streamifyResponse: true`), which no function here uses: our handlers return API
 * Gateway results. Loading Node's WHATWG streams at init for nothing cost cold-start time
 * (BENCHMARKS.md, cold start); these stand-ins fail loudly should a handler ever be streamified.
 */
const NOT_BUNDLED = 'response streaming is not bundled: no handler of this backend streams its response';

export class ReadableStream {
  constructor() {
    throw new Error(NOT_BUNDLED);
  }
}

export async function pipeline(): Promise<never> {
  throw new Error(NOT_BUNDLED);
}
