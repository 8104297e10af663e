/**
 * Reply addresses that thread an emailed case's replies back onto it: `<local>+<token>@<domain>`, where
 * the token carries the case id and an HMAC of it. A reference alone would let anyone who saw one (it
 * is printed on public pages) post into a case's timeline; the HMAC makes a token unguessable and
 * checkable without a database lookup, and the case id inside it (not the reference) survives a
 * change of reference prefix.
 *
 * Tokens are lower-case base32 so that mail systems that change the case of a local part, or that
 * treat it as case-insensitive, do not break them; 26 characters of case id and 16 of MAC (80 bits)
 * keep the local part well under 64 characters.
 */
import crypto from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const MAC_BYTES = 10;
const ID_CHARS = 26; // 16 bytes in base32
const MAC_CHARS = 16; // 10 bytes in base32

function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function fromBase32(text: string, bytes: number): Buffer | undefined {
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of text) {
    const index = ALPHABET.indexOf(char);
    if (index < 0) return undefined;
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  // Only the canonical spelling: the bits left over after the last byte must be zero.
  if (bits > 0 && (value & ((1 << bits) - 1)) !== 0) return undefined;
  return out.length === bytes ? Buffer.from(out) : undefined;
}

function uuidBytes(id: string): Buffer {
  const hex = id.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a uuid: ${id}`);
  return Buffer.from(hex, 'hex');
}

function uuidFrom(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export class ReplyAddresses {
  readonly local: string;
  readonly domain: string;
  readonly #key: Buffer;

  constructor(replyAddress: string, secret: string) {
    const at = replyAddress.lastIndexOf('@');
    this.local = replyAddress.slice(0, at).toLowerCase();
    this.domain = replyAddress.slice(at + 1).toLowerCase();
    // A key of its own, so a reply token never doubles as anything else signed with the same secret.
    this.#key = crypto.createHmac('sha256', secret).update('civicdesk reply-address token v1').digest();
  }

  #mac(id: Buffer): Buffer {
    return crypto.createHmac('sha256', this.#key).update(id).digest().subarray(0, MAC_BYTES);
  }

  tokenFor(caseId: string): string {
    const id = uuidBytes(caseId);
    return base32(id) + base32(this.#mac(id));
  }

  addressFor(caseId: string): string {
    return `${this.local}+${this.tokenFor(caseId)}@${this.domain}`;
  }

  /** The case id a token stands for, or undefined if it is not one we made. */
  verifyToken(token: string): string | undefined {
    const text = token.toLowerCase();
    if (text.length !== ID_CHARS + MAC_CHARS) return undefined;
    const id = fromBase32(text.slice(0, ID_CHARS), 16);
    const mac = fromBase32(text.slice(ID_CHARS), MAC_BYTES);
    if (!id || !mac) return undefined;
    return crypto.timingSafeEqual(mac, this.#mac(id)) ? uuidFrom(id) : undefined;
  }

  /** Whether an address is at the reply domain with the reply local part (with or without a token). */
  isReplyAddress(address: string): boolean {
    const parsed = this.parse(address);
    return parsed !== undefined;
  }

  /** `{ token }` for an address of ours (token '' when it has none), undefined for anyone else's. */
  parse(address: string): { token: string } | undefined {
    const match = /^([^@+]+)(?:\+([^@]*))?@(.+)$/.exec(address.trim().toLowerCase());
    if (!match || match[1] !== this.local || match[3] !== this.domain) return undefined;
    return { token: match[2] ?? '' };
  }
}
