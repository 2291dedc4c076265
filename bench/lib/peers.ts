/**
 * The peers' stacks, for the cold-start section: what the init of a peer's Lambda costs when its
 * runtime dependencies are bundled the way this project bundles its own (same esbuild options, same
 * V8 code cache) and wired the way the peer wires them at start. The peers are not npm packages,
 * and their code is not ours to copy: each entry below is this project's own few lines, written from
 * the peer's published dependency list and its documented start-up (which objects it builds at
 * module scope), with the versions its package.json asks for, pinned. The handlers' bodies are not
 * there: init is what is measured, and a peer's route code is a small share of its bundle.
 *
 * The packages are installed once per version set into the repository's cache folder
 * (.cache/bench-peers/<peer>, ignored by git), never into the project's dependencies: the
 * benchmark needs them, the package and its tests do not.
 *
 * Peers in other languages (oauth2-proxy in Go, Duende BFF in .NET) run on other Lambda runtimes
 * and are not measured here.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/bundling.js';

export interface Peer {
  /** A key for targets and folders. */
  readonly key: string;
  /** Who, and what of it is measured. */
  readonly name: string;
  readonly what: string;
  /** Its runtime dependencies, pinned: the newest versions its package.json's ranges took on 2026-12-03. */
  readonly dependencies: Readonly<Record<string, string>>;
  /** The entry: imports and module-scope construction, as the peer does at start. */
  readonly code: string;
}

/** The peer the summary compares the Lambdas with: the closest in kind (a token handler on Node). */
export const EXPRESS_AGENT = 'express-oauth-agent';

export const PEERS: readonly Peer[] = [
  {
    key: EXPRESS_AGENT,
    name: "Curity's OAuth agent for Node.js (Express)",
    what:
      'its runtime dependencies (express 4, cookie-parser, cors, jose 5, node-fetch 3, url-parse, ' +
      'base64url) wired as its server does (CORS, cookie parser, JSON body parser, a router with its ' +
      'six routes), on Lambda through serverless-http; it keeps tokens in encrypted cookies, so no ' +
      'AWS SDK client',
    dependencies: {
      express: '4.22.3',
      'cookie-parser': '1.4.7',
      cors: '2.8.6',
      jose: '5.10.0',
      'node-fetch': '3.3.2',
      'url-parse': '1.5.10',
      base64url: '3.0.1',
      'serverless-http': '3.2.0',
    },
    code: `import express from 'express';
import cookieParser from 'cookie-parser';
import cors from 'cors';
import { decodeJwt, jwtVerify, createRemoteJWKSet } from 'jose';
import fetch from 'node-fetch';
import urlParse from 'url-parse';
import base64url from 'base64url';
import serverless from 'serverless-http';
const app = express();
app.use(cors({ origin: 'https://www.example.com', credentials: true }));
app.use(cookieParser());
app.use(express.json());
const router = express.Router();
for (const path of ['/login/start', '/login/end', '/userInfo', '/claims', '/refresh', '/logout'])
  router.post(path, (_req, res) => res.json({}));
app.use('/oauth-agent', router);
globalThis.peer = { handler: serverless(app), decodeJwt, jwtVerify, createRemoteJWKSet, fetch, urlParse, base64url };
`,
  },
  {
    key: 'edge-auth',
    name: "AWS's CloudFront authorization@edge sample (Lambda@Edge)",
    what:
      "the check-auth handler's runtime dependencies (aws-jwt-verify and cookie) with its JWT " +
      'verifier built at module scope; stateless: tokens live in cookies, so no AWS SDK client and no ' +
      'server-side session',
    dependencies: { 'aws-jwt-verify': '2.1.3', cookie: '0.7.2' },
    code: `import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { parse, serialize } from 'cookie';
const verifier = CognitoJwtVerifier.create({ userPoolId: 'us-east-1_AbCdEfGhI', clientId: 'bench-client', tokenUse: 'id' });
globalThis.peer = { verifier, parse, serialize };
`,
  },
];

/**
 * The folder whose node_modules holds `peer`'s dependencies, installing them when its pinned set
 * changed; throws with npm's message when they cannot be installed (no registry).
 */
export function peerFolder(peer: Peer): string {
  const dir = join(PROJECT_ROOT, '.cache', 'bench-peers', peer.key);
  const manifest = `${JSON.stringify({ name: `bench-peer-${peer.key}`, private: true, dependencies: peer.dependencies }, null, 2)}\n`;
  const stamp = join(dir, 'node_modules', '.installed-manifest.json');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === manifest) return dir;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), manifest);
  execFileSync(
    'npm',
    ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 },
  );
  writeFileSync(stamp, manifest);
  return dir;
}
