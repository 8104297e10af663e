/**
 * Server-side sessions in the database (no in-memory state, so any process can serve any request).
 *
 * The cookie holds 32 random bytes; the table holds only an HMAC of them, so a copy of the table cannot
 * be turned back into working cookies. Sessions are loaded lazily: a request that never asks for its
 * session (assets, health checks, most public pages) costs no query. A session is created only when
 * something needs one: a form's CSRF token, a journey's saved answers, a staff sign-in.
 */
import crypto from 'node:crypto';
import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';

export const SESSION_COOKIE = 'civicdesk_session';
/** Refresh last_seen/expires at most this often, so reading a session is not a write per request. */
const TOUCH_AFTER_MS = 5 * 60 * 1000;

export interface Session {
  readonly csrfToken: string;
  staffUserId: string | null;
  data: Record<string, unknown>;
}

interface LoadedSession extends Session {
  idHash: string;
  lastSeenAt: Date;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The session, once loaded by `loadSession` or `ensureSession`; undefined before or if none. */
    session: Session | undefined;
    /** Reads the session named by the cookie, if it exists and has not expired. */
    loadSession(): Promise<Session | undefined>;
    /** Returns the session, creating it (and setting the cookie) if there is none. */
    ensureSession(): Promise<Session>;
    /** Writes `session.data` and `session.staffUserId` back. */
    saveSession(): Promise<void>;
    /** Deletes the session and clears the cookie (sign out). */
    destroySession(): Promise<void>;
    /** Set on every request: creating or destroying a session mid-handler sets or clears the cookie. */
    replyForSession: FastifyReply | null;
  }
}

export default fp(
  async (app, opts: { config: Config; db: Kysely<Database> }) => {
    const { db, config } = opts;
    const ttlMs = config.CIVICDESK_SESSION_TTL_HOURS * 3600 * 1000;
    const hashId = (id: string) => crypto.createHmac('sha256', config.sessionSecret).update(id).digest('hex');
    const cookieOptions = {
      path: '/',
      httpOnly: true,
      secure: true,
      sameSite: 'lax' as const,
      maxAge: Math.floor(ttlMs / 1000),
    };
    const loaded = new WeakMap<FastifyRequest, LoadedSession | null>();

    app.decorateRequest('session', undefined);
    app.decorateRequest('replyForSession', null);

    app.decorateRequest('loadSession', async function (this: FastifyRequest) {
      const cached = loaded.get(this);
      if (cached !== undefined) return cached ?? undefined;
      const id = this.cookies[SESSION_COOKIE];
      let session: LoadedSession | null = null;
      if (id && /^[A-Za-z0-9_-]{43}$/.test(id)) {
        const row = await db
          .selectFrom('session')
          .select(['id_hash', 'csrf_token', 'staff_user_id', 'data', 'last_seen_at'])
          .where('id_hash', '=', hashId(id))
          .where('expires_at', '>', new Date())
          .executeTakeFirst();
        if (row) {
          session = {
            idHash: row.id_hash,
            csrfToken: row.csrf_token,
            staffUserId: row.staff_user_id,
            data: row.data,
            lastSeenAt: row.last_seen_at,
          };
          if (Date.now() - row.last_seen_at.getTime() > TOUCH_AFTER_MS) {
            // Slide both expiries: the row's and the browser's cookie.
            this.replyForSession?.setCookie(SESSION_COOKIE, id, cookieOptions);
            await db
              .updateTable('session')
              .set({ last_seen_at: new Date(), expires_at: new Date(Date.now() + ttlMs) })
              .where('id_hash', '=', row.id_hash)
              .execute();
          }
        }
      }
      loaded.set(this, session);
      this.session = session ?? undefined;
      return this.session;
    });

    app.decorateRequest('ensureSession', async function (this: FastifyRequest) {
      const existing = await this.loadSession();
      if (existing) return existing;
      const id = crypto.randomBytes(32).toString('base64url');
      const session: LoadedSession = {
        idHash: hashId(id),
        csrfToken: crypto.randomBytes(32).toString('base64url'),
        staffUserId: null,
        data: {},
        lastSeenAt: new Date(),
      };
      await db
        .insertInto('session')
        .values({
          id_hash: session.idHash,
          csrf_token: session.csrfToken,
          data: JSON.stringify({}),
          expires_at: new Date(Date.now() + ttlMs),
        })
        .execute();
      loaded.set(this, session);
      this.session = session;
      this.replyForSession?.setCookie(SESSION_COOKIE, id, cookieOptions);
      return session;
    });

    app.decorateRequest('saveSession', async function (this: FastifyRequest) {
      const session = loaded.get(this);
      if (!session) throw new Error('saveSession called with no session: call ensureSession first');
      await db
        .updateTable('session')
        .set({ data: JSON.stringify(session.data), staff_user_id: session.staffUserId })
        .where('id_hash', '=', session.idHash)
        .execute();
    });

    app.decorateRequest('destroySession', async function (this: FastifyRequest) {
      const session = await this.loadSession();
      if (session) {
        await db
          .deleteFrom('session')
          .where('id_hash', '=', (session as LoadedSession).idHash)
          .execute();
      }
      loaded.set(this, null);
      this.session = undefined;
      this.replyForSession?.clearCookie(SESSION_COOKIE, {
        path: '/',
      });
    });

    app.addHook('onRequest', async (request, reply) => {
      request.replyForSession = reply;
    });
  },
  { name: 'session', dependencies: ['@fastify/cookie'] },
);

/** Deletes expired sessions; run from the maintenance timer. */
export async function deleteExpiredSessions(db: Kysely<Database>): Promise<number> {
  const result = await db.deleteFrom('session').where('expires_at', '<', new Date()).executeTakeFirst();
  return Number(result.numDeletedRows);
}
