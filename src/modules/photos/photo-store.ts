/**
 * The PhotoStore port: where the bytes of stored photos live, addressed by keys the store chooses.
 * The database row holds the keys; the store knows nothing about photos, owners or cases.
 *
 * Kept to three operations so an object-storage adapter (S3 and the like) is a small class: `put` is
 * an upload of a whole object under a fresh random key, `open` a GET, `delete` a DELETE.
 *
 * The file-system adapter keeps objects under `<CIVICDESK_DATA_DIR>/uploads/photos/`, named by random
 * keys (never anything the resident chose), readable by the server's user only.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

export interface StoredObject {
  stream: Readable;
  /** Length in bytes. */
  size: number;
}

export interface PhotoStore {
  /**
   * Stores a complete JPEG under a new key and returns the key. Readers never see a partly written
   * object: it is either absent or whole.
   */
  put(bytes: Buffer): Promise<string>;
  /** A stream of the object, or undefined if there is none under that key (or the key is not one of ours). */
  open(key: string): Promise<StoredObject | undefined>;
  /** Removes the object. Removing a missing object is not an error, so retries are safe. */
  delete(key: string): Promise<void>;
}

// "ab/ab12…ef.jpg": 128 random bits, spread over 256 folders so no folder grows huge.
const KEY_PATTERN = /^([0-9a-f]{2})\/\1[0-9a-f]{30}\.jpg$/;

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

export class FilePhotoStore implements PhotoStore {
  constructor(readonly root: string) {}

  /** The file behind a key, or undefined for anything that is not a key this store made. */
  #file(key: string): string | undefined {
    return KEY_PATTERN.test(key) ? path.join(this.root, ...key.split('/')) : undefined;
  }

  async put(bytes: Buffer): Promise<string> {
    const name = crypto.randomBytes(16).toString('hex');
    const key = `${name.slice(0, 2)}/${name}.jpg`;
    const folder = path.join(this.root, name.slice(0, 2));
    await fs.mkdir(folder, { recursive: true, mode: 0o700 });

    // Write beside the final name and rename over it: a rename within one folder is atomic, so a
    // reader (or a crash) never meets a half-written photo, only a stray temporary file at worst.
    const temporary = path.join(folder, `.${name}.${crypto.randomBytes(4).toString('hex')}.tmp`);
    try {
      const handle = await fs.open(temporary, 'wx', 0o600);
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temporary, path.join(folder, `${name}.jpg`));
    } catch (error) {
      await fs.rm(temporary, { force: true });
      throw error;
    }
    await syncFolder(folder);
    return key;
  }

  async open(key: string): Promise<StoredObject | undefined> {
    const file = this.#file(key);
    if (!file) return undefined;
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'r');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    try {
      const { size } = await handle.stat();
      // The stream owns the handle from here and closes it when done (or destroyed).
      return { stream: handle.createReadStream(), size };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.#file(key);
    if (!file) return;
    try {
      await fs.unlink(file);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}

/** Makes the rename durable. Best effort: some platforms cannot open a folder for syncing. */
async function syncFolder(folder: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(folder, 'r');
    await handle.sync();
  } catch {
    // Not fatal: the file itself was synced before the rename.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** The default store for a data folder: `<dataDir>/uploads/photos`. */
export function filePhotoStore(dataDir: string): FilePhotoStore {
  return new FilePhotoStore(path.join(dataDir, 'uploads', 'photos'));
}
