/**
 * Lines of a child's ES module script after which `touched` lists each read of `process.stdout` or
 * `process.stderr`: the getters by which Node makes each stream (for a pipe, a socket). For the
 * tests that the log output makes neither (lambdas/shared/platform/log-output.ts).
 */
export const WATCH_STREAMS = `const touched = [];
for (const name of ['stdout', 'stderr']) {
  const d = Object.getOwnPropertyDescriptor(process, name);
  Object.defineProperty(process, name, { configurable: true, get() { touched.push(name); return d.get.call(process); } });
}`;
