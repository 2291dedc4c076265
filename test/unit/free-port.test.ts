import { describe, expect, it } from 'vitest';
import { onFreePort, PortInUseError } from '../../local/free-port.js';

/** Hands out 1001, 1002, ... and counts. */
function ports() {
  const handed: number[] = [];
  const pick = async () => {
    const port = 1001 + handed.length;
    handed.push(port);
    return port;
  };
  return { handed, pick };
}

describe('onFreePort (a child process that finds its picked port taken starts again on another)', () => {
  it('tries a new port after PortInUseError and returns what the first start that binds returns', async () => {
    const { handed, pick } = ports();
    const result = await onFreePort(
      async (port) => {
        if (port < 1003) throw new PortInUseError(port);
        return `listening on ${port}`;
      },
      { pick },
    );
    expect(result).toBe('listening on 1003');
    expect(handed).toEqual([1001, 1002, 1003]);
  });

  it('gives up after `tries` ports with the last PortInUseError', async () => {
    const { handed, pick } = ports();
    const failed = onFreePort(
      async (port) => {
        throw new PortInUseError(port);
      },
      { pick, tries: 3 },
    );
    await expect(failed).rejects.toThrow(new PortInUseError(1003));
    expect(handed).toEqual([1001, 1002, 1003]);
  });

  it('does not retry any other failure', async () => {
    const { handed, pick } = ports();
    const failed = onFreePort(
      async () => {
        throw new Error('no Java');
      },
      { pick },
    );
    await expect(failed).rejects.toThrow('no Java');
    expect(handed).toEqual([1001]);
  });
});
