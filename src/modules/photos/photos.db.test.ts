/**
 * PhotoService and the photo routes on a real database (both engines) with the file-system store in a
 * temporary data folder: upload, list, attach inside the caller's transaction, owners kept apart,
 * housekeeping, and who may fetch what.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { buildTestApp } from '../../../test/helpers/app.js';
import { describeEachEngine } from '../../../test/helpers/database.js';
import { PhotoRejectedError } from './photo-processing.js';
import { filePhotoStore } from './photo-store.js';
import photoRoutes, { readMultipartForm, type MultipartLimits } from './photos.routes.js';
import { PhotoService } from './photos.service.js';

const limits = { maxBytes: 10 * 1024 * 1024, maxPixels: 40_000_000 };

function jpeg(width = 800, height = 600): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#336699' } })
    .jpeg()
    .withExif({ IFD0: { Make: 'AcmeCam', Model: 'Pocket 9000' } })
    .toBuffer();
}

async function filesUnder(folder: string): Promise<string[]> {
  try {
    const entries = await fs.readdir(folder, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

const owner = (label: string) => `test-owner-${label}-${crypto.randomBytes(4).toString('hex')}`;

describeEachEngine('photos', (getDatabase) => {
  let dataDir: string;
  let storeDir: string;
  let photos: PhotoService;

  before(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'civicdesk-photos-'));
    storeDir = path.join(dataDir, 'uploads', 'photos');
    photos = new PhotoService(getDatabase().db, filePhotoStore(dataDir), { limits, maxPerOwner: 3 });
  });
  after(async () => {
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('uploads a photo: a row, a re-encoded image and a thumbnail, owner-only files with random names', async () => {
    const me = owner('upload');
    const uploaded = await photos.upload(await jpeg(3000, 1500), me);
    assert.deepEqual([uploaded.width, uploaded.height], [2048, 1024]);
    assert.equal(uploaded.thumbnailUrl, `/photos/${uploaded.id}/thumbnail`);

    const row = await getDatabase()
      .db.selectFrom('photo')
      .selectAll()
      .where('id', '=', uploaded.id)
      .executeTakeFirstOrThrow();
    assert.equal(row.owner_key, me);
    assert.equal(row.case_id, null);
    assert.equal(row.attached_at, null);
    assert.equal(row.is_public, false);
    assert.equal(row.source_type, 'jpeg');
    assert.match(row.storage_key, /^[0-9a-f]{2}\/[0-9a-f]{32}\.jpg$/);

    const full = path.join(storeDir, row.storage_key);
    const stat = await fs.stat(full);
    assert.equal(stat.size, row.bytes);
    assert.equal(stat.mode & 0o777, 0o600, 'readable by the server only');
    const stored = await fs.readFile(full);
    assert.equal(stored.includes('AcmeCam'), false, 'EXIF is gone from the stored file');
    const thumbnail = await sharp(path.join(storeDir, row.thumbnail_key)).metadata();
    assert.deepEqual([thumbnail.width, thumbnail.height], [320, 160]);
    const names = (await filesUnder(storeDir)).map((f) => path.basename(f));
    assert.ok(
      names.every((n) => /^[0-9a-f]{32}\.jpg$/.test(n)),
      `no temporary files left: ${names.join(' ')}`,
    );
  });

  it('lists an owner’s unattached photos, oldest first, and nobody else’s', async () => {
    const me = owner('list');
    const first = await photos.upload(await jpeg(), me);
    const second = await photos.upload(await jpeg(400, 300), me);
    await photos.upload(await jpeg(), owner('someone-else'));
    const mine = await photos.listForOwner(me);
    assert.deepEqual(
      mine.map((p) => p.id),
      [first.id, second.id],
    );
    assert.deepEqual([mine[1]?.width, mine[1]?.height, mine[1]?.caseId], [400, 300, null]);
  });

  it('stores nothing for a rejected photo', async () => {
    const me = owner('rejected');
    const before = (await filesUnder(storeDir)).length;
    await assert.rejects(photos.upload(Buffer.from('not a photo'), me), (error: unknown) => {
      assert.ok(error instanceof PhotoRejectedError);
      assert.equal(error.message, 'The selected file must be a JPG, PNG, WebP or HEIC');
      return true;
    });
    assert.deepEqual(await photos.listForOwner(me), []);
    assert.equal((await filesUnder(storeDir)).length, before);
  });

  it('refuses more photos than the per-report limit, and stores nothing for the extra one', async () => {
    const me = owner('limit');
    const photo = await jpeg(200, 200);
    await Promise.all([photos.upload(photo, me), photos.upload(photo, me), photos.upload(photo, me)]);
    const before = (await filesUnder(storeDir)).length;
    await assert.rejects(photos.upload(photo, me), {
      reason: 'too_many_photos',
      message: 'You can only add up to 3 photos',
    });
    assert.equal((await filesUnder(storeDir)).length, before);
    // A service's own lower limit.
    const other = owner('service-limit');
    await photos.upload(photo, other);
    await assert.rejects(photos.upload(photo, other, { maxPhotos: 1 }), {
      message: 'You can only add up to 1 photo',
    });
  });

  it('attaches inside the caller’s transaction: a rollback attaches nothing, a commit attaches', async () => {
    const { db } = getDatabase();
    const me = owner('attach');
    const a = await photos.upload(await jpeg(), me);
    const b = await photos.upload(await jpeg(), me);
    const caseId = crypto.randomUUID();

    await assert.rejects(
      db.transaction().execute(async (trx) => {
        assert.equal(await photos.attachToCase(trx, [a.id, b.id], me, caseId, true), 2);
        throw new Error('the report failed after attaching');
      }),
      /the report failed/,
    );
    assert.equal((await photos.listForOwner(me)).length, 2, 'still unattached after the rollback');
    assert.deepEqual(await photos.listForCase(caseId, { publicOnly: false }), []);

    const attached = await db
      .transaction()
      .execute((trx) =>
        photos.attachToCase(trx, [a.id, b.id, 'not-a-uuid', crypto.randomUUID()], me, caseId, true),
      );
    assert.equal(attached, 2, 'unknown and malformed ids are skipped, not errors');
    assert.deepEqual(await photos.listForOwner(me), []);
    const onCase = await photos.listForCase(caseId, { publicOnly: true });
    assert.deepEqual(onCase.map((p) => p.id).sort(), [a.id, b.id].sort());
    assert.ok(onCase.every((p) => p.caseId === caseId && p.isPublic && p.attachedAt instanceof Date));

    // Already attached: a second attach (say, to another case) does nothing.
    const again = await db
      .transaction()
      .execute((trx) => photos.attachToCase(trx, [a.id], me, crypto.randomUUID(), false));
    assert.equal(again, 0);
    assert.equal(await photos.remove(a.id, me), false, 'an attached photo cannot be removed by its uploader');
  });

  it('keeps owners apart: another owner can neither remove nor attach my photo', async () => {
    const { db } = getDatabase();
    const me = owner('mine');
    const them = owner('theirs');
    const mine = await photos.upload(await jpeg(), me);

    assert.equal(await photos.remove(mine.id, them), false);
    const attached = await db
      .transaction()
      .execute((trx) => photos.attachToCase(trx, [mine.id], them, crypto.randomUUID(), true));
    assert.equal(attached, 0);
    assert.deepEqual(
      (await photos.listForOwner(me)).map((p) => p.id),
      [mine.id],
    );

    const row = await db.selectFrom('photo').selectAll().where('id', '=', mine.id).executeTakeFirstOrThrow();
    assert.equal(await photos.remove(mine.id, me), true);
    assert.deepEqual(await photos.listForOwner(me), []);
    await assert.rejects(fs.stat(path.join(storeDir, row.storage_key)), { code: 'ENOENT' });
    await assert.rejects(fs.stat(path.join(storeDir, row.thumbnail_key)), { code: 'ENOENT' });
    assert.equal(await photos.remove(mine.id, me), false, 'removing twice is not an error');
  });

  it('deletes old unattached uploads and their files, and keeps recent and attached ones', async () => {
    const { db } = getDatabase();
    const me = owner('orphans');
    const old = await photos.upload(await jpeg(), me);
    const recent = await photos.upload(await jpeg(), me);
    const attachedOld = await photos.upload(await jpeg(), me);
    await db
      .transaction()
      .execute((trx) => photos.attachToCase(trx, [attachedOld.id], me, crypto.randomUUID(), false));
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
    await db
      .updateTable('photo')
      .set({ created_at: twoDaysAgo })
      .where('id', 'in', [old.id, attachedOld.id])
      .execute();
    const oldRow = await db
      .selectFrom('photo')
      .selectAll()
      .where('id', '=', old.id)
      .executeTakeFirstOrThrow();

    const deleted = await photos.deleteOrphans(24 * 60 * 60);
    assert.ok(deleted >= 1);
    const left = await db.selectFrom('photo').select('id').where('owner_key', '=', me).execute();
    assert.deepEqual(left.map((r) => r.id).sort(), [recent.id, attachedOld.id].sort());
    await assert.rejects(fs.stat(path.join(storeDir, oldRow.storage_key)), { code: 'ENOENT' });
    await assert.rejects(fs.stat(path.join(storeDir, oldRow.thumbnail_key)), { code: 'ENOENT' });
    const content = await photos.read(attachedOld.id, 'full');
    assert.ok(content, 'the attached photo’s file is still there');
    content.stream.destroy();
  });

  it('deletes a case’s photos and their files when the case is erased', async () => {
    const { db } = getDatabase();
    const me = owner('erasure');
    const caseId = crypto.randomUUID();
    const photo = await photos.upload(await jpeg(), me);
    await db.transaction().execute((trx) => photos.attachToCase(trx, [photo.id], me, caseId, true));
    const row = await db.selectFrom('photo').selectAll().where('id', '=', photo.id).executeTakeFirstOrThrow();
    assert.equal(await photos.deleteForCase(caseId), 1);
    assert.deepEqual(await photos.listForCase(caseId, { publicOnly: false }), []);
    await assert.rejects(fs.stat(path.join(storeDir, row.storage_key)), { code: 'ENOENT' });
    await assert.rejects(fs.stat(path.join(storeDir, row.thumbnail_key)), { code: 'ENOENT' });
  });

  describeRoutes();

  it('inside the whole app, a refused photo gets the site’s own 404 page and a served one its headers', async () => {
    // The app registers the photo routes itself, with the report journey deciding who owns an upload.
    const test = await buildTestApp(getDatabase());
    try {
      const ownerKey = owner('in-app');
      const mine = await test.app.photos.upload(await jpeg(), ownerKey);
      const unattached = await test.app.inject({ method: 'GET', url: `/photos/${mine.id}/thumbnail` });
      assert.equal(unattached.statusCode, 404, 'an upload not yet sent is its owner’s alone');
      await getDatabase()
        .db.transaction()
        .execute((trx) => test.app.photos.attachToCase(trx, [mine.id], ownerKey, crypto.randomUUID(), true));
      const shown = await test.app.inject({ method: 'GET', url: `/photos/${mine.id}/thumbnail` });
      assert.equal(shown.statusCode, 200);
      assert.equal(shown.headers['content-type'], 'image/jpeg');
      assert.match(String(shown.headers['cache-control']), /^public/);
      assert.ok(shown.headers['content-security-policy'], 'the app’s security headers apply');
      const missing = await test.app.inject({ method: 'GET', url: `/photos/${crypto.randomUUID()}/full` });
      const unknownPage = await test.app.inject({ method: 'GET', url: '/no-such-page' });
      assert.equal(missing.statusCode, 404);
      assert.match(String(missing.headers['content-type']), /^text\/html/);
      const title = (html: string) => /<title>([^<]*)<\/title>/.exec(html)?.[1];
      assert.ok(title(missing.body));
      assert.equal(title(missing.body), title(unknownPage.body), 'the same page as for any unknown address');
    } finally {
      await test.close();
    }
  });

  function describeRoutes() {
    let app: FastifyInstance;
    let ownerKeyCalls = 0;
    const me = owner('viewer');
    const them = owner('other-viewer');
    let publicPhoto: string;
    let privateAttached: string;
    let myUpload: string;
    let expectedThumbnail: Buffer;

    before(async () => {
      app = Fastify();
      await app.register(photoRoutes, {
        photos,
        ownerKeyFor: async (request) => {
          ownerKeyCalls++;
          const key = request.headers['x-test-owner'];
          return typeof key === 'string' ? key : undefined;
        },
      });
      await app.ready();
      const { db } = getDatabase();
      const [a, b, c] = [
        await photos.upload(await jpeg(), me),
        await photos.upload(await jpeg(), me),
        await photos.upload(await jpeg(), me),
      ] as const;
      await db.transaction().execute(async (trx) => {
        await photos.attachToCase(trx, [a.id], me, crypto.randomUUID(), true);
        await photos.attachToCase(trx, [b.id], me, crypto.randomUUID(), false);
      });
      publicPhoto = a.id;
      privateAttached = b.id;
      myUpload = c.id;
      const row = await db.selectFrom('photo').selectAll().where('id', '=', a.id).executeTakeFirstOrThrow();
      expectedThumbnail = await fs.readFile(path.join(storeDir, row.thumbnail_key));
    });
    after(async () => {
      await app?.close();
    });

    it('serves a public, attached photo to anyone, without asking who they are', async () => {
      ownerKeyCalls = 0;
      const thumbnail = await app.inject({ method: 'GET', url: `/photos/${publicPhoto}/thumbnail` });
      assert.equal(thumbnail.statusCode, 200);
      assert.equal(thumbnail.headers['content-type'], 'image/jpeg');
      assert.equal(thumbnail.headers['x-content-type-options'], 'nosniff');
      assert.match(String(thumbnail.headers['cache-control']), /^public/);
      assert.equal(Number(thumbnail.headers['content-length']), expectedThumbnail.length);
      assert.ok(thumbnail.rawPayload.equals(expectedThumbnail));
      const full = await app.inject({ method: 'GET', url: `/photos/${publicPhoto}/full` });
      assert.equal(full.statusCode, 200);
      assert.deepEqual([(await sharp(full.rawPayload).metadata()).width], [800]);
      assert.equal(ownerKeyCalls, 0);
    });

    it('serves an owner their own unattached upload, privately', async () => {
      const response = await app.inject({
        method: 'GET',
        url: `/photos/${myUpload}/full`,
        headers: { 'x-test-owner': me },
      });
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['content-type'], 'image/jpeg');
      assert.match(String(response.headers['cache-control']), /^private/);
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
    });

    it('answers 404, never 403, to everyone else', async () => {
      const notFound = async (url: string, ownerKey?: string) => {
        const response = await app.inject({
          method: 'GET',
          url,
          headers: ownerKey ? { 'x-test-owner': ownerKey } : {},
        });
        assert.equal(response.statusCode, 404, `${url} as ${ownerKey ?? 'nobody'}`);
        assert.notEqual(response.headers['content-type'], 'image/jpeg');
      };
      await notFound(`/photos/${myUpload}/full`, them);
      await notFound(`/photos/${myUpload}/thumbnail`);
      await notFound(`/photos/${privateAttached}/full`, me);
      await notFound(`/photos/${privateAttached}/thumbnail`);
      await notFound(`/photos/${crypto.randomUUID()}/full`);
      await notFound(`/photos/not-a-uuid/full`);
      await notFound(`/photos/${publicPhoto}/original`);
      await notFound(`/photos/${publicPhoto}/..%2F..%2Fetc%2Fpasswd`);
    });
  }
});

describe('readMultipartForm', () => {
  let app: FastifyInstance;
  let limits: MultipartLimits;

  before(async () => {
    app = Fastify();
    await app.register(multipart);
    app.post('/form', async (request, reply) => {
      try {
        const form = await readMultipartForm(request, limits);
        return {
          fields: form.fields,
          files: form.files.map((f) => ({ field: f.field, size: f.bytes.length })),
        };
      } catch (error) {
        const e = error as { status?: number; code?: string; reason?: string; message: string };
        return reply.status(e.status ?? 500).send({ code: e.code, reason: e.reason, message: e.message });
      }
    });
    await app.ready();
  });
  after(async () => {
    await app.close();
  });

  const boundary = '----civicdesk-test-boundary';
  type Part = { name: string; value: string } | { name: string; filename: string; bytes: Buffer };
  const post = (parts: Part[]) => {
    const chunks: Buffer[] = [];
    for (const part of parts) {
      const disposition =
        'filename' in part
          ? `form-data; name="${part.name}"; filename="${part.filename}"\r\nContent-Type: image/jpeg`
          : `form-data; name="${part.name}"`;
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n\r\n`));
      chunks.push('filename' in part ? part.bytes : Buffer.from(part.value));
      chunks.push(Buffer.from('\r\n'));
    }
    chunks.push(Buffer.from(`--${boundary}--\r\n`));
    return app.inject({
      method: 'POST',
      url: '/form',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: Buffer.concat(chunks),
    });
  };

  it('returns text fields and file bytes, skipping file inputs left empty', async () => {
    limits = { maxFileBytes: 1024, maxFiles: 3 };
    const response = await post([
      { name: '_csrf', value: 'token' },
      { name: 'tick', value: 'a' },
      { name: 'tick', value: 'b' },
      { name: 'photo', filename: 'holiday.jpg', bytes: Buffer.alloc(100, 1) },
      { name: 'photo', filename: '', bytes: Buffer.alloc(0) },
      { name: 'photo', filename: 'empty.jpg', bytes: Buffer.alloc(0) },
    ]);
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), {
      fields: { _csrf: 'token', tick: ['a', 'b'] },
      files: [
        { field: 'photo', size: 100 },
        { field: 'photo', size: 0 },
      ],
    });
  });

  it('turns the file size limit into the resident-facing message', async () => {
    limits = { maxFileBytes: 10 * 1024 * 1024, maxFiles: 3 };
    const response = await post([
      { name: 'photo', filename: 'big.jpg', bytes: Buffer.alloc(10 * 1024 * 1024 + 1) },
    ]);
    assert.equal(response.statusCode, 413);
    assert.deepEqual(response.json(), {
      code: 'payload_too_large',
      reason: 'too_large',
      message: 'The selected file must be smaller than 10MB',
    });
  });

  it('turns the file count limit into the resident-facing message', async () => {
    limits = { maxFileBytes: 1024, maxFiles: 2 };
    const file = { name: 'photo', filename: 'a.jpg', bytes: Buffer.alloc(10) };
    const response = await post([file, file, file]);
    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json(), {
      code: 'validation_failed',
      reason: 'too_many_photos',
      message: 'You can only add up to 2 photos',
    });
  });

  it('refuses a request that is not multipart', async () => {
    limits = { maxFileBytes: 1024, maxFiles: 2 };
    const response = await app.inject({ method: 'POST', url: '/form', payload: { a: 1 } });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'bad_request');
  });

  it('checks the CSRF token before reading any file', async () => {
    const seen: (string | undefined)[] = [];
    limits = {
      maxFileBytes: 1024,
      maxFiles: 2,
      checkCsrf: (token) => {
        seen.push(token);
        return token === 'right';
      },
    };
    const file = { name: 'photo', filename: 'a.jpg', bytes: Buffer.alloc(10) };
    const refused = await post([{ name: '_csrf', value: 'wrong' }, file]);
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().code, 'csrf_failed');
    const missing = await post([file, { name: '_csrf', value: 'right' }]);
    assert.equal(missing.statusCode, 403, 'the token must come before the files');
    const accepted = await post([{ name: '_csrf', value: 'right' }, file]);
    assert.equal(accepted.statusCode, 200);
    const noFiles = await post([{ name: '_csrf', value: 'right' }]);
    assert.equal(noFiles.statusCode, 200, 'checked at the end when there is no file');
    assert.deepEqual(seen, ['wrong', undefined, 'right', 'right']);
  });
});
