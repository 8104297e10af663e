/**
 * Settings for what residents see: the site's address and name, the map (tiles, credit, zoom and the
 * checks on the tile URL that the Content Security Policy depends on), case references, the duplicate
 * check, and the limits on residents' photos.
 */
import { Type, type Static, type TObject } from 'typebox';

export const photoSettings = {
  CIVICDESK_PHOTO_MAX_BYTES: Type.Integer({
    minimum: 1024,
    maximum: 100 * 1024 * 1024,
    default: 10 * 1024 * 1024,
    description:
      'Largest photo a resident may upload, in bytes (default 10 MiB). Larger files are refused with a message before they are read as images.',
  }),
  CIVICDESK_PHOTO_MAX_PIXELS: Type.Integer({
    minimum: 10_000,
    maximum: 268_402_689,
    default: 40_000_000,
    description:
      'Largest photo a resident may upload, in pixels (width times height; default 40 million). Guards against small files that decode to huge images.',
  }),
  CIVICDESK_PHOTO_MAX_PER_REPORT: Type.Integer({
    minimum: 0,
    maximum: 20,
    default: 3,
    description:
      'Most photos a resident may add to one report (0 turns photo uploads off). A service may set a lower limit of its own.',
  }),
};

export const siteSettings = {
  CIVICDESK_BASE_URL: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description:
        'Public address of this site, used in links inside emails (https://report.example.gov.uk). Default: http://localhost:PORT. Required in production.',
    }),
  ),
  CIVICDESK_COUNCIL_NAME: Type.String({
    default: 'Ashdown Borough Council (fictional demo)',
    minLength: 1,
    maxLength: 120,
    description: 'Name shown in the header, page titles and emails.',
  }),
  CIVICDESK_MAP_TILE_URL: Type.String({
    default: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
    minLength: 1,
    maxLength: 500,
    description:
      'Map tiles: an OpenStreetMap-compatible (XYZ) URL template with {z}, {x} and {y}, and optionally {s} at the start of the host name for subdomains or {r} for high-resolution tiles; https, or a path on this site. The Content Security Policy lets images come from this host only. Use your own tile server, or one whose usage policy allows your traffic.',
  }),
  CIVICDESK_MAP_ATTRIBUTION: Type.String({
    default: '© [OpenStreetMap contributors](https://www.openstreetmap.org/copyright)',
    minLength: 1,
    maxLength: 500,
    description:
      'Credit for the map tiles, shown on every map. Plain text; write a link as [text](https://...).',
  }),
  CIVICDESK_MAP_MAX_ZOOM: Type.Integer({
    minimum: 1,
    maximum: 22,
    default: 19,
    description: 'The closest zoom level the tile server provides (OpenStreetMap: 19).',
  }),
  CIVICDESK_REFERENCE_PREFIX: Type.String({
    default: 'CD',
    pattern: '^[A-Z]{2,5}$',
    description:
      'Two to five capital letters that start every case reference, e.g. TRF gives TRF-7K3Q-9X2M. Choose it before the first case: changing it later does not change existing references.',
  }),
  CIVICDESK_DUPLICATE_RADIUS_METRES: Type.Integer({
    minimum: 0,
    maximum: 1000,
    default: 50,
    description:
      'Before a resident reports, open reports of the same service within this distance are offered to follow instead. 0 turns the check off.',
  }),
};

type SiteRaw = Static<TObject<typeof siteSettings>>;

/** Problems with the site settings taken together; added to `problems`. */
export function siteProblems(config: SiteRaw, problems: string[]): void {
  const tileProblem = mapTileUrlProblem(config.CIVICDESK_MAP_TILE_URL);
  if (tileProblem) problems.push(`CIVICDESK_MAP_TILE_URL: ${tileProblem}`);
}

/** Why a map tile URL template cannot be used, or undefined if it can. */
export function mapTileUrlProblem(template: string): string | undefined {
  for (const placeholder of ['{z}', '{x}', '{y}']) {
    if (!template.includes(placeholder)) return `the tile URL template has no ${placeholder}`;
  }
  if (template.startsWith('/') && !template.startsWith('//')) return undefined;
  const match = /^(https?):\/\/([^/?#]+)[/?#]/.exec(template);
  if (!match) return 'the tile URL must start with https:// (or http://), or be a path on this site';
  const host = match[2]!.replace(/^\{s\}\./, 'a.');
  if (/[{}\s@]/.test(host)) return 'only {s}, at the start of the host name, may stand for part of the host';
  try {
    new URL(`${match[1]}://${host}/`);
  } catch {
    return `"${match[2]}" is not a host name`;
  }
  return undefined;
}

/**
 * The Content Security Policy source the map tiles come from: 'self' for a path on this site, otherwise
 * the tile server's origin, with a wildcard for the {s} subdomain label only. Expects a template that
 * passed mapTileUrlProblem.
 */
export function mapTileSource(template: string): string {
  if (template.startsWith('/') && !template.startsWith('//')) return "'self'";
  const match = /^(https?):\/\/([^/?#]+)/.exec(template)!;
  return `${match[1]}://${match[2]!.replace(/^\{s\}\./, '*.').toLowerCase()}`;
}
