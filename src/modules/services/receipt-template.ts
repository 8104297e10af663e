/**
 * The receipt email a new report sends, as a service definition's `receiptTemplate` may replace it: the
 * placeholders it may use and the standard wording. Here, beside the definition that holds the template,
 * so the admin form checks a service's own wording against the same list the report's email fills in
 * (src/modules/notifications/notification-emails.ts).
 */
export const RECEIPT_PLACEHOLDERS = [
  'reference',
  'service',
  'location',
  'handled_by',
  'due_date',
  'what_happens_next',
  'track_url',
  'council',
  'reporter_name',
] as const;

export type ReceiptValues = Record<(typeof RECEIPT_PLACEHOLDERS)[number], string>;

export const DEFAULT_RECEIPT = {
  subject: 'Your report {{reference}}: {{service}}',
  body: `Dear {{reporter_name}},

Thank you for telling {{council}} about a problem. Your reference is {{reference}}.

What you reported: {{service}}
Where: {{location}}
Who is dealing with it: {{handled_by}}
When to expect a response: by {{due_date}}

What happens next: {{what_happens_next}}

You can see what we have done at any time, and we will email you when anything changes:
{{track_url}}

If we cannot meet that date we will tell you, with a new one.

Please do not reply to this email. To tell us more, quote your reference {{reference}}.`,
};
