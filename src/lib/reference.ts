/**
 * Case references residents can read out over the phone: a prefix and eight characters in two groups,
 * e.g. ASH-7K3Q-9X2M. The characters leave out the ones people confuse (0/O, 1/I/L, and U, which can
 * make words), and the eight are random (about 6.5 × 10^11 possibilities), so a reference reveals
 * nothing about how many cases there are and cannot be guessed from another.
 */
import crypto from 'node:crypto';

export const REFERENCE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';

export function generateReference(
  prefix: string,
  random: (n: number) => Buffer = crypto.randomBytes,
): string {
  const chars: string[] = [];
  // Rejection sampling keeps every character equally likely (256 is not a multiple of 30).
  const limit = 256 - (256 % REFERENCE_ALPHABET.length);
  while (chars.length < 8) {
    for (const byte of random(16)) {
      if (byte < limit && chars.length < 8) chars.push(REFERENCE_ALPHABET[byte % REFERENCE_ALPHABET.length]!);
    }
  }
  return `${prefix}-${chars.slice(0, 4).join('')}-${chars.slice(4).join('')}`;
}

/**
 * What a person typed, as a reference: upper case, with spaces and dashes tidied ("ash 7k3q9x2m" →
 * "ASH-7K3Q-9X2M"). Characters we never issue are left alone, so such a reference simply finds nothing.
 */
export function normaliseReference(input: string): string {
  const compact = input.toUpperCase().replace(/[\s-]+/g, '');
  const match = /^([A-Z]{2,5})([0-9A-Z]{8})$/.exec(compact);
  if (!match) return input.trim().toUpperCase();
  const [, prefix, body] = match;
  return `${prefix}-${body!.slice(0, 4)}-${body!.slice(4)}`;
}

export function isWellFormedReference(value: string): boolean {
  return new RegExp(`^[A-Z]{2,5}-[${REFERENCE_ALPHABET}]{4}-[${REFERENCE_ALPHABET}]{4}$`).test(value);
}
