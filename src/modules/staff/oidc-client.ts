/**
 * The OpenID Connect relying party for staff sign-in, on openid-client: discovery of the council's
 * identity provider, the authorization request (authorization code flow with PKCE, state and nonce),
 * and the callback (the code exchanged, the ID token verified, the claims read).
 *
 * Nothing here is kept between requests except the provider's discovered metadata (cached for an hour,
 * and discovered again after a failure): what a sign-in in progress needs (state, nonce, PKCE verifier)
 * is handed back to the caller to keep in the browser's server-side session, so any process can finish
 * a sign-in another one started.
 */
import * as client from 'openid-client';
import type { OidcSettings } from '../../config.js';

/** What the session holds between the redirect to the provider and the callback. */
export interface PendingOidcSignIn {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Milliseconds since the epoch. */
  startedAt: number;
  /** Where to go after signing in (a path on this site, or empty for the role's landing page). */
  next: string;
}

/** The person the provider vouched for, and every claim it gave (ID token over userinfo). */
export interface OidcIdentity {
  issuer: string;
  subject: string;
  claims: Record<string, unknown>;
}

/** Why a sign-in through the provider did not work, for the page that says so. */
export type OidcFailure =
  /** The provider could not be reached, timed out or answered with a server error. */
  | 'unreachable'
  /** The person (or the provider's policy) declined: error=access_denied. */
  | 'denied'
  /** The callback's state is not the one this browser was given: forged, replayed or from another tab. */
  | 'state_mismatch'
  /** No sign-in was started in this browser, or it is too old. */
  | 'no_pending'
  /** Anything else the provider or the checks refused (an error response, an ID token that fails). */
  | 'failed';

export class OidcError extends Error {
  constructor(
    readonly failure: OidcFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'OidcError';
  }
}

/** A sign-in must come back from the provider within this long. */
export const PENDING_OIDC_MS = 10 * 60_000;
/** The provider's metadata (endpoints) is discovered again after this long. */
const DISCOVERY_TTL_MS = 60 * 60_000;
/** Each request to the provider (discovery, token, userinfo) may take this long. */
const REQUEST_TIMEOUT_SECONDS = 10;

export class OidcClient {
  #discovered: { at: number; configuration: Promise<client.Configuration> } | undefined;

  constructor(
    private readonly settings: OidcSettings,
    /** `${baseUrl}/staff/sign-in/oidc/callback`, as registered at the provider. */
    readonly redirectUri: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get buttonText(): string {
    return this.settings.buttonText;
  }

  #configuration(): Promise<client.Configuration> {
    const at = Date.now();
    if (this.#discovered && at - this.#discovered.at < DISCOVERY_TTL_MS)
      return this.#discovered.configuration;
    const { issuer, clientId, clientSecret } = this.settings;
    // client_secret_basic is the method every provider must support (OpenID Connect Registration).
    const auth = clientSecret ? client.ClientSecretBasic(clientSecret) : client.None();
    const configuration = client.discovery(issuer, clientId, undefined, auth, {
      timeout: REQUEST_TIMEOUT_SECONDS,
      // Only a provider on this machine may use plain http: the settings refuse any other.
      ...(issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {}),
    });
    const entry = { at, configuration };
    this.#discovered = entry;
    // A failed discovery is not cached: the next sign-in tries again.
    configuration.catch(() => {
      if (this.#discovered === entry) this.#discovered = undefined;
    });
    return configuration;
  }

  /** The provider's authorization URL to send the browser to, and what the session must keep meanwhile. */
  async start(next: string): Promise<{ url: string; pending: PendingOidcSignIn }> {
    const configuration = await this.#configuration().catch((error: unknown) => {
      throw new OidcError(classify(error), 'the identity provider’s configuration could not be read', {
        cause: error,
      });
    });
    const pending: PendingOidcSignIn = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier: client.randomPKCECodeVerifier(),
      startedAt: this.now().getTime(),
      next,
    };
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUri,
      scope: this.settings.scopes,
      response_type: 'code',
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url: url.href, pending };
  }

  /**
   * The callback: `query` is the callback's query string. Checks the state against the pending
   * sign-in, exchanges the code (with the PKCE verifier), verifies the ID token (signature, issuer,
   * audience, expiry, nonce) and reads the userinfo endpoint if the provider has one. Throws OidcError.
   */
  async finish(query: string, pending: PendingOidcSignIn | undefined): Promise<OidcIdentity> {
    if (!pending) throw new OidcError('no_pending', 'no sign-in was started in this browser');
    const age = this.now().getTime() - pending.startedAt;
    if (age > PENDING_OIDC_MS || age < 0) throw new OidcError('no_pending', 'the sign-in is too old');
    const current = new URL(this.redirectUri);
    current.search = query;
    const params = current.searchParams;
    // Checked here first (openid-client checks it again) so that a forged or replayed callback is told
    // apart from the provider's own errors, whatever else it carries.
    if (params.get('state') !== pending.state) {
      throw new OidcError('state_mismatch', 'the state in the callback is not this browser’s');
    }
    const error = params.get('error');
    if (error !== null) {
      throw new OidcError(
        error === 'access_denied' ? 'denied' : 'failed',
        `the identity provider answered ${error.slice(0, 100)}`,
      );
    }
    try {
      const configuration = await this.#configuration();
      const tokens = await client.authorizationCodeGrant(configuration, current, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
      });
      const idToken = tokens.claims();
      if (!idToken) throw new OidcError('failed', 'the identity provider sent no ID token');
      let userinfo: Record<string, unknown> = {};
      if (configuration.serverMetadata().userinfo_endpoint && tokens.access_token) {
        // The subject must be the ID token's (openid-client checks), so claims cannot be mixed up.
        userinfo = await client.fetchUserInfo(configuration, tokens.access_token, idToken.sub);
      }
      // The signed ID token's claims win over userinfo's where both have one.
      return { issuer: idToken.iss, subject: idToken.sub, claims: { ...userinfo, ...idToken } };
    } catch (caught) {
      if (caught instanceof OidcError) throw caught;
      throw new OidcError(classify(caught), 'the sign-in could not be completed', { cause: caught });
    }
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
]);

/** Unreachable (network, timeout, a 5xx) or refused (everything else). */
function classify(error: unknown): OidcFailure {
  for (let e: unknown = error, depth = 0; e && depth < 6; depth++) {
    const { name, message, code, cause } = e as {
      name?: string;
      message?: string;
      code?: string;
      cause?: unknown;
    };
    if (name === 'TimeoutError' || name === 'AbortError') return 'unreachable';
    if (e instanceof TypeError && message === 'fetch failed') return 'unreachable';
    if (code && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR_'))) return 'unreachable';
    if (e instanceof Response && e.status >= 500) return 'unreachable';
    e = cause;
  }
  return 'failed';
}
