/** The contacts module's public entry: what other modules may use. */
export {
  type CallerDetails,
  type ContactMatch,
  type ContactScope,
  type ContactsService,
  INTERACTION_KINDS,
  MERGE_FIELDS,
  type MergeField,
  looksLikeEmail,
  looksLikePhone,
  normalisePostcode,
} from './contacts.service.js';
