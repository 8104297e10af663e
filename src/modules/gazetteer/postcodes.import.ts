/**
 * The postcode file format (ONS Postcode Directory, Code-Point Open or a council's own list): which
 * columns hold which field, and each record checked into a postcode row or a reason it is bad.
 */
import { normalisePostcode } from '../../lib/postcode.js';
import {
  bad,
  collapse,
  parseCode,
  parsePoint,
  parseTermination,
  quote,
  type ColumnSpecs,
  type Parsed,
  coordinateColumns,
} from './gazetteer.import.js';

export type PostcodeField =
  'postcode' | 'lon' | 'lat' | 'ward' | 'wardName' | 'la' | 'parish' | 'lsoa' | 'terminated';

export interface PostcodeColumnOptions {
  postcodeField?: string;
  lonField?: string;
  latField?: string;
  wardField?: string;
  wardNameField?: string;
  laField?: string;
  parishField?: string;
  lsoaField?: string;
  terminatedField?: string;
}

/**
 * Defaults fit the ONS Postcode Directory (pcds, long, lat, osward, oslaua, parish, lsoa21, doterm) and the
 * National Statistics Postcode Lookup, and files with plain names (postcode, lon, lat, ward_code).
 */
export function postcodeColumns(options: PostcodeColumnOptions): ColumnSpecs<PostcodeField> {
  return {
    postcode: {
      label: 'postcode',
      option: 'postcode-field',
      given: options.postcodeField,
      candidates: ['pcds', 'pcd', 'pcd2', 'postcode', 'post_code'],
      required: true,
    },
    ...coordinateColumns(options, ['long', 'lon', 'longitude', 'lng']),
    ward: {
      label: 'ward code',
      option: 'ward-field',
      given: options.wardField,
      candidates: ['osward', 'ward', 'ward_code', 'wd_code'],
      required: false,
    },
    wardName: {
      label: 'ward name',
      option: 'ward-name-field',
      given: options.wardNameField,
      candidates: ['ward_name'],
      required: false,
    },
    la: {
      label: 'local authority code',
      option: 'la-field',
      given: options.laField,
      candidates: ['oslaua', 'laua', 'lad', 'la_code'],
      required: false,
    },
    parish: {
      label: 'parish code',
      option: 'parish-field',
      given: options.parishField,
      candidates: ['parish', 'parish_code'],
      required: false,
    },
    lsoa: {
      label: 'LSOA code',
      option: 'lsoa-field',
      given: options.lsoaField,
      candidates: ['lsoa21', 'lsoa11', 'lsoa_code'],
      required: false,
    },
    terminated: {
      label: 'termination date',
      option: 'terminated-field',
      given: options.terminatedField,
      candidates: ['doterm'],
      required: false,
    },
  };
}

export interface PostcodeRow {
  postcode: string;
  lon: number;
  lat: number;
  ward_code: string | null;
  ward_name: string | null;
  la_code: string | null;
  parish_code: string | null;
  lsoa_code: string | null;
  terminated_on: string | null;
}

export function parsePostcodeRow(
  values: Record<PostcodeField, string>,
  columns: Record<PostcodeField, string | undefined>,
): Parsed<PostcodeRow> {
  if (values.postcode === '') return bad(`missing postcode (column "${columns.postcode}")`);
  const postcode = normalisePostcode(values.postcode);
  if (!postcode) return bad(`invalid postcode ${quote(values.postcode)}`);
  const point = parsePoint(values.lon, values.lat, { lon: columns.lon!, lat: columns.lat! });
  if (!point.ok) return point;
  const ward = parseCode(values.ward, 'ward code', 20);
  const wardName = parseCode(collapse(values.wardName), 'ward name', 200);
  const la = parseCode(values.la, 'local authority code', 20);
  const parish = parseCode(values.parish, 'parish code', 20);
  const lsoa = parseCode(values.lsoa, 'LSOA code', 20);
  const terminated = parseTermination(values.terminated);
  for (const field of [ward, wardName, la, parish, lsoa, terminated]) if (!field.ok) return field;
  const value = (field: Parsed<string | null>) => (field.ok ? field.value : null);
  return {
    ok: true,
    value: {
      postcode,
      lon: point.value.lon,
      lat: point.value.lat,
      ward_code: value(ward),
      ward_name: value(wardName),
      la_code: value(la),
      parish_code: value(parish),
      lsoa_code: value(lsoa),
      terminated_on: value(terminated),
    },
  };
}
