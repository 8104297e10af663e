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
 * page it fetches so the next form post can send it, as a real form would.
 */
export class TestBrowser {
  cookie: string | undefined;
  csrf: string | undefined;

  constructor(private readonly app: FastifyInstance) {}

  async get(url: string): Promise<LightMyRequestResponse> {
    const response = await this.app.inject({
      method: 'GET',
      url,
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

  async signIn(email: string, password: string): Promise<LightMyRequestResponse> {
    await this.get('/staff/sign-in');
    const response = await this.post('/staff/sign-in', { email, password });
    // The sign-in replaced the session; fetch a page to pick up the new session's CSRF token.
    if (response.statusCode === 303) await this.get('/admin');
    return response;
  }
}
