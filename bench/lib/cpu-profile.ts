/**
 * Where CPU goes while a piece of code runs: V8's sampling profiler through node:inspector, in
 * process, reduced to time per npm package. Node's own internals (http, crypto, streams) are
 * charged to the package that called them, so "AWS SDK" includes the sockets it drives.
 */
import { Session } from 'node:inspector/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function bucketOf(url: string, functionName: string): string | undefined {
  if (!url) {
    if (functionName === '(garbage collector)') return 'garbage collector';
    if (functionName === '(idle)' || functionName === '(program)' || functionName === '(root)')
      return undefined;
    return undefined;
  }
  if (url.startsWith('node:')) return undefined;
  if (url.startsWith('wasm://')) return 'undici HTTP parser (wasm, fetch)';
  const i = url.lastIndexOf('node_modules/');
  if (i === -1) {
    const path = url.replace(/^file:\/\//, '');
    const m = /\/(lambdas|bench|local|test)\//.exec(path);
    if (m?.[1] === 'bench') return 'bench/ (stand-in AS, counters)';
    return m ? `${m[1]}/ (project)` : path;
  }
  const parts = url.slice(i + 'node_modules/'.length).split('/');
  return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

/** Runs `fn` under the profiler; returns its result and milliseconds of CPU per bucket. */
export async function profile<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; byPackage: Record<string, number> }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 500 });
    await session.post('Profiler.start');
    const result = await fn();
    const { profile: p } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
    const nodes = new Map(p.nodes.map((n) => [n.id, n]));
    const bucket = new Map<number, string>();
    const assign = (id: number, inherited: string) => {
      const node = nodes.get(id);
      if (!node) return;
      const own = bucketOf(node.callFrame.url, node.callFrame.functionName);
      const b =
        own ??
        (node.callFrame.functionName === '(idle)' || node.callFrame.functionName === '(program)'
          ? node.callFrame.functionName
          : inherited);
      bucket.set(id, b);
      for (const child of node.children ?? []) assign(child, b);
    };
    assign(p.nodes[0]?.id ?? 1, 'Node.js internals');
    const byPackage: Record<string, number> = {};
    p.samples.forEach((id, i) => {
      const b = bucket.get(id) ?? 'Node.js internals';
      if (b === '(idle)') return;
      byPackage[b] = (byPackage[b] ?? 0) + (p.timeDeltas[i] ?? 0) / 1000;
    });
    return { result, byPackage };
  } finally {
    await session.post('Profiler.disable').catch(() => {});
    session.disconnect();
  }
}
