/**
 * 4. A whole login, locally, over HTTP: the local stack of `npm start` (startLocalStack on a free
 * port: DynamoDB Local, the dev authorization server, the API Gateway adapter and the real handler
 * modules) driven like a browser with redirects off, every request timed, the AS's own login and
 * consent pages included: GET /login -> AS authorize -> login page -> POST login -> consent ->
 * POST consent -> callback GET /redirect -> 302 into the app.
 *
 * Against it, in the same run and interleaved, the AS-only flow with no backend: a bare client
 * builds the authorization request (PKCE, state, nonce) itself, goes through the same pages and
 * exchanges the code with one fetch. The difference of the totals is what the backend adds.
 */
import { randomToken, sha256 } from '../../lambdas/shared/domain/crypto.js';
import { startLocalStack } from '../../local/stack.js';
import { CookieJar } from '../../test/support/cookie-jar.js';
import { rawCodeExchange, type Step, stepLabel, walkFlow } from '../lib/as-flow.js';
import type { FlowFigures, WholeLoginResult } from '../lib/results.js';
import { progress, runSection } from '../lib/section.js';
import { median, summarize } from '../lib/stats.js';

const RUNS = Number(process.env.BENCH_WHOLE_LOGIN_RUNS ?? 60);
const WARMUP = 5;

function figures(runs: Step[][]): FlowFigures {
  const labels: string[] = [];
  const byLabel = new Map<string, number[]>();
  for (const steps of runs) {
    const seen = new Map<string, number>();
    for (const step of steps) {
      // The same request can occur twice in one flow (e.g. two interaction pages): number them.
      const n = (seen.get(step.label) ?? 0) + 1;
      seen.set(step.label, n);
      const label = n === 1 ? step.label : `${step.label} (${n})`;
      if (!byLabel.has(label)) {
        byLabel.set(label, []);
        labels.push(label);
      }
      byLabel.get(label)?.push(step.ms);
    }
  }
  return {
    total: summarize(runs.map((steps) => steps.reduce((sum, s) => sum + s.ms, 0))),
    steps: labels.map((step) => ({ step, median: median(byLabel.get(step) ?? []) })),
  };
}

await runSection('whole login', async (resources): Promise<WholeLoginResult> => {
  const started = performance.now();
  const lines: string[] = [];
  const stack = await startLocalStack({
    env: {
      PORT: '0',
      REFRESH_INTERVAL_SECONDS: '86400',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    print: (line) => lines.push(line),
  });
  resources.trackPid(stack.dynamoDb.pid);
  resources.onStop(() => stack.stop());
  const clientId = process.env.OAUTH_CLIENT_ID ?? '';
  const clientSecret = process.env.OAUTH_CLIENT_SECRET ?? '';
  const redirectUri = process.env.OAUTH_REDIRECT_URI ?? '';
  const scope = process.env.OAUTH_SCOPE ?? 'openid';
  const origins = { [stack.url]: 'API', [stack.issuer]: 'AS' };
  const metadata = (await (await fetch(`${stack.issuer}/.well-known/openid-configuration`)).json()) as {
    authorization_endpoint: string;
    token_endpoint: string;
  };
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;

  const viaBackend = async (): Promise<Step[]> => {
    const { steps, stoppedAt } = await walkFlow(
      new CookieJar(),
      `${stack.url}/login?returnTo=%2F`,
      // Stop when the backend sends the browser into the app: the login is over.
      (next) => !next.startsWith(stack.issuer) && !next.startsWith(`${redirectUri}?`),
      origins,
    );
    if (new URL(stoppedAt).origin !== stack.url) throw new Error(`backend login ended at ${stoppedAt}`);
    return steps;
  };

  const asOnly = async (): Promise<Step[]> => {
    const verifier = randomToken();
    const authorize = new URL(metadata.authorization_endpoint);
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      scope,
      state: randomToken(),
      code_challenge: sha256(verifier),
      code_challenge_method: 'S256',
      nonce: randomToken(),
    }))
      authorize.searchParams.set(k, v);
    const { steps, stoppedAt } = await walkFlow(
      new CookieJar(),
      authorize.href,
      (next) => next.startsWith(`${redirectUri}?`),
      origins,
    );
    const code = new URL(stoppedAt).searchParams.get('code') ?? '';
    const t0 = performance.now();
    const response = await rawCodeExchange(metadata.token_endpoint, basic, { code, redirectUri, verifier });
    const body = await response.text();
    steps.push({
      label: stepLabel('POST', metadata.token_endpoint, origins),
      ms: performance.now() - t0,
      status: response.status,
    });
    if (!response.ok) throw new Error(`AS-only token POST: ${response.status} ${body}`);
    return steps;
  };

  for (let i = 0; i < WARMUP; i++) {
    await viaBackend();
    await asOnly();
  }
  progress(`whole login: ${RUNS} logins each way, interleaved`);
  const backendRuns: Step[][] = [];
  const asOnlyRuns: Step[][] = [];
  for (let i = 0; i < RUNS; i++) {
    if (i % 2 === 0) {
      backendRuns.push(await viaBackend());
      asOnlyRuns.push(await asOnly());
    } else {
      asOnlyRuns.push(await asOnly());
      backendRuns.push(await viaBackend());
    }
  }
  return {
    iterations: RUNS,
    backend: figures(backendRuns),
    asOnly: figures(asOnlyRuns),
    seconds: (performance.now() - started) / 1000,
  };
});
