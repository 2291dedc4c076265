import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { processCpuMs } from '../../bench/lib/process-cpu.js';

describe('processCpuMs (the refresh bench charges DynamoDB Local with it)', () => {
  it('reads the CPU another process has used, and it grows while that process works', async () => {
    // A child that spins for 300 ms of CPU, then waits to be read and ended.
    const child = spawn(process.execPath, [
      '-e',
      'const end = Date.now() + 300; while (Date.now() < end); setInterval(() => {}, 1000);',
    ]);
    try {
      const pid = child.pid as number;
      const first = processCpuMs(pid);
      expect(first).toBeTypeOf('number');
      // Read again until the spinning shows (a slow machine may take a while to start the child).
      const started = Date.now();
      let second = first as number;
      while (second - (first as number) < 250 && Date.now() - started < 10_000) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        second = processCpuMs(pid) as number;
      }
      // At least the 300 ms of spinning, less a tick or two (USER_HZ ticks of 10 ms) ...
      expect(second - (first as number)).toBeGreaterThanOrEqual(250);
      // ... and never more than the wall time the child has had.
      expect(second).toBeLessThanOrEqual(Date.now() - started + 2_000);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('gives undefined for a process that does not exist, never a guess', () => {
    expect(processCpuMs(2 ** 22 + 12_345)).toBeUndefined();
  });
});
