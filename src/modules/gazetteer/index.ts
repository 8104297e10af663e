/**
 * The gazetteer module's public entry: what other modules may use of it. GazetteerService (made in
 * src/services.ts) finds places and describes a pin; the distance helpers are pure. The places routes
 * (places.routes.ts) are registered by buildApp.
 */
export { boxAround, distanceMetres } from './distance.js';
export type { GazetteerService } from './gazetteer.service.js';
