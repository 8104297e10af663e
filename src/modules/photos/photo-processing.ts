/**
 * Turning whatever a resident uploads into a safe photo: a re-encoded JPEG and a thumbnail, upright,
 * with every piece of metadata gone (EXIF with its GPS location and camera make and model, XMP, IPTC,
 * ICC profiles once the pixels are in sRGB), or a PhotoRejectedError whose message can be shown to the
 * resident as it is.
 *
 * The type is decided from the file's own bytes, never from its name or the browser's content type,
 * and checked again against what the decoder finds. Limits are applied before any pixels are decoded:
 * the byte size first, then the dimensions in the header, and sharp's `limitInputPixels` as a backstop,
 * so a small file that would decode to a huge image (a decompression bomb) is refused cheaply.
 */
import sharp, { type Metadata, type OutputInfo, type SharpOptions } from 'sharp';
import { AppError } from '../../lib/errors.js';

/** What the resident sent, as decided from its bytes. */
export type PhotoSourceType = 'jpeg' | 'png' | 'webp' | 'heic' | 'avif';

export interface PhotoLimits {
  /** Largest file accepted, in bytes. */
  maxBytes: number;
  /** Largest image accepted, in pixels (width × height of the stored image, before any resizing). */
  maxPixels: number;
  /** Long edge of the stored image; larger images are scaled down. Default 2048. */
  maxEdge?: number;
  /** Long edge of the thumbnail. Default 320. */
  thumbnailEdge?: number;
  /** JPEG quality of the stored image. Default 82. */
  quality?: number;
  /** Give up on an image that takes longer than this to process. Default 30. */
  timeoutSeconds?: number;
}

export interface ProcessedPhoto {
  /** Re-encoded JPEG, no metadata. */
  image: Buffer;
  /** JPEG thumbnail, no metadata. */
  thumbnail: Buffer;
  /** Size of `image`, after orientation and scaling. */
  width: number;
  height: number;
  thumbnailWidth: number;
  thumbnailHeight: number;
  sourceType: PhotoSourceType;
}

export type PhotoRejection =
  | 'empty'
  | 'too_large'
  | 'unsupported_type'
  | 'heic_unsupported'
  | 'too_many_pixels'
  | 'unreadable'
  | 'too_many_photos';

/**
 * A photo we will not take. `message` is written for the resident (GOV.UK style) and safe to show
 * beside the file field; `reason` is for code and logs.
 */
export class PhotoRejectedError extends AppError {
  constructor(
    readonly reason: PhotoRejection,
    message: string,
  ) {
    super(reason === 'too_large' ? 'payload_too_large' : 'validation_failed', message);
    this.name = 'PhotoRejectedError';
  }
}

const DEFAULT_MAX_EDGE = 2048;
const DEFAULT_THUMBNAIL_EDGE = 320;
const DEFAULT_QUALITY = 82;
const THUMBNAIL_QUALITY = 75;
const DEFAULT_TIMEOUT_SECONDS = 30;

/** "10MB", "1.5MB", "500KB": sizes the way GOV.UK error messages write them. */
export function formatFileSize(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  if (mb >= 1) return `${Number.isInteger(mb) ? mb : Math.floor(mb * 10) / 10}MB`;
  return `${Math.floor(bytes / 1024)}KB`;
}

export const photoMessages = {
  empty: () => 'The selected file is empty',
  tooLarge: (maxBytes: number) => `The selected file must be smaller than ${formatFileSize(maxBytes)}`,
  unsupportedType: () => 'The selected file must be a JPG, PNG, WebP or HEIC',
  heicUnsupported: () =>
    'The selected file is a HEIC photo, which we cannot open. Send it as a JPG instead, or change your ' +
    'phone’s camera setting to ‘Most compatible’ (on an iPhone: Settings, Camera, Formats) and take the photo again',
  tooManyPixels: (maxPixels: number) =>
    `The selected file must be an image of no more than ${Math.floor(maxPixels / 1_000_000)} megapixels`,
  unreadable: () => 'The selected file could not be read as an image',
  tooManyPhotos: (max: number) =>
    max === 0
      ? 'You cannot add photos to this report'
      : `You can only add up to ${max} ${max === 1 ? 'photo' : 'photos'}`,
} as const;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const AVIF_BRANDS = new Set(['avif', 'avis']);
// HEIF brands phones write for HEVC-coded stills and sequences; mif1/msf1 are the generic HEIF brands.
const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1']);

/**
 * The file's type from its first bytes (magic numbers), or undefined for anything we do not accept
 * (GIF, TIFF, PDF, text, ...). An ISO-BMFF file (HEIF) is AVIF if any of its brands says so, else HEIC.
 */
export function sniffPhotoType(bytes: Buffer): PhotoSourceType | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return 'png';
  if (
    bytes.length >= 12 &&
    bytes.toString('latin1', 0, 4) === 'RIFF' &&
    bytes.toString('latin1', 8, 12) === 'WEBP'
  ) {
    return 'webp';
  }
  if (bytes.length >= 16 && bytes.toString('latin1', 4, 8) === 'ftyp') {
    // ftyp box: size (4), 'ftyp', major brand (4), minor version (4), compatible brands (4 each).
    const size = bytes.readUInt32BE(0);
    if (size < 16 || size > Math.min(bytes.length, 4096)) return undefined;
    const brands = [bytes.toString('latin1', 8, 12)];
    for (let offset = 16; offset + 4 <= size; offset += 4)
      brands.push(bytes.toString('latin1', offset, offset + 4));
    if (brands.some((b) => AVIF_BRANDS.has(b))) return 'avif';
    if (brands.some((b) => HEIC_BRANDS.has(b))) return 'heic';
  }
  return undefined;
}

export interface PhotoCapabilities {
  /** HEVC-coded HEIF (iPhone photos). Needs libheif with a HEVC decoder (libde265), which prebuilt sharp lacks. */
  heic: boolean;
  /** AV1-coded HEIF. */
  avif: boolean;
}

/**
 * Which HEIF flavours this sharp build can decode. libvips lists, as the heif loader's file suffixes,
 * only the codecs libheif actually has decoders for (".heic" needs HEVC, ".avif" needs AV1), so this
 * is a real capability check rather than "sharp was built with libheif". processPhoto still tries each
 * HEIC it is given and falls back to the HEIC message if decoding fails.
 */
export function photoCapabilities(): PhotoCapabilities {
  const heif = sharp.format.heif as { input?: { buffer?: boolean; fileSuffix?: string[] } } | undefined;
  const suffixes = heif?.input?.buffer ? (heif.input.fileSuffix ?? []) : [];
  return {
    heic: suffixes.includes('.heic') || suffixes.includes('.heif'),
    avif: suffixes.includes('.avif'),
  };
}

function isPixelLimitError(error: unknown): boolean {
  return error instanceof Error && /pixel limit/i.test(error.message);
}

/**
 * Checks, orients, strips and re-encodes one uploaded photo. Throws PhotoRejectedError for anything a
 * resident could have done (wrong type, too big, broken file); other errors are bugs or resource
 * problems and are thrown as they are.
 */
export async function processPhoto(bytes: Buffer, limits: PhotoLimits): Promise<ProcessedPhoto> {
  if (bytes.length === 0) throw new PhotoRejectedError('empty', photoMessages.empty());
  if (bytes.length > limits.maxBytes) {
    throw new PhotoRejectedError('too_large', photoMessages.tooLarge(limits.maxBytes));
  }
  const sniffed = sniffPhotoType(bytes);
  if (!sniffed) throw new PhotoRejectedError('unsupported_type', photoMessages.unsupportedType());

  const isHeif = sniffed === 'heic' || sniffed === 'avif';
  const heicRejected = () => new PhotoRejectedError('heic_unsupported', photoMessages.heicUnsupported());
  const unreadable = () => new PhotoRejectedError('unreadable', photoMessages.unreadable());
  const tooManyPixels = () =>
    new PhotoRejectedError('too_many_pixels', photoMessages.tooManyPixels(limits.maxPixels));

  const inputOptions: SharpOptions = {
    limitInputPixels: limits.maxPixels,
    // "truncated" refuses cut-off files (an interrupted upload) but tolerates the minor warnings many
    // real phone and camera JPEGs produce, which "warning" (sharp's default) would reject.
    failOn: 'truncated',
  };

  // The header only: dimensions and the decoder's own view of the format, no pixels decoded yet.
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, inputOptions).metadata();
  } catch (error) {
    if (isPixelLimitError(error)) throw tooManyPixels();
    throw sniffed === 'heic' ? heicRejected() : unreadable();
  }
  const expectedFormat = isHeif ? 'heif' : sniffed;
  if (metadata.format !== expectedFormat || !metadata.width || !metadata.height) {
    throw sniffed === 'heic' ? heicRejected() : unreadable();
  }
  if (metadata.width * metadata.height > limits.maxPixels) throw tooManyPixels();

  // What the HEIF container actually holds decides between HEIC and AVIF, whatever its brands say.
  let sourceType: PhotoSourceType = sniffed;
  if (isHeif) {
    sourceType = metadata.compression === 'av1' ? 'avif' : 'heic';
    const capabilities = photoCapabilities();
    if (sourceType === 'heic' && !capabilities.heic) throw heicRejected();
    if (sourceType === 'avif' && !capabilities.avif) {
      throw new PhotoRejectedError('unsupported_type', photoMessages.unsupportedType());
    }
  }

  const maxEdge = limits.maxEdge ?? DEFAULT_MAX_EDGE;
  const thumbnailEdge = limits.thumbnailEdge ?? DEFAULT_THUMBNAIL_EDGE;
  const timeout = { seconds: limits.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS };

  // Decode once, to upright, flattened, 8-bit sRGB pixels at the stored size. Raw pixels carry no
  // metadata at all, so both JPEGs encoded from them below cannot leak any: that is the stripping.
  let pixels: { data: Buffer; info: OutputInfo };
  try {
    pixels = await sharp(bytes, inputOptions)
      .timeout(timeout)
      .autoOrient()
      .resize({ width: maxEdge, height: maxEdge, fit: 'inside', withoutEnlargement: true })
      // JPEG has no transparency: transparent areas become white, as they look on the page.
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    if (isPixelLimitError(error)) throw tooManyPixels();
    throw sourceType === 'heic' ? heicRejected() : unreadable();
  }

  const { width, height, channels } = pixels.info;
  const raw = { raw: { width, height, channels } } as const;
  const [image, thumbnail] = await Promise.all([
    sharp(pixels.data, raw)
      .timeout(timeout)
      .jpeg({ quality: limits.quality ?? DEFAULT_QUALITY, progressive: true })
      .toBuffer(),
    sharp(pixels.data, raw)
      .timeout(timeout)
      .resize({ width: thumbnailEdge, height: thumbnailEdge, fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: THUMBNAIL_QUALITY, progressive: true })
      .toBuffer({ resolveWithObject: true }),
  ]);

  return {
    image,
    thumbnail: thumbnail.data,
    width,
    height,
    thumbnailWidth: thumbnail.info.width,
    thumbnailHeight: thumbnail.info.height,
    sourceType,
  };
}
