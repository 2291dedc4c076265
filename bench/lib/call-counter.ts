/**
 * Counts the network calls a handler makes, from inside the process and without touching the
 * data path: Node publishes every `node:http` client request (the AWS SDK) on the
 * `http.client.request.start` diagnostics channel and every `fetch` (undici: the OAuth client) on
 * `undici:request:create`. Counting is on only inside `during()`, so the benchmark's own traffic
 * (driving the AS pages, floors) is never counted.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';

export interface Services {
  /** origin (http://127.0.0.1:port) -> service name; AWS JSON operations come from X-Amz-Target. */
  readonly [origin: string]: string;
}

export class CallCounter {
  private active = false;
  private readonly calls = new Map<string, number>();
  private readonly operations = new Map<string, number>();

  constructor(private readonly services: Services) {
    subscribe('http.client.request.start', (message) => {
      if (!this.active) return;
      const request = (message as { request: ClientRequest }).request;
      // The Host header carries the port whenever it is not the protocol's default.
      const host = request.getHeader('host');
      const origin = `${request.protocol}//${typeof host === 'string' ? host : request.host}`;
      const target = request.getHeader('x-amz-target');
      const operation =
        typeof target === 'string'
          ? (target.split('.').pop() ?? target)
          : `${request.method} ${request.path}`;
      this.record(this.services[origin] ?? `other (${origin})`, operation);
    });
    subscribe('undici:request:create', (message) => {
      if (!this.active) return;
      const request = (message as { request: { origin: string; method: string; path: string } }).request;
      const origin = new URL(request.origin).origin;
      this.record(
        this.services[origin] ?? `other (${origin})`,
        `${request.method} ${request.path.split('?')[0]}`,
      );
    });
  }

  private record(service: string, operation: string): void {
    this.calls.set(service, (this.calls.get(service) ?? 0) + 1);
    const key = `${service} ${operation}`;
    this.operations.set(key, (this.operations.get(key) ?? 0) + 1);
  }

  /** Runs `fn` with counting on. */
  async during<T>(fn: () => Promise<T>): Promise<T> {
    this.active = true;
    try {
      return await fn();
    } finally {
      this.active = false;
    }
  }

  /** Calls per counted request, by service and by operation, over `requests` requests. */
  perRequest(requests: number): {
    perRequest: Record<string, number>;
    operations: Record<string, number>;
    total: number;
  } {
    const per = (m: Map<string, number>) =>
      Object.fromEntries(
        [...m].map(([k, v]) => [k, v / requests]).sort(([a], [b]) => String(a).localeCompare(String(b))),
      );
    let total = 0;
    for (const v of this.calls.values()) total += v;
    return { perRequest: per(this.calls), operations: per(this.operations), total: total / requests };
  }

  reset(): void {
    this.calls.clear();
    this.operations.clear();
  }
}
