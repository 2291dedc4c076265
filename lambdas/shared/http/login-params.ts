/**
 * The per-login authorization parameters of `GET /login` (checklist J32): only the allowlist of
 * definitions/authorization-params.ts, each value checked by its rule. A bad value of an
 * allowlisted parameter is a 400 naming it, before any I/O; every other parameter (the ones the
 * backend owns included: `state`, `redirect_uri`, `scope`, ...) is ignored, except `returnTo`,
 * which the login flow reads itself. An empty value counts as absent.
 */
import {
  PER_LOGIN_PARAMS,
  type PerLoginParam,
  perLoginParamProblem,
} from '../definitions/authorization-params.js';
import { badRequest } from './errors.js';

export type LoginParams = Partial<Record<PerLoginParam, string>>;

export function loginParamsFrom(query: ReadonlyMap<string, string>): LoginParams {
  const params: LoginParams = {};
  for (const name of PER_LOGIN_PARAMS) {
    const value = query.get(name);
    if (value === undefined || value === '') continue;
    const problem = perLoginParamProblem(name, value);
    if (problem) throw badRequest('login_param_invalid', `The ${name} parameter ${problem}.`);
    params[name] = value;
  }
  return params;
}
