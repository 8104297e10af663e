/**
 * Builds the real app for a test, on a real database, with settings as a test needs them. Nothing is
 * switched off: CSRF, CSP and rate limits are the production ones.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp, type AppParts } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { SESSION_COOKIE } from '../../src/infra/session.js';
import { totpCode } from '../../src/modules/staff/totp.js';
import {
  answerSecondFactor,
  knownFactor,
  recoveryCodesFrom,
  rememberFactor,
  setupKeyFrom,
  setUpStep,
} from './staff.js';

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  dataDir: string;
  close(): Promise<void>;
}

export async function buildTestApp(
  database: DatabaseHandle,
  {
    env = {},
    parts = {},
    beforeReady,
  }: {
    env?: Record<string, string>;
    parts?: Omit<AppParts, 'database'>;
    /** Add test-only routes before the app is sealed. */
    beforeReady?: (app: FastifyInstance) => void;
  } = {},
): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'civicdesk-test-'));
  const config = loadConfig({
    CIVICDESK_ENV: 'test',
    CIVICDESK_DATA_DIR: dataDir,
    CIVICDESK_LOG_LEVEL: 'silent',
    ...env,
  });
  const app = await buildApp(config, { database, logger: false, ...parts });
  beforeReady?.(app);
  await app.ready();
  return {
    app,
    config,
    dataDir,
    close: async () => {
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Settings that production insists on, with values that reach nothing outside this machine. */
export const PRODUCTION_ENV = {
  CIVICDESK_ENV: 'production',
  CIVICDESK_SESSION_SECRET: 'test-secret-that-is-long-enough-to-pass-validation',
  CIVICDESK_BASE_URL: 'https://report.example.gov.uk',
  SMTP_URL: 'smtp://127.0.0.1:9',
};

/** The session cookie a response set, as a Cookie header value. */
export function sessionCookieFrom(response: LightMyRequestResponse): string | undefined {
  const cookie = response.cookies.find((c) => c.name === SESSION_COOKIE);
  return cookie ? `${SESSION_COOKIE}=${cookie.value}` : undefined;
}

/** The CSRF token rendered into a page's form. */
export function csrfTokenFrom(html: string): string | undefined {
  return /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
}

/** Form-encodes a body the way a browser would (repeated keys for lists). */
export function formBody(fields: Record<string, string | string[]>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) {
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, item);
  }
  return params.toString();
}

/**
 * A browser-like client over app.inject: keeps the session cookie, and reads the CSRF token from each
 * page it fetches so the next form post can send it, as a real form would. Each browser may have its own
 * client address (`remoteAddress`), so per-address rate limits count it separately.
 */
export class TestBrowser {
  cookie: string | undefined;
  csrf: string | undefined;
  readonly remoteAddress: string;

  constructor(
    private readonly app: FastifyInstance,
    { remoteAddress = '127.0.0.1' }: { remoteAddress?: string } = {},
  ) {
    this.remoteAddress = remoteAddress;
  }

  async get(url: string): Promise<LightMyRequestResponse> {
    const response = await this.app.inject({
      method: 'GET',
      url,
      remoteAddress: this.remoteAddress,
      headers: this.cookie ? { cookie: this.cookie } : {},
    });
    this.cookie = sessionCookieFrom(response) ?? this.cookie;
    this.csrf = csrfTokenFrom(response.body) ?? this.csrf;
    return response;
  }

  async post(url: string, fields: Record<string, string | string[]>): Promise<LightMyRequestResponse> {
    const response = await this.app.inject({
      method: 'POST',
      url,
      remoteAddress: this.remoteAddress,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(this.cookie ? { cookie: this.cookie } : {}),
      },
      payload: formBody({ ...(this.csrf ? { _csrf: this.csrf } : {}), ...fields }),
    });
    this.cookie = sessionCookieFrom(response) ?? this.cookie;
    this.csrf = csrfTokenFrom(response.body) ?? this.csrf;
    return response;
  }

  /**
   * Signs in as a person would, including the second step when there is one: setting up the
   * authenticator app if sign-in asks for that (see test/helpers/staff.ts), or entering a code.
   * Returns the password step's response.
   */
  async signIn(email: string, password: string): Promise<LightMyRequestResponse> {
    await this.get('/staff/sign-in');
    const response = await this.post('/staff/sign-in', { email, password });
    if (response.statusCode === 303) {
      await this.completeSecondFactor(email, response);
      // The sign-in replaced the session; fetch a page to pick up the new session's CSRF token.
      await this.get('/staff/account');
    }
    return response;
  }

  /**
   * After a right password: sets up TOTP or enters a code, as the redirect asks. Returns where the
   * person ends up (the `next` page, or the landing page for their role).
   */
  async completeSecondFactor(email: string, passwordStep: LightMyRequestResponse): Promise<string> {
    const location = String(passwordStep.headers.location ?? '');
    if (location.startsWith('/staff/two-factor/setup')) {
      const page = await this.get(location);
      const secret = setupKeyFrom(page.body);
      const step = await setUpStep();
      const next = new URL(location, 'http://x').searchParams.get('next') ?? '';
      const done = await this.post('/staff/two-factor/setup', { code: totpCode(secret, { step }), next });
      if (done.statusCode !== 200) throw new Error(`TOTP set-up failed with ${done.statusCode}`);
      rememberFactor(this.app, email, {
        secret,
        lastStep: step,
        recoveryCodes: recoveryCodesFrom(done.body),
      });
      return (
        /<a href="([^"]+)" role="button"[^>]*>\s*I have saved/.exec(done.body)?.[1]?.replace(/&amp;/g, '&') ??
        ''
      );
    }
    if (location === '/staff/sign-in/code') {
      const factor = knownFactor(this.app, email);
      if (!factor) throw new Error(`TestBrowser does not know the authenticator app of ${email}`);
      await this.get(location);
      let landing = '';
      await answerSecondFactor(factor, async (answer) => {
        const response =
          answer.kind === 'code'
            ? await this.post('/staff/sign-in/code', { code: answer.value })
            : await this.post('/staff/sign-in/recovery-code', { recoveryCode: answer.value });
        if (response.statusCode !== 303) return false;
        landing = String(response.headers.location);
        return true;
      });
      return landing;
    }
    return location;
  }
}
