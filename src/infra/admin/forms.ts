/**
 * Body schemas for admin forms. The bounds are against abuse only: what a person can mistype (a field too
 * long for the service's own rules, a box left empty) is checked by the route and shown in the form's
 * error summary, so these schemas must accept everything a browser would send from the form.
 */
import { Type, type TProperties } from 'typebox';

/** A text field: optional (an empty form sends nothing for unticked boxes) and at most 1,000 characters. */
export const boundedField = Type.Optional(Type.String({ maxLength: 1000 }));

/** A longer text field (a textarea) of at most `maxLength` characters. */
export function boundedText(maxLength: number) {
  return Type.Optional(Type.String({ maxLength }));
}

/** Checkboxes: none, one (a string) or several (an array) of short values. */
export function boundedChoices(maxItems: number, maxLength = 100) {
  return Type.Optional(
    Type.Union([Type.String({ maxLength }), Type.Array(Type.String({ maxLength }), { maxItems })]),
  );
}

/** Any other field a form sends (the CSRF token, a button's name): allowed, kept and bounded. */
const otherField = Type.Union([
  Type.String({ maxLength: 1000 }),
  Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 100 }),
]);

/**
 * An admin form's body: the fields it reads, each bounded, and any others bounded too (they are kept,
 * not removed: the CSRF check reads `_csrf`).
 */
export function adminForm<T extends TProperties>(fields: T) {
  return Type.Object(fields, { additionalProperties: otherField });
}

/** The body of a form that is only a button (and the CSRF token). */
export const buttonForm = adminForm({});
