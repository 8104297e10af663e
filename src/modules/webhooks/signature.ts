/**
 * Signing webhook requests, and checking a signature on the receiving side.
 *
 * Each request carries `Civicdesk-Signature: t=<unix seconds>,v1=<hex>` where the hex is
 * HMAC-SHA256, keyed with the endpoint's secret (the whole `whsec_...` string as UTF-8), over the
 * timestamp, a full stop and the raw request body: `"<t>.<body>"`. Signing the timestamp with the body
 * lets a receiver refuse a captured request played again later: it checks the signature, then that `t`
 * is within a few minutes of its own clock. There may be more than one `v1=` (while a secret is being
 * replaced); a request is genuine if any of them matches.
 *
 * This file imports nothing from the app so a receiver written in TypeScript can copy the idea; the
 * verification is also described in words in docs/integrations.md.
 */
import crypto from 'node:crypto';

export const SIGNATURE_HEADER = 'Civicdesk-Signature';
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function signatureFor(secret: string, timestamp: number, body: string): string {
  return crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/** The header value for a body sent now (or at `timestamp`, in seconds since 1970). */
export function signWebhook(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${signatureFor(secret, timestamp, body)}`;
}

export type VerifyResult =
  | { valid: true; timestamp: number }
  | { valid: false; reason: 'malformed' | 'mismatch' | 'too_old' | 'too_new' };

/**
 * Checks a `Civicdesk-Signature` header against the raw body exactly as received (before any JSON
 * parsing: re-serialising changes the bytes). Refuses a body that was changed, a header that was not
 * made with this secret, and a timestamp further than `toleranceSeconds` from now either way.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined | null,
  body: string | Buffer,
  {
    toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
    now = Date.now(),
  }: { toleranceSeconds?: number; now?: number } = {},
): VerifyResult {
  if (!header) return { valid: false, reason: 'malformed' };
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [name, value, ...rest] = part.trim().split('=');
    if (!name || value === undefined || rest.length) return { valid: false, reason: 'malformed' };
    if (name === 't') {
      if (!/^\d{1,12}$/.test(value)) return { valid: false, reason: 'malformed' };
      timestamp = Number(value);
    } else if (name === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(value)) return { valid: false, reason: 'malformed' };
      signatures.push(value);
    }
    // Other schemes (a later v2) are ignored, so adding one does not break today's receivers.
  }
  if (timestamp === undefined || signatures.length === 0) return { valid: false, reason: 'malformed' };
  const expected = Buffer.from(
    signatureFor(secret, timestamp, typeof body === 'string' ? body : body.toString('utf8')),
    'hex',
  );
  const matches = signatures.some((s) => crypto.timingSafeEqual(Buffer.from(s, 'hex'), expected));
  if (!matches) return { valid: false, reason: 'mismatch' };
  const age = now / 1000 - timestamp;
  if (age > toleranceSeconds) return { valid: false, reason: 'too_old' };
  if (age < -toleranceSeconds) return { valid: false, reason: 'too_new' };
  return { valid: true, timestamp };
}

export function newWebhookSecret(): string {
  return `whsec_${crypto.randomBytes(32).toString('base64url')}`;
}
