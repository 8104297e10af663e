/**
 * Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP), as authenticator apps make them:
 * HMAC-SHA-1, 30-second steps, 6 digits. Written on node:crypto rather than a library because the whole
 * algorithm is the few lines below, and they are checked against the RFC's own test vectors.
 *
 * `verifyTotp` returns the time step a code matched, not a yes/no, so the caller can refuse a code from a
 * step that was already used (replay protection needs the database; see StaffService).
 */
import crypto from 'node:crypto';

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Codes from one step either side of now are accepted, for clock drift and typing time. */
export const TOTP_WINDOW_STEPS = 1;
const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** Decodes base32 as people type it: any case, spaces and hyphens ignored, padding optional. */
export function base32Decode(text: string): Buffer | undefined {
  const clean = text.replace(/[\s-]/g, '').replace(/=+$/, '').toUpperCase();
  if (!/^[A-Z2-7]*$/.test(clean)) return undefined;
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of clean) {
    value = (value << 5) | BASE32_ALPHABET.indexOf(char);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** A new shared secret: 160 random bits (the HMAC-SHA-1 block the RFC recommends), in base32. */
export function generateTotpSecret(): string {
  return base32Encode(crypto.randomBytes(20));
}

export function totpStep(at: Date): number {
  return Math.floor(at.getTime() / 1000 / TOTP_PERIOD_SECONDS);
}

/** RFC 4226 HOTP with dynamic truncation, zero-padded to `digits`. */
export function hotp(key: Uint8Array, counter: number, digits = TOTP_DIGITS): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = crypto.createHmac('sha1', key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(binary).padStart(digits, '0');
}

/** The code an authenticator app shows at `at` (or for a given step). */
export function totpCode(secretBase32: string, at: Date | { step: number }): string {
  const key = base32Decode(secretBase32);
  if (!key || key.length === 0) throw new Error('not a base32 TOTP secret');
  return hotp(key, at instanceof Date ? totpStep(at) : at.step);
}

/** "123 456" and "123456" alike; undefined unless it is exactly six digits. */
export function normaliseTotpCode(input: string): string | undefined {
  const digits = input.replace(/[\s-]/g, '');
  return new RegExp(`^\\d{${TOTP_DIGITS}}$`).test(digits) ? digits : undefined;
}

/**
 * The step whose code `code` is, within TOTP_WINDOW_STEPS of `at`, or undefined. Every candidate step is
 * compared (in constant time), so the time taken does not say which step matched.
 */
export function verifyTotp(secretBase32: string, code: string, at: Date): number | undefined {
  const normalised = normaliseTotpCode(code);
  const key = base32Decode(secretBase32);
  if (!normalised || !key || key.length === 0) return undefined;
  const now = totpStep(at);
  let matched: number | undefined;
  for (let step = now - TOTP_WINDOW_STEPS; step <= now + TOTP_WINDOW_STEPS; step++) {
    const expected = Buffer.from(hotp(key, step));
    if (crypto.timingSafeEqual(expected, Buffer.from(normalised)) && matched === undefined) matched = step;
  }
  return matched;
}

/**
 * The otpauth:// URI an authenticator app reads from the QR code (the Key Uri Format Google
 * Authenticator defined and every app follows). The label is "issuer:account", both also in parameters.
 */
export function otpauthUri({
  secret,
  issuer,
  account,
}: {
  secret: string;
  issuer: string;
  account: string;
}): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const params = new URLSearchParams({
    secret,
    issuer,
    algorithm: 'SHA1',
    digits: String(TOTP_DIGITS),
    period: String(TOTP_PERIOD_SECONDS),
  });
  return `otpauth://totp/${label}?${params.toString().replace(/\+/g, '%20')}`;
}

/** "JBSW Y3DP EHPK 3PXP": the secret in groups of four, easier to type into an app by hand. */
export function groupSecret(secretBase32: string): string {
  return secretBase32.replace(/(.{4})(?=.)/g, '$1 ');
}
