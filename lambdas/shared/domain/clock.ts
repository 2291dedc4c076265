/** Injected everywhere time matters, so tests can move it; expiry is always compared in code. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

export function nowSeconds(clock: Clock): number {
  return Math.floor(clock() / 1000);
}
