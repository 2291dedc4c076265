/**
 * Runs one benchmark section as its own process (`node --import tsx bench/sections/x.ts out.json`):
 * fresh module caches per section, handler modules wired from that section's environment, and
 * every server and child process it started stopped on the way out, by PID, even after an error
 * or a signal.
 */
import { writeFileSync } from 'node:fs';

export interface Resources {
  /** Stops this on the way out (last registered, first stopped). */
  onStop(stop: () => Promise<void>): void;
  /** A child process to kill synchronously if this process dies before the orderly stop. */
  trackPid(pid: number): void;
}

export function progress(line: string): void {
  process.stderr.write(`  ${line}\n`);
}

export async function runSection<T>(name: string, run: (resources: Resources) => Promise<T>): Promise<void> {
  const out = process.argv[2];
  const stops: (() => Promise<void>)[] = [];
  const pids = new Set<number>();
  const killTracked = () => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', killTracked);
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
    pids.clear();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void stopAll().finally(() => process.exit(130));
    });
  }
  const resources: Resources = {
    onStop: (stop) => stops.push(stop),
    trackPid: (pid) => pids.add(pid),
  };
  const started = performance.now();
  try {
    const result = await run(resources);
    if (out) writeFileSync(out, JSON.stringify(result, null, 2));
    else console.log(JSON.stringify(result, null, 2));
    progress(`${name}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    process.stderr.write(
      `${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  } finally {
    await stopAll();
  }
  // Handler modules may keep sockets alive (SDK keep-alive agents): do not wait for them.
  process.exit();
}
