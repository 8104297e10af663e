/**
 * Serving residents' photos, and reading photo uploads from multipart forms.
 *
 *   GET /photos/:id/full        the stored image (JPEG, at most 2048 px on the long edge)
 *   GET /photos/:id/thumbnail   the thumbnail (JPEG, 320 px)
 *
 * A photo is served when it is attached to a case and public, or to the resident who uploaded it while
 * it is not yet attached (recognised by `ownerKeyFor`). Everything else is the site's ordinary 404,
 * never 403, so the answer says nothing about whether a photo exists.
 *
 * The plugin is not wrapped in fastify-plugin: register it with the service and the owner-key lookup,
 *   app.register(photoRoutes, { photos, ownerKeyFor: async (request) => ... })
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
// For its declarations of request.parts() and friends.
import type {} from '@fastify/multipart';
import { Type } from 'typebox';
import { typed } from '../../infra/typed-routes.js';
import { AppError } from '../../lib/errors.js';
import { photoMessages, PhotoRejectedError } from './photo-processing.js';
import type { PhotoService, PhotoVariant } from './photos.service.js';

export interface PhotoRoutesOptions {
  photos: PhotoService;
  /** The owner key of whoever is asking (e.g. from their report journey), or undefined. */
  ownerKeyFor(request: FastifyRequest): Promise<string | undefined>;
}

const Params = Type.Object({
  // Checked by the service, not here: a malformed id must be a 404 like any other, not a 400.
  id: Type.String({ maxLength: 64 }),
  variant: Type.String({ maxLength: 16 }),
});

const VARIANTS: ReadonlySet<string> = new Set<PhotoVariant>(['full', 'thumbnail']);
const isVariant = (variant: string): variant is PhotoVariant => VARIANTS.has(variant);

/**
 * Public photos may sit in shared caches, but not for long, so that a photo an officer later hides is
 * gone soon. A resident's own upload is cached by their browser only.
 */
const CACHE_CONTROL = { public: 'public, max-age=300', owner: 'private, max-age=300' } as const;

export default async function photoRoutes(
  instance: FastifyInstance,
  opts: PhotoRoutesOptions,
): Promise<void> {
  const app = typed(instance);
  const { photos, ownerKeyFor } = opts;

  app.get(
    '/photos/:id/:variant',
    {
      schema: { params: Params },
      // Generous: a page of public reports can show many thumbnails at once.
      config: { rateLimit: { max: 600, timeWindow: '1 minute' } },
    },
    async (request, reply) => {
      const { id, variant } = request.params;
      const content = isVariant(variant)
        ? await photos.readForViewer(id, variant, () => ownerKeyFor(request))
        : undefined;
      if (!content) {
        // The site's own (rate-limited) 404, identical to any unknown address.
        reply.callNotFound();
        return reply;
      }
      return reply
        .header('content-type', content.contentType)
        .header('content-length', content.size)
        .header('cache-control', CACHE_CONTROL[content.audience])
        .header('x-content-type-options', 'nosniff')
        .header('content-disposition', 'inline')
        .send(content.stream);
    },
  );
}

// ---------------------------------------------------------------------------------------------------
// Multipart forms

export interface MultipartFile {
  /** The form field the file came in. The resident's file name is deliberately not kept. */
  field: string;
  bytes: Buffer;
}

export interface MultipartForm {
  /** Text fields; a name sent more than once gives an array, as @fastify/formbody does. */
  fields: Record<string, string | string[]>;
  /** Files in the order sent. File inputs left empty (no file chosen) are not included. */
  files: MultipartFile[];
}

export interface MultipartLimits {
  /** Largest file, in bytes (CIVICDESK_PHOTO_MAX_BYTES). */
  maxFileBytes: number;
  /** Most files in one request (CIVICDESK_PHOTO_MAX_PER_REPORT, or a service's lower limit). */
  maxFiles: number;
  /** Most text fields. Default 100. */
  maxFields?: number;
  /** Longest text field, in bytes. Default 64 KiB. */
  maxFieldBytes?: number;
  /**
   * Called with the `_csrf` field's value before any file is read (so the form must put `_csrf`
   * before its file inputs, as partials/csrf.njk at the top of a form does). Return false to refuse
   * the request with `csrf_failed`. For routes that declare `config: { csrf: false }` because the
   * app's CSRF hook runs before a multipart body is read and so cannot see the field.
   */
  checkCsrf?: (token: string | undefined) => boolean | Promise<boolean>;
}

/**
 * Reads a whole multipart/form-data request into memory within the given limits. Needs
 * @fastify/multipart registered. Multipart limit errors become the same resident-facing
 * PhotoRejectedError messages processPhoto uses ("The selected file must be smaller than 10MB",
 * "You can only add up to 3 photos"); a request that is not multipart is a `bad_request`.
 */
export async function readMultipartForm(
  request: FastifyRequest,
  limits: MultipartLimits,
): Promise<MultipartForm> {
  if (typeof request.parts !== 'function') {
    throw new Error('readMultipartForm needs @fastify/multipart registered on this Fastify instance');
  }
  const fields: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  const files: MultipartFile[] = [];
  let csrfChecked = !limits.checkCsrf;
  const verifyCsrf = async () => {
    if (csrfChecked) return;
    csrfChecked = true;
    const sent = fields._csrf;
    const ok = await limits.checkCsrf?.(typeof sent === 'string' ? sent : undefined);
    if (!ok) throw new AppError('csrf_failed');
  };

  try {
    const parts = request.parts({
      limits: {
        fileSize: limits.maxFileBytes,
        files: limits.maxFiles,
        fields: limits.maxFields ?? 100,
        fieldSize: limits.maxFieldBytes ?? 64 * 1024,
        parts: limits.maxFiles + (limits.maxFields ?? 100),
      },
    });
    for await (const part of parts) {
      if (part.type === 'field') {
        const value = typeof part.value === 'string' ? part.value : String(part.value);
        const existing = fields[part.fieldname];
        fields[part.fieldname] =
          existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
        continue;
      }
      await verifyCsrf();
      // Read before deciding: an empty file input still sends a (zero-byte, nameless) part.
      const bytes = await part.toBuffer();
      if (part.filename === '' && bytes.length === 0) continue;
      files.push({ field: part.fieldname, bytes });
    }
    await verifyCsrf();
  } catch (error) {
    throw multipartError(error, limits);
  }
  return { fields: { ...fields }, files };
}

function multipartError(error: unknown, limits: MultipartLimits): unknown {
  switch ((error as { code?: unknown } | undefined)?.code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return new PhotoRejectedError('too_large', photoMessages.tooLarge(limits.maxFileBytes));
    case 'FST_FILES_LIMIT':
      return new PhotoRejectedError('too_many_photos', photoMessages.tooManyPhotos(limits.maxFiles));
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new AppError('payload_too_large', 'The form sent too many fields');
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new AppError('bad_request', 'The form must be sent as multipart/form-data');
    case 'FST_PROTO_VIOLATION':
    case 'FST_MP_PREMATURE_CLOSE':
      return new AppError('bad_request', 'The form could not be read');
    default:
      return error;
  }
}
