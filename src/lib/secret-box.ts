/**
 * Encryption at rest for small secrets the server must be able to read back (a TOTP shared secret cannot
 * be hashed: checking a code needs the secret itself).
 *
 * AES-256-GCM, authenticated, with a fresh 96-bit random nonce per value. The key is not stored
 * anywhere: it is derived with HKDF-SHA-256 from CIVICDESK_SESSION_SECRET, with a "purpose" label as
 * HKDF's info, so
 *   - the deployment has one secret to keep (in its secret store), not two;
 *   - the derived key is cryptographically independent of the session-id HMAC key and of any other
 *     purpose's key, although they share the master secret;
 *   - someone with a copy of the database (a backup, a replica, a leaked dump) but not the secret cannot
 *     read the values.
 * Each value is bound to its row with additional authenticated data (the staff user's id): a ciphertext
 * copied into another user's row fails to open instead of giving that user someone else's secret.
 *
 * The price: changing CIVICDESK_SESSION_SECRET makes every sealed value unreadable (as well as signing
 * everybody out). Staff with a TOTP must then sign in with a recovery code and set their app up again.
 * Values carry a version prefix ("v1.") so a later key scheme (for example a keyring for rotation) can
 * read old values.
 */
import crypto from 'node:crypto';

const VERSION = 'v1';
const HKDF_SALT = 'civicdesk-secret-box';

export class SecretBox {
  readonly #key: Buffer;

  constructor(masterSecret: string, purpose: string) {
    this.#key = Buffer.from(crypto.hkdfSync('sha256', masterSecret, HKDF_SALT, purpose, 32));
  }

  /** "v1.<nonce>.<tag>.<ciphertext>", each part base64url. */
  seal(plaintext: string, boundTo: string): string {
    const nonce = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.#key, nonce);
    cipher.setAAD(Buffer.from(boundTo, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, nonce, tag, ciphertext]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /** The plaintext, or undefined if the value was not sealed by this key for this `boundTo`. */
  open(sealed: string, boundTo: string): string | undefined {
    const [version, nonce, tag, ciphertext, ...rest] = sealed.split('.');
    if (version !== VERSION || !nonce || !tag || ciphertext === undefined || rest.length > 0)
      return undefined;
    try {
      // authTagLength pinned: otherwise a truncated (forgeable) tag would be accepted.
      const decipher = crypto.createDecipheriv('aes-256-gcm', this.#key, Buffer.from(nonce, 'base64url'), {
        authTagLength: 16,
      });
      decipher.setAAD(Buffer.from(boundTo, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
