import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Something could not listen on `port`: another process holds it. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    message = `port ${port} on 127.0.0.1 is in use by another process`,
  ) {
    super(message);
    this.name = 'PortInUseError';
  }
}

export interface OnFreePortOptions {
  /** How many ports to try in all. */
  readonly tries?: number;
  /** Where the ports come from (tests hand out a busy one first). */
  readonly pick?: () => Promise<number>;
}

/**
 * Runs `start` on a port that was free a moment ago, and on a new one when it throws
 * PortInUseError: between freePort() closing its port and a child process binding it, another
 * process (a parallel test worker) can take it. For servers that cannot listen on port 0 and say
 * which port they got.
 */
export async function onFreePort<T>(
  start: (port: number) => Promise<T>,
  { tries = 5, pick = freePort }: OnFreePortOptions = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const port = await pick();
    try {
      return await start(port);
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt >= tries) throw error;
    }
  }
}
