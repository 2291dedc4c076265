/**
 * For values a test needs to go on: fails the test where the value is missing and returns it typed,
 * instead of a fallback (`?? ({} as never)`, `?? ''`) that would let a later assertion pass on nothing.
 */
export function present<T>(value: T | undefined | null, what = 'value'): T {
  if (value === undefined || value === null) throw new Error(`expected ${what} to be present`);
  return value;
}
