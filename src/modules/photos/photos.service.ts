/**
 * Residents' photos: upload (check, re-encode, store), list and remove before a report is sent,
 * attach to a case inside the report's own transaction, serve, and sweep away uploads that never
 * became part of a report.
 *
 * Who may see a photo:
 * - anyone, once it is attached to a case and marked public;
 * - the uploader (by owner key) while it is not yet attached;
 * - nobody else through `readForViewer`. Staff screens use `read`, after their own permission checks.
 */
import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';
import {
  photoMessages,
  PhotoRejectedError,
  processPhoto,
  type PhotoLimits,
  type PhotoSourceType,
} from './photo-processing.js';
import type { PhotoStore } from './photo-store.js';
import * as repo from './photos.repository.js';

export type PhotoVariant = 'full' | 'thumbnail';

export interface Photo {
  id: string;
  /** Null until the report it belongs to is submitted. */
  caseId: string | null;
  width: number;
  height: number;
  /** Size of the stored full image. */
  bytes: number;
  sourceType: PhotoSourceType;
  isPublic: boolean;
  createdAt: Date;
  attachedAt: Date | null;
  url: string;
  thumbnailUrl: string;
}

export interface UploadedPhoto {
  id: string;
  width: number;
  height: number;
  url: string;
  thumbnailUrl: string;
}

export interface PhotoContent {
  photo: Photo;
  variant: PhotoVariant;
  stream: Readable;
  /** Content length in bytes. */
  size: number;
  contentType: 'image/jpeg';
}

export interface PhotoServiceOptions {
  limits: PhotoLimits;
  /** Most unattached photos one owner may hold at once: the per-report limit. */
  maxPerOwner: number;
  /** Where the routes plugin serves photos. Default "/photos". */
  urlPrefix?: string;
}

/** The service's settings from the app config. */
export function photoServiceOptions(config: Config): PhotoServiceOptions {
  return {
    limits: { maxBytes: config.CIVICDESK_PHOTO_MAX_BYTES, maxPixels: config.CIVICDESK_PHOTO_MAX_PIXELS },
    maxPerOwner: config.CIVICDESK_PHOTO_MAX_PER_REPORT,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isUuid = (value: string) => UUID.test(value);
const ORPHAN_BATCH = 200;

function sameKey(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && crypto.timingSafeEqual(left, right);
}

export class PhotoService {
  readonly #urlPrefix: string;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly store: PhotoStore,
    private readonly options: PhotoServiceOptions,
  ) {
    this.#urlPrefix = (options.urlPrefix ?? '/photos').replace(/\/+$/, '');
  }

  get limits(): PhotoLimits {
    return this.options.limits;
  }

  get maxPerOwner(): number {
    return this.options.maxPerOwner;
  }

  urlFor(id: string, variant: PhotoVariant): string {
    return `${this.#urlPrefix}/${id}/${variant}`;
  }

  #toPhoto(row: repo.PhotoRow): Photo {
    return {
      id: row.id,
      caseId: row.case_id,
      width: row.width,
      height: row.height,
      bytes: row.bytes,
      sourceType: row.source_type as PhotoSourceType,
      isPublic: row.is_public,
      createdAt: row.created_at,
      attachedAt: row.attached_at,
      url: this.urlFor(row.id, 'full'),
      thumbnailUrl: this.urlFor(row.id, 'thumbnail'),
    };
  }

  /**
   * Checks and stores one photo for `ownerKey`. Throws PhotoRejectedError (with a message for the
   * resident) for a bad file or when the owner already has `maxPhotos` (default: the per-report limit)
   * photos waiting; nothing is stored then.
   */
  async upload(bytes: Buffer, ownerKey: string, opts: { maxPhotos?: number } = {}): Promise<UploadedPhoto> {
    if (ownerKey.length < 1 || ownerKey.length > 200) {
      throw new Error('PhotoService.upload: the owner key must be 1 to 200 characters');
    }
    const maxPhotos = Math.min(opts.maxPhotos ?? this.options.maxPerOwner, this.options.maxPerOwner);
    const tooMany = () => new PhotoRejectedError('too_many_photos', photoMessages.tooManyPhotos(maxPhotos));
    // A cheap early answer before spending CPU on the image; checked again under a lock below.
    if ((await repo.countUnattachedForOwner(this.db, ownerKey)) >= maxPhotos) throw tooMany();

    const processed = await processPhoto(bytes, this.options.limits);
    const storageKey = await this.store.put(processed.image);
    let thumbnailKey: string | undefined;
    try {
      thumbnailKey = await this.store.put(processed.thumbnail);
      const keys = { storageKey, thumbnailKey };
      const row = await this.db.transaction().execute(async (trx) => {
        await repo.lockOwner(trx, ownerKey);
        if ((await repo.countUnattachedForOwner(trx, ownerKey)) >= maxPhotos) throw tooMany();
        return repo.insertPhoto(trx, {
          owner_key: ownerKey,
          storage_key: keys.storageKey,
          thumbnail_key: keys.thumbnailKey,
          width: processed.width,
          height: processed.height,
          bytes: processed.image.length,
          source_type: processed.sourceType,
        });
      });
      return {
        id: row.id,
        width: row.width,
        height: row.height,
        url: this.urlFor(row.id, 'full'),
        thumbnailUrl: this.urlFor(row.id, 'thumbnail'),
      };
    } catch (error) {
      // No row points at these files, so nothing else would ever remove them.
      await this.#deleteFiles([{ storage_key: storageKey, thumbnail_key: thumbnailKey }]);
      throw error;
    }
  }

  /** The owner's photos not yet attached to a case, oldest first. */
  async listForOwner(ownerKey: string): Promise<Photo[]> {
    return (await repo.listUnattachedForOwner(this.db, ownerKey)).map((row) => this.#toPhoto(row));
  }

  /** A case's photos, oldest first; only the public ones when `publicOnly`. */
  async listForCase(caseId: string, opts: { publicOnly: boolean }): Promise<Photo[]> {
    if (!isUuid(caseId)) return [];
    return (await repo.listForCase(this.db, caseId, opts.publicOnly)).map((row) => this.#toPhoto(row));
  }

  /** Removes one of the owner's unattached photos. False if there is no such photo for this owner. */
  async remove(id: string, ownerKey: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const keys = await repo.deleteUnattached(this.db, id, ownerKey);
    if (!keys) return false;
    await this.#deleteFiles([keys]);
    return true;
  }

  /**
   * Attaches the owner's unattached photos among `photoIds` to a case, inside the caller's
   * transaction (so a rolled-back report leaves them unattached). Ids that are not this owner's, are
   * already attached or do not exist are skipped. Returns how many were attached.
   */
  async attachToCase(
    trx: Executor,
    photoIds: readonly string[],
    ownerKey: string,
    caseId: string,
    isPublic: boolean,
  ): Promise<number> {
    const ids = [...new Set(photoIds.filter(isUuid).map((id) => id.toLowerCase()))];
    if (ids.length === 0) return 0;
    if (!isUuid(caseId)) throw new Error(`attachToCase: case id ${JSON.stringify(caseId)} is not a uuid`);
    return repo.attach(trx, ids, ownerKey, caseId, isPublic);
  }

  /** The stored bytes of a photo with no permission check: for callers that have made their own. */
  async read(id: string, variant: PhotoVariant): Promise<PhotoContent | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await repo.findPhoto(this.db, id);
    return row ? this.#open(row, variant) : undefined;
  }

  /**
   * The photo if this viewer may see it, else undefined (whether or not it exists). `viewerOwnerKey`
   * is asked for only when the photo is not public, so public photos cost no session lookup.
   * `audience` says how it may be cached: shared caches for public photos, the browser only for the
   * owner's own uploads.
   */
  async readForViewer(
    id: string,
    variant: PhotoVariant,
    viewerOwnerKey: () => Promise<string | undefined>,
  ): Promise<(PhotoContent & { audience: 'public' | 'owner' }) | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await repo.findPhoto(this.db, id);
    if (!row) return undefined;
    let audience: 'public' | 'owner' | undefined;
    if (row.case_id !== null) {
      if (row.is_public) audience = 'public';
    } else {
      const viewer = await viewerOwnerKey();
      if (viewer !== undefined && sameKey(viewer, row.owner_key)) audience = 'owner';
    }
    if (!audience) return undefined;
    const content = await this.#open(row, variant);
    return content && { ...content, audience };
  }

  /**
   * Deletes every photo of a case, rows and files, for when the case itself is erased (retention, a
   * data-protection erasure request). Call it before deleting the case. Returns how many were deleted.
   */
  async deleteForCase(caseId: string): Promise<number> {
    if (!isUuid(caseId)) return 0;
    const keys = await repo.deleteForCase(this.db, caseId);
    await this.#deleteFiles(keys);
    return keys.length;
  }

  /**
   * Housekeeping: deletes uploads never attached to a case that are older than `olderThanSeconds`
   * (default 24 hours), rows first and then their files. Returns how many photos were deleted.
   */
  async deleteOrphans(olderThanSeconds = 24 * 60 * 60): Promise<number> {
    let total = 0;
    for (;;) {
      const batch = await repo.deleteOrphans(this.db, olderThanSeconds, ORPHAN_BATCH);
      await this.#deleteFiles(batch);
      total += batch.length;
      if (batch.length < ORPHAN_BATCH) return total;
    }
  }

  async #open(row: repo.PhotoRow, variant: PhotoVariant): Promise<PhotoContent | undefined> {
    const object = await this.store.open(variant === 'full' ? row.storage_key : row.thumbnail_key);
    if (!object) return undefined;
    return {
      photo: this.#toPhoto(row),
      variant,
      stream: object.stream,
      size: object.size,
      contentType: 'image/jpeg',
    };
  }

  /**
   * Deletes files whose rows are already gone. A failure here leaves an unreferenced file, never a
   * row pointing at a missing one, so it is safe to carry on.
   */
  async #deleteFiles(keys: readonly { storage_key: string; thumbnail_key?: string }[]): Promise<void> {
    const all = keys.flatMap((k) => (k.thumbnail_key ? [k.storage_key, k.thumbnail_key] : [k.storage_key]));
    await Promise.allSettled(all.map((key) => this.store.delete(key)));
  }
}
