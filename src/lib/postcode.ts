/**
 * UK postcodes: normalising, validating, and reading what a resident has typed so far.
 *
 * A postcode is an outward code (area letters + district, e.g. "M33", "SW1A") and an inward code (sector
 * digit + unit letters, e.g. "7AA"). Normal form is upper case with exactly one space between the two:
 * "m15 4ab", "M154AB" and " M15  4AB " are all "M15 4AB". Validation checks the shape and that the area is
 * one of the postcode areas that exist, so "QQ1 1AA" or a road number like "A56" is not taken for a
 * postcode. Pure: no I/O.
 */

/** Every postcode area (the letters at the start), including the Crown Dependencies and BFPO/non-geographic. */
const AREAS = new Set(
  (
    'AB AL B BA BB BD BF BH BL BN BR BS BT BX CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY ' +
    'E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L LA LD LE LL ' +
    'LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK SL SM SN ' +
    'SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV YO ZE'
  ).split(' '),
);

/** Area letters then the district: a digit, optionally followed by a digit or a letter (M3, M33, W1A, EC1A). */
const OUTWARD = /^([A-Z]{1,2})(\d[A-Z\d]?)$/;
/** Sector digit then two unit letters; the unit never uses C, I, K, M, O or V. */
const INWARD = /^\d[ABD-HJLNP-UW-Z]{2}$/;
/** The start of an inward code: the sector digit, perhaps with the first unit letter. */
const PARTIAL_INWARD = /^\d[ABD-HJLNP-UW-Z]?$/;
/** Girobank's historic postcode: valid, but fits no rule. */
const SPECIAL = 'GIR0AA';

/** Upper case, with everything but letters, digits and single spaces removed. */
function clean(input: string): string {
  return input
    .toUpperCase()
    .replace(/[^A-Z0-9\s]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

export function isValidOutward(outward: string): boolean {
  const match = OUTWARD.exec(outward);
  return match !== null && AREAS.has(match[1]!);
}

/** Splits a postcode written with no space into outward + inward ("M154AB" → ["M15", "4AB"]). */
function splitCompact(compact: string): [string, string] | null {
  if (compact === SPECIAL) return ['GIR', '0AA'];
  if (compact.length < 5 || compact.length > 7) return null;
  const outward = compact.slice(0, -3);
  const inward = compact.slice(-3);
  return isValidOutward(outward) && INWARD.test(inward) ? [outward, inward] : null;
}

/**
 * The normal form of a full postcode ("m15 4ab" → "M15 4AB"), or null if it is not a valid one. Spaces
 * anywhere and punctuation are ignored; the letters and digits must make a whole postcode.
 */
export function normalisePostcode(input: string): string | null {
  if (input.length > 40) return null;
  const parts = splitCompact(clean(input).replace(/ /g, ''));
  return parts ? `${parts[0]} ${parts[1]}` : null;
}

export function isValidPostcode(input: string): boolean {
  return normalisePostcode(input) !== null;
}

/** "M15 4AB" → "M15"; assumes a normalised postcode. */
export function outwardCode(postcode: string): string {
  return postcode.split(' ')[0]!;
}

/** "M15 4AB" → "M15 4", the postcode sector; assumes a normalised postcode. */
export function postcodeSector(postcode: string): string {
  return postcode.slice(0, -2);
}

/**
 * What a search box holding something postcode-shaped asks for:
 * - `full`: a whole postcode, normalised ("m33 7aa" → "M33 7AA");
 * - `outward`: just an outward code ("M33", "m3"); `compact` is also a prefix of longer outward codes
 *   ("M3" → M30, M31 ...), for a resident still typing;
 * - `prefix`: an outward code and the start of an inward code ("M33 7", "M337", "M33 7A"), normalised to
 *   the spaced form so it is a prefix of the postcodes it means.
 * null: not a postcode (no digit, an unknown area, too long, stray words): search names instead.
 */
export type PostcodeQuery =
  | { kind: 'full'; postcode: string }
  | { kind: 'outward'; outward: string }
  | { kind: 'prefix'; prefix: string };

export function parsePostcodeQuery(input: string): PostcodeQuery | null {
  if (input.length > 40) return null;
  const cleaned = clean(input);
  if (!/\d/.test(cleaned)) return null;
  const compact = cleaned.replace(/ /g, '');
  const full = splitCompact(compact);
  if (full) return { kind: 'full', postcode: `${full[0]} ${full[1]}` };

  const words = cleaned.split(' ');
  if (words.length === 2) {
    // A space says where the outward code ends.
    const [outward, inward] = words as [string, string];
    return isValidOutward(outward) && PARTIAL_INWARD.test(inward)
      ? { kind: 'prefix', prefix: `${outward} ${inward}` }
      : null;
  }
  if (words.length !== 1) return null;
  if (isValidOutward(compact)) return { kind: 'outward', outward: compact };
  // No space: find where the outward code ends. The inward code starts with a digit and then has letters,
  // so at most one split fits ("M337" is "M33 7"; "M3" + "37" cannot be).
  for (let end = Math.min(4, compact.length - 1); end >= 2; end--) {
    const outward = compact.slice(0, end);
    const inward = compact.slice(end);
    if (isValidOutward(outward) && PARTIAL_INWARD.test(inward)) {
      return { kind: 'prefix', prefix: `${outward} ${inward}` };
    }
  }
  return null;
}
