/**
 * `npm run bench`: runs every benchmark section, each in its own Node process, and rewrites
 * BENCHMARKS.md with the figures of this run. `--only=cold-start,routes,refresh,whole-login` runs
 * some sections and prints the report instead of writing it; so does any run with a BENCH_* size
 * variable set (BENCH_SAMPLES_FILE, which sizes nothing, aside), so that BENCHMARKS.md only ever
 * holds full runs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PROJECT_ROOT } from '../lib/bundling.js';
import { figuresBlock, withFigures } from './lib/readme-figures.js';
import { type Results, renderReport } from './lib/report.js';

const SECTIONS = [
  { key: 'coldStart', name: 'cold-start', file: 'bench/sections/cold-start.ts' },
  { key: 'routes', name: 'routes', file: 'bench/sections/routes.ts' },
  { key: 'refresh', name: 'refresh', file: 'bench/sections/refresh-scale.ts' },
  { key: 'wholeLogin', name: 'whole-login', file: 'bench/sections/whole-login.ts' },
] as const;

const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
// BENCH_SAMPLES_FILE only adds a file beside the report: it sizes nothing.
const sized = Object.keys(process.env).filter((k) => /^BENCH_[A-Z_]+$/.test(k) && k !== 'BENCH_SAMPLES_FILE');
const partial = Boolean(only) || sized.length > 0;

let running: ReturnType<typeof spawn> | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    // The section stops its own servers and DynamoDB Local on SIGTERM.
    if (running?.pid) process.kill(running.pid, 'SIGTERM');
    process.exitCode = 130;
  });
}

function runSection(file: string, out: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file, out], {
      cwd: PROJECT_ROOT,
      // stdout carries the handlers' logs (INFO, as deployed): discarded. stderr: progress.
      stdio: ['ignore', 'ignore', 'pipe'],
      env: process.env,
    });
    running = child;
    let lastError = '';
    createInterface({ input: child.stderr }).on('line', (line) => {
      if (line.startsWith('oidc-provider WARNING')) return;
      if (!line.startsWith('  ')) lastError = line;
      process.stderr.write(`${line}\n`);
    });
    child.on('exit', (code, signal) => {
      running = undefined;
      resolve(code === 0 ? undefined : lastError || `exited with ${signal ?? code}`);
    });
  });
}

const started = performance.now();
const startLoad = loadavg()
  .map((l) => l.toFixed(2))
  .join(', ');
const tmp = mkdtempSync(join(tmpdir(), 'oauth-bench-run-'));
const results: Record<string, unknown> = {};
const failures: Record<string, string> = {};
try {
  for (const section of SECTIONS) {
    if (only && !only.includes(section.name)) continue;
    if (process.exitCode === 130) break;
    process.stderr.write(`bench: ${section.name}\n`);
    const out = join(tmp, `${section.key}.json`);
    const error = await runSection(section.file, out);
    if (error || !existsSync(out)) failures[section.key] = error ?? 'no result';
    else results[section.key] = JSON.parse(readFileSync(out, 'utf8'));
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
  rmSync(join(PROJECT_ROOT, 'bench', '.out'), { recursive: true, force: true });
}

let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PROJECT_ROOT }).toString().trim();
  if (execFileSync('git', ['status', '--porcelain'], { cwd: PROJECT_ROOT }).toString().trim())
    commit += ' (with uncommitted changes)';
} catch {
  // not a git checkout
}
const report = renderReport(
  {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGb: totalmem() / 1024 ** 3,
    os: `${type()} ${release()}`,
    loadAverage: startLoad,
    loadAverageEnd: loadavg()
      .map((l) => l.toFixed(2))
      .join(', '),
    totalSeconds: (performance.now() - started) / 1000,
    commit,
  },
  { ...(results as Omit<Results, 'failures'>), failures },
);
if (partial || process.exitCode === 130) {
  process.stdout.write(report);
  process.stderr.write(
    `bench: partial run (${only ? `--only=${only.join(',')}` : sized.join(', ')}): BENCHMARKS.md left as it was\n`,
  );
} else {
  writeFileSync(join(PROJECT_ROOT, 'BENCHMARKS.md'), report);
  // The README's figures come from this very file (bench/lib/readme-figures.ts).
  const readmePath = join(PROJECT_ROOT, 'README.md');
  writeFileSync(readmePath, withFigures(readFileSync(readmePath, 'utf8'), figuresBlock(report)));
  process.stderr.write(
    `bench: BENCHMARKS.md written in ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
  );
}
if (Object.keys(failures).length > 0) process.exitCode = 1;
