/**
 * Ends the user's session at the dev authorization server the way a person would: its own
 * end-session page (RP-Initiated Logout), answered "Yes, sign me out". With back-channel logout
 * configured, the AS posts its logout tokens before it answers.
 */
import { type CookieJar, jarFetch } from './cookie-jar.js';

export async function endSessionAtAs(jar: CookieJar, issuer: string): Promise<void> {
  const page = await jarFetch(jar, `${issuer}/session/end`);
  const html = await page.text();
  if (page.status !== 200) throw new Error(`end-session page answered ${page.status}`);
  const action = /<form id="op.logoutForm" method="post" action="([^"]+)"/.exec(html)?.[1];
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
  if (!action || !xsrf) throw new Error(`no logout form at the AS: ${html.slice(0, 300)}`);
  const confirm = await jarFetch(jar, new URL(action, issuer).href, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ xsrf, logout: 'yes' }),
  });
  if (confirm.status >= 400) throw new Error(`end-session confirmation answered ${confirm.status}`);
}
