/**
 * Every action the audit trail records: a closed set, so a misspelt action is a compile error rather than
 * a row the trail's filter lists once. Add a name here before writing a new kind of row.
 */
export const AUDIT_ACTIONS = [
  // API keys (api-clients)
  'api_client.created',
  'api_client.revoked',
  // Case work (casework, crm-api)
  'case.assigned',
  'case.duplicate_merged',
  'case.external_reference_set',
  'case.marked_duplicate',
  'case.note_added',
  'case.priority_set',
  'case.service_changed',
  'case.updated',
  'case.viewed',
  // The contact centre
  'contact.created',
  'contact.merged',
  'contact.searched',
  'contact.updated',
  'contact.viewed',
  // Delivery to bodies' own systems
  'delivery.retried',
  'delivery_target.added',
  'delivery_target.changed',
  // Response templates
  'response_template.added',
  'response_template.changed',
  'response_template.deleted',
  // Staff accounts, as admins manage them, and signing in and out
  'staff.added',
  'staff.changed',
  'staff.council_account_unlinked',
  'staff.disabled',
  'staff.enabled',
  'staff.password_link_sent',
  'staff.signed_in',
  'staff.signed_out',
  'staff.two_factor_reset',
  'staff.unlocked',
  // Webhooks
  'webhook.changed',
  'webhook.created',
  'webhook.pinged',
  'webhook.redelivered',
  'webhook.secret_changed',
  // The case workflow
  'workflow.changed',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];
