/**
 * The address file format (one row per UPRN, e.g. a council's LLPG extract): columns, and each record
 * checked into an address row or a reason it is bad.
 */
import { normalisePostcode } from '../../lib/postcode.js';
import {
  bad,
  collapse,
  parsePoint,
  quote,
  type ColumnSpecs,
  type Parsed,
  coordinateColumns,
} from './gazetteer.import.js';
import { searchForm } from './place-name.js';

export type AddressField = 'uprn' | 'text' | 'postcode' | 'lon' | 'lat';

export interface AddressColumnOptions {
  uprnField?: string;
  textField?: string;
  postcodeField?: string;
  lonField?: string;
  latField?: string;
}

export const MAX_ADDRESS_LENGTH = 500;

export function addressColumns(options: AddressColumnOptions): ColumnSpecs<AddressField> {
  return {
    uprn: {
      label: 'UPRN',
      option: 'uprn-field',
      given: options.uprnField,
      candidates: ['uprn'],
      required: true,
    },
    text: {
      label: 'address',
      option: 'text-field',
      given: options.textField,
      candidates: ['address', 'single_line_address', 'full_address', 'text'],
      required: true,
    },
    postcode: {
      label: 'postcode',
      option: 'postcode-field',
      given: options.postcodeField,
      candidates: ['postcode', 'pcds', 'post_code'],
      required: false,
    },
    ...coordinateColumns(options),
  };
}

export interface AddressRow {
  uprn: number;
  text: string;
  postcode: string | null;
  search_text: string;
  lon: number;
  lat: number;
}

export function parseAddressRow(
  values: Record<AddressField, string>,
  columns: Record<AddressField, string | undefined>,
): Parsed<AddressRow> {
  if (values.uprn === '') return bad(`missing UPRN (column "${columns.uprn}")`);
  if (!/^\d{1,12}$/.test(values.uprn) || Number(values.uprn) === 0) {
    return bad(`invalid UPRN ${quote(values.uprn)} (expected 1 to 12 digits)`);
  }
  const text = collapse(values.text);
  if (text === '') return bad(`missing address (column "${columns.text}")`);
  if (text.length > MAX_ADDRESS_LENGTH) return bad(`address is longer than ${MAX_ADDRESS_LENGTH} characters`);
  const searchText = searchForm(text, MAX_ADDRESS_LENGTH);
  if (searchText === '') return bad(`address ${quote(text)} has no letters or digits`);
  let postcode: string | null = null;
  if (values.postcode !== '') {
    postcode = normalisePostcode(values.postcode);
    if (!postcode) return bad(`invalid postcode ${quote(values.postcode)}`);
  }
  const point = parsePoint(values.lon, values.lat, { lon: columns.lon!, lat: columns.lat! });
  if (!point.ok) return point;
  return {
    ok: true,
    value: {
      uprn: Number(values.uprn),
      text,
      postcode,
      search_text: searchText,
      lon: point.value.lon,
      lat: point.value.lat,
    },
  };
}
