/**
 * The photos module's public entry: what other modules may use of it. PhotoService (made in
 * src/services.ts) stores and serves residents' photos; the photo routes (photos.routes.ts) are
 * registered by buildApp; front doors that take uploads read their multipart forms with
 * `readMultipartForm`.
 */
export { formatFileSize } from './photo-processing.js';
export { readMultipartForm, type MultipartForm } from './photos.routes.js';
export type { PhotoService } from './photos.service.js';
