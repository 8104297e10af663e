/**
 * GOV.UK-style form errors: one list for the error summary (each linking to its field) and a map of
 * field id → message for the fields themselves. Routes collect problems here and re-render the form.
 */
export class FormErrors {
  readonly #errors = new Map<string, string>();

  add(field: string, message: string): void {
    if (!this.#errors.has(field)) this.#errors.set(field, message);
  }

  get any(): boolean {
    return this.#errors.size > 0;
  }

  /** For govukErrorSummary's errorList. */
  get summary(): { text: string; href: string }[] {
    return [...this.#errors].map(([field, text]) => ({ text, href: `#${field}` }));
  }

  /** For each component's errorMessage: `errors.fieldId`. */
  get byField(): Record<string, { text: string }> {
    return Object.fromEntries([...this.#errors].map(([field, text]) => [field, { text }]));
  }

  view(): { errorSummary: { text: string; href: string }[]; errors: Record<string, { text: string }> } {
    return { errorSummary: this.summary, errors: this.byField };
  }
}

/** A form field that may arrive as a string, several strings (checkboxes) or not at all. */
export function asList(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  return (Array.isArray(value) ? value : [value]).map(String).filter((v) => v !== '');
}

export function asText(value: unknown): string {
  return typeof value === 'string' ? value.trim() : Array.isArray(value) ? String(value[0] ?? '').trim() : '';
}
