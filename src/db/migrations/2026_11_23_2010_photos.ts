/**
 * Residents' photos: one row per uploaded photo, re-encoded and stored outside the database (the row
 * holds the storage keys). A photo belongs to whoever uploaded it (an opaque owner key) until it is
 * attached to a case. Frozen in time.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table photo (
      id uuid primary key default gen_random_uuid(),
      -- Opaque key of the uploader before a case exists (e.g. a hash of the journey id); never personal data.
      owner_key text not null check (length(owner_key) between 1 and 200),
      -- No foreign key yet: the cases table was written at the same time as this migration; a later
      -- migration adds the foreign key from this column to cases (id).
      case_id uuid,
      storage_key text not null check (length(storage_key) between 1 and 500),
      thumbnail_key text not null check (length(thumbnail_key) between 1 and 500),
      width integer not null check (width > 0),
      height integer not null check (height > 0),
      -- Size of the stored (re-encoded) full image, not of the file the resident sent.
      bytes integer not null check (bytes > 0),
      -- What the resident sent, decided from the file's bytes: jpeg, png, webp, heic or avif.
      source_type text not null check (source_type ~ '^[a-z0-9]{1,20}$'),
      is_public boolean not null default false,
      created_at timestamptz not null default now(),
      attached_at timestamptz,
      check ((case_id is null) = (attached_at is null))
    );
    create index photo_owner_key_idx on photo (owner_key);
    create index photo_case_id_idx on photo (case_id) where case_id is not null;
    -- For the housekeeping sweep of uploads that never became part of a report.
    create index photo_unattached_created_idx on photo (created_at) where case_id is null;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table photo`.execute(db);
}
