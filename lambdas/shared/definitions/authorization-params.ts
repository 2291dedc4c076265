/**
 * Authorization request parameters beyond the backend's own (checklist J32), defined once for the
 * construct (synth time), the config loader (cold start) and /login (per request):
 * - the parameters the backend owns, which nobody else may set;
 * - the per-login allowlist of /login's query, with the rule each value must meet;
 * - the rules for static parameters from configuration (`authorizationParams`,
 *   OAUTH_AUTHORIZATION_PARAMS), e.g. Auth0's `audience` or RFC 8707's `resource`.
 * Side-effect free, like everything under definitions/.
 */

/**
 * Set by the backend on every authorization request, never by configuration or the browser: they
 * carry the flow's security (state and PKCE against CSRF and code theft, nonce against ID token
 * replay, the registered redirect URI, the configured scope) or change where and how the response
 * comes back (`response_mode`), or replace the request altogether (`request`, `request_uri`, JAR).
 */
export const BACKEND_OWNED_PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'response_mode',
  'request',
  'request_uri',
] as const;

/** The parameters /login takes from its query for one login (OpenID Connect Core 3.1.2.1). */
export const PER_LOGIN_PARAMS = ['prompt', 'login_hint', 'ui_locales', 'acr_values', 'max_age'] as const;
export type PerLoginParam = (typeof PER_LOGIN_PARAMS)[number];

/** The registered `prompt` values (OIDC Core 3.1.2.1; `select_account` included). */
export const PROMPT_VALUES = ['none', 'login', 'consent', 'select_account'] as const;

/**
 * What an AS answers a `prompt=none` login that would need the user (OIDC Core 3.1.2.6): a silent
 * login that gets one of these goes back to the app, logged out, with no error page.
 */
export const SILENT_LOGIN_ERRORS = [
  'login_required',
  'interaction_required',
  'consent_required',
  'account_selection_required',
] as const;
export type SilentLoginError = (typeof SILENT_LOGIN_ERRORS)[number];
export const isSilentLoginError = (error: string): error is SilentLoginError =>
  (SILENT_LOGIN_ERRORS as readonly string[]).includes(error);

/**
 * The query parameter /redirect appends to `returnTo` after such an answer, valued with the error,
 * e.g. `/app?silent_login=login_required`: the app reads it on load, knows the user is not signed
 * in at the provider (or must interact there), and removes it (`history.replaceState`).
 */
export const SILENT_LOGIN_PARAM = 'silent_login';

/** Largest `max_age` accepted: a year, in seconds (anything longer means "no limit" in practice). */
export const MAX_AGE_LIMIT = 366 * 86_400;

const LOCALE_TAG = /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/;
/** An ACR value: a URI or a short name; printable ASCII without space, quote or backslash. */
const ACR_VALUE = /^[\x21\x23-\x5B\x5D-\x7E]{1,256}$/;
/**
 * No control characters (C0, DEL, C1), no line or paragraph separators, no bidi overrides.
 * Built on first use, not at module load: V8 checks the Unicode property classes of a `u` literal
 * when it parses the module, which starts ICU's property tables: about 5 M instructions of every
 * cold start (callgrind, the `session` bundle with and without the literal) for a check only a
 * login with `login_hint` (or a configuration with static parameters) ever makes.
 */
let noControl: RegExp | undefined;
function hasNoControl(value: string): boolean {
  // A literal, even inside this function, is checked when the module is parsed; a string is not.
  // biome-ignore lint/complexity/useRegexLiterals: see above, the literal is what costs the cold start
  noControl ??= new RegExp('^[^\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}]*$', 'u');
  return noControl.test(value);
}

/**
 * Why `value` is not acceptable for the per-login parameter `name`, or undefined when it is.
 * - `prompt`: space-separated registered values, each once; `none` only alone (OIDC Core 3.1.2.1:
 *   "none" with any other value is an error), any combination of the others;
 * - `login_hint`: 1-256 characters, no control characters;
 * - `ui_locales`: 1-10 space-separated BCP 47 language tags;
 * - `acr_values`: 1-10 space-separated values, printable ASCII;
 * - `max_age`: a non-negative integer of seconds, at most MAX_AGE_LIMIT, no leading zeros.
 */
export function perLoginParamProblem(name: PerLoginParam, value: string): string | undefined {
  switch (name) {
    case 'prompt': {
      const values = value.split(' ');
      if (!values.every((v) => (PROMPT_VALUES as readonly string[]).includes(v))) {
        return `must be space-separated values of ${PROMPT_VALUES.join(', ')}`;
      }
      if (new Set(values).size !== values.length) return 'must not repeat a value';
      if (values.includes('none') && values.length > 1) return 'must be "none" alone, or not contain "none"';
      return undefined;
    }
    case 'login_hint':
      return value.length >= 1 && value.length <= 256 && hasNoControl(value)
        ? undefined
        : 'must be 1-256 characters without control characters';
    case 'ui_locales': {
      const tags = value.split(' ');
      return tags.length <= 10 && tags.every((t) => LOCALE_TAG.test(t))
        ? undefined
        : 'must be up to 10 space-separated language tags (BCP 47)';
    }
    case 'acr_values': {
      const values = value.split(' ');
      return values.length <= 10 && values.every((v) => ACR_VALUE.test(v))
        ? undefined
        : 'must be up to 10 space-separated values of printable ASCII';
    }
    case 'max_age':
      return /^(?:0|[1-9]\d{0,8})$/.test(value) && Number(value) <= MAX_AGE_LIMIT
        ? undefined
        : `must be a whole number of seconds from 0 to ${MAX_AGE_LIMIT}`;
  }
}

export const isPerLoginParam = (name: string): name is PerLoginParam =>
  (PER_LOGIN_PARAMS as readonly string[]).includes(name);

export const isBackendOwnedParam = (name: string): boolean =>
  (BACKEND_OWNED_PARAMS as readonly string[]).includes(name);

/** Static parameters: at most this many, names of this shape, values this long. */
export const STATIC_PARAMS_LIMITS = { maxCount: 20, maxValueLength: 1024 } as const;
const PARAM_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/**
 * Every problem of a set of static authorization parameters, each naming the parameter (an empty
 * list when they are fine). `isUnresolved` lets the construct skip values only known at deploy time.
 */
export function staticAuthorizationParamsProblems(
  params: Readonly<Record<string, unknown>>,
  isUnresolved: (value: string) => boolean = () => false,
): string[] {
  const problems: string[] = [];
  const entries = Object.entries(params);
  if (entries.length > STATIC_PARAMS_LIMITS.maxCount) {
    problems.push(`at most ${STATIC_PARAMS_LIMITS.maxCount} parameters`);
  }
  for (const [name, value] of entries) {
    if (isBackendOwnedParam(name)) {
      problems.push(`"${name}" is set by the backend itself and cannot be configured`);
      continue;
    }
    if (!PARAM_NAME.test(name)) {
      problems.push(
        `${JSON.stringify(name)} is not a parameter name (a letter, then A-Z a-z 0-9 _ . -, at most 64)`,
      );
      continue;
    }
    if (typeof value !== 'string') {
      problems.push(`"${name}" must be a string`);
      continue;
    }
    if (isUnresolved(value)) continue;
    if (value.length === 0 || value.length > STATIC_PARAMS_LIMITS.maxValueLength || !hasNoControl(value)) {
      problems.push(
        `"${name}" must be 1-${STATIC_PARAMS_LIMITS.maxValueLength} characters without control characters`,
      );
      continue;
    }
    if (isPerLoginParam(name)) {
      const problem = perLoginParamProblem(name, value);
      if (problem) problems.push(`"${name}" ${problem}`);
    }
  }
  return problems;
}
