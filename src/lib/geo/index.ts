/**
 * Geometry for areas: GeoJSON polygon types, validation, bounding boxes and point-in-polygon, as plain
 * functions over plain data (no database, no Fastify), shared by the areas module, routing and bench/.
 */
export * from './types.js';
export * from './bbox.js';
export * from './point-in-polygon.js';
export * from './prepared.js';
export * from './validate.js';
