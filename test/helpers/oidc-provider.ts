/**
 * A real OpenID provider for tests (oidc-provider, the certified implementation) on 127.0.0.1, and a
 * browser-like HTTP client that walks through it: it keeps cookies per origin, follows redirects one by
 * one, and fills in the provider's development sign-in and consent forms (which accept any login name
 * and password). Accounts are looked up by login name in a map the test owns, so a test can change
 * someone's claims between two sign-ins.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface TestIdentityProvider {
  issuer: string;
  /** Login name → claims (email, email_verified, name, roles, ...). */
  accounts: Map<string, Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startIdentityProvider({
  clients,
  accounts = new Map(),
}: {
  clients: { client_id: string; client_secret: string; redirect_uris: string[] }[];
  accounts?: Map<string, Record<string, unknown>>;
}): Promise<TestIdentityProvider> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients,
    // The roles claim comes with its own scope, as groups do at many providers.
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], roles: ['roles'] },
    cookies: { keys: ['test-only-cookie-key-for-the-identity-provider'] },
    ttl: {
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      AccessToken: 600,
      IdToken: 600,
      AuthorizationCode: 60,
    },
    async findAccount(_ctx, sub) {
      const claims = accounts.get(sub);
      if (!claims) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...accounts.get(sub) }) };
    },
  });
  server.on('request', provider.callback());
  return {
    issuer,
    accounts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface HttpResponse {
  status: number;
  location: string | undefined;
  body: string;
  url: string;
}

/** Cookies per origin (host and port), sent back as a browser would; redirects are not followed. */
export class HttpBrowser {
  readonly #jar = new Map<string, Map<string, string>>();
  /** Sent as X-Forwarded-For, so an app that trusts its proxy sees this browser as its own address. */
  readonly forwardedFor: string | undefined;

  constructor({ forwardedFor }: { forwardedFor?: string } = {}) {
    this.forwardedFor = forwardedFor;
  }

  async request(
    url: string,
    init: { method?: string; form?: Record<string, string> } = {},
  ): Promise<HttpResponse> {
    const target = new URL(url);
    const cookies = this.#jar.get(target.origin) ?? new Map<string, string>();
    const response = await fetch(target, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      headers: {
        ...(this.forwardedFor ? { 'x-forwarded-for': this.forwardedFor } : {}),
        ...(cookies.size > 0 ? { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {}),
        ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    for (const header of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = header.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const expired = attributes.some(
        (a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a) || /^\s*max-age=0$/i.test(a),
      );
      if (expired || value === '') cookies.delete(name);
      else cookies.set(name, value);
    }
    this.#jar.set(target.origin, cookies);
    const location = response.headers.get('location');
    return {
      status: response.status,
      location: location ? new URL(location, target).href : undefined,
      body: await response.text(),
      url: target.href,
    };
  }

  get(url: string): Promise<HttpResponse> {
    return this.request(url);
  }

  /** The cookie this browser holds for an origin, if any. */
  cookie(origin: string, name: string): string | undefined {
    return this.#jar.get(origin)?.get(name);
  }
}

/**
 * From a redirect to the provider, signs in there as `login` and consents, until the provider sends the
 * browser back to `appOrigin`: returns that callback URL, not yet followed. With `abort`, the person
 * cancels at the provider's sign-in page instead (error=access_denied).
 */
export async function signInAtProvider(
  browser: HttpBrowser,
  start: HttpResponse,
  appOrigin: string,
  { login, abort = false }: { login: string; abort?: boolean },
): Promise<string> {
  let response = start;
  for (let hops = 0; hops < 20; hops++) {
    if (response.status >= 300 && response.status < 400) {
      const location = response.location!;
      if (new URL(location).origin === appOrigin) return location;
      response = await browser.get(location);
      continue;
    }
    if (response.status !== 200)
      throw new Error(`the provider answered ${response.status}: ${response.body.slice(0, 500)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(response.body)?.[1];
    if (!action) throw new Error(`no form on the provider's page: ${response.body.slice(0, 500)}`);
    const formUrl = new URL(action, response.url).href;
    if (/name="login"/.test(response.body)) {
      response = abort
        ? await browser.get(`${formUrl}/abort`)
        : await browser.request(formUrl, {
            method: 'POST',
            form: { prompt: 'login', login, password: 'any' },
          });
    } else {
      response = await browser.request(formUrl, { method: 'POST', form: { prompt: 'consent' } });
    }
  }
  throw new Error('too many redirects at the provider');
}
