/**
 * Place names as the search compares them. The same function runs on every name at import and on every
 * query, so "Bradgate Rd", "bradgate road" and "BRADGATE ROAD." all become "bradgate road" and meet in
 * the trigram index. Pure: no I/O.
 */

/**
 * Street-type abbreviations and their full words. Expanded only after the first word: a street type never
 * starts a name, and "St" at the start is "Saint" ("St Johns Road"), never "Street".
 */
const ABBREVIATIONS: Record<string, string> = {
  rd: 'road',
  st: 'street',
  str: 'street',
  ave: 'avenue',
  av: 'avenue',
  ln: 'lane',
  dr: 'drive',
  cl: 'close',
  cres: 'crescent',
  cresc: 'crescent',
  gdns: 'gardens',
  pl: 'place',
  sq: 'square',
  ct: 'court',
  tce: 'terrace',
  terr: 'terrace',
  gro: 'grove',
  gr: 'grove',
  pde: 'parade',
  pk: 'park',
  wk: 'walk',
  hts: 'heights',
  mws: 'mews',
  bvd: 'boulevard',
  blvd: 'boulevard',
};

/** Names are bounded: nothing longer is a place name, and trigram work grows with length. */
export const MAX_NAME_LENGTH = 200;

function words(input: string, maxLength: number): string[] {
  return input
    .slice(0, maxLength * 2)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // accents: "Café" → "Cafe"
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/['’`]/g, '') // "St John's" → "st johns"
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter(Boolean);
}

/**
 * The search form of a name or a query: lower case, no accents or punctuation, single spaces, street-type
 * abbreviations written out, and "Saint" written "st" (the usual form in UK street names).
 */
export function searchForm(input: string, maxLength = MAX_NAME_LENGTH): string {
  return words(input, maxLength)
    .map((word, index) => {
      if (word === 'saint') return 'st';
      return index > 0 ? (ABBREVIATIONS[word] ?? word) : word;
    })
    .join(' ')
    .slice(0, maxLength)
    .trim();
}

/**
 * A name for display, with abbreviations written out and the rest as given: "Bradgate Rd" → "Bradgate
 * Road", "CHURCH ST." → "CHURCH STREET". Whitespace is tidied; letters are not re-cased.
 */
export function expandAbbreviations(name: string): string {
  return name
    .trim()
    .split(/\s+/)
    .map((token, index) => {
      if (index === 0) return token;
      const bare = token.replace(/\.$/, '');
      const full = ABBREVIATIONS[bare.toLowerCase()];
      if (!full) return token;
      // "RD" in a name written in capitals becomes "ROAD"; "Rd" or "rd" becomes "Road".
      if (bare.length > 1 && bare === bare.toUpperCase()) return full.toUpperCase();
      return full[0]!.toUpperCase() + full.slice(1);
    })
    .join(' ');
}
