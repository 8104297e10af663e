/**
 * Recovery codes: the way in when the authenticator app is lost. Ten per set, each usable once.
 *
 * Each code is 12 characters from Crockford's base32 alphabet (no i, l, o or u, so nothing is misread),
 * 60 random bits, shown as "7kq2-9xd4-mh3p". Only a SHA-256 of the staff user's id and the code is
 * stored. With 60 bits of randomness a plain hash is enough (guessing one from its hash costs about 2^59
 * hashes, and a code is useless without the password anyway), and, unlike a key derived from the session
 * secret, it survives a change of that secret, which is exactly when recovery codes are needed.
 */
import crypto from 'node:crypto';

export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    const bytes = crypto.randomBytes(12);
    const chars = [...bytes].map((b) => ALPHABET[b & 31]).join('');
    return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
  });
}

/** As typed: any case, spaces and hyphens ignored, i/l read as 1 and o as 0. Undefined if not a code. */
export function normaliseRecoveryCode(input: string): string | undefined {
  const clean = input.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
  return /^[0-9a-hjkmnp-tv-z]{12}$/.test(clean) ? clean : undefined;
}

export function hashRecoveryCode(staffUserId: string, normalisedCode: string): string {
  return crypto.createHash('sha256').update(`${staffUserId}:${normalisedCode}`).digest('hex');
}
