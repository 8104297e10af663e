/**
 * Admin: the areas, one area’s page (its details and its boundary on a map) and its boundary as GeoJSON.
 *
 *   GET /admin/areas              the boundaries in force today
 *   GET /admin/areas/:id          the page; the map (data-module="app-area-map") draws the GeoJSON below,
 *                                 and without JavaScript the page gives the bounding box and a download link
 *   GET /admin/areas/:id.geojson  a GeoJSON Feature (WGS84), for the map and for downloading
 *
 * Admin only, like the rest of /admin (the admin shell's guard, src/infra/admin).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../lib/errors.js';
import { areaById, type AreaDetail } from './areas.service.js';

const KIND_LABELS: Record<AreaDetail['kind'], string> = {
  council: 'Council',
  ward: 'Ward',
  parish: 'Parish',
  locality: 'Locality or service area',
  custom: 'Custom',
};

const params = Type.Object({ id: Type.String({ maxLength: 64 }) });

/** Six decimal places of a degree is about 0.1 m: plenty for reading a box off the page. */
function degrees(value: number): string {
  return value.toFixed(6);
}

function countPositions(area: AreaDetail): { polygons: number; points: number } {
  const polygons = area.geometry.type === 'Polygon' ? [area.geometry.coordinates] : area.geometry.coordinates;
  return {
    polygons: polygons.length,
    points: polygons.reduce((sum, rings) => sum + rings.reduce((n, ring) => n + ring.length, 0), 0),
  };
}

export const areaAdminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const render = app.renderAdminPage;
  async function areaOr404(id: string): Promise<AreaDetail> {
    const area = await areaById(app.db, id);
    if (!area) throw new AppError('not_found', 'There is no area with that id');
    return area;
  }

  app.get('/admin/areas', async (request, reply) => {
    const areas = await app.domain.areasSummary();
    return render(request, reply, 'areas/views/areas.njk', { areas });
  });

  app.get('/admin/areas/:id.geojson', { schema: { params } }, async (request, reply) => {
    const area = await areaOr404(request.params.id);
    reply
      .type('application/geo+json; charset=utf-8')
      .header('cache-control', 'private, no-cache')
      .header(
        'content-disposition',
        `inline; filename="area-${area.kind}-${area.code.replace(/[^\w.-]/g, '_')}.geojson"`,
      );
    return {
      type: 'Feature',
      id: area.id,
      bbox: area.bbox,
      properties: {
        kind: area.kind,
        code: area.code,
        name: area.name,
        validFrom: area.validFrom,
        validTo: area.validTo,
      },
      geometry: area.geometry,
    };
  });

  app.get('/admin/areas/:id', { schema: { params } }, async (request, reply) => {
    const area = await areaOr404(request.params.id);
    const bodies = area.bodyId ? await app.domain.organisations.bodies() : [];
    const [minLon, minLat, maxLon, maxLat] = area.bbox;
    const { polygons, points } = countPositions(area);
    const geojsonUrl = `/admin/areas/${area.id}.geojson`;
    return render(request, reply, 'areas/views/area.njk', {
      area,
      kindLabel: KIND_LABELS[area.kind],
      bodyName: bodies.find((b) => b.id === area.bodyId)?.name,
      validity:
        area.validFrom <= '1900-01-01'
          ? area.validTo
            ? `Until ${area.validTo}`
            : 'No start or end date'
          : `From ${area.validFrom}${area.validTo ? ` to ${area.validTo}` : ''}`,
      shape: `${polygons === 1 ? 'One polygon' : `${polygons} polygons`}, ${points} points`,
      bbox: {
        west: degrees(minLon),
        south: degrees(minLat),
        east: degrees(maxLon),
        north: degrees(maxLat),
        attribute: [minLon, minLat, maxLon, maxLat].join(','),
      },
      geojsonUrl,
    });
  });
};
