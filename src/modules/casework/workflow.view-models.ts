/**
 * The workflow page's view model: each status as a row of the admin form, with its "in use" box and the
 * statuses a case may move to from it, as the GOV.UK checkboxes macro takes them. Pure.
 */
import { STATUS_LABELS } from '../../lib/case-status.js';
import { ALL_STATUSES, FIRST_STATUS, type Workflow } from '../cases/index.js';

export function workflowRows(current: Workflow, errorsByField: Record<string, { text: string }> = {}) {
  return current.map((w) => ({
    status: w.status,
    label: w.label,
    // Every case starts in the first status, so it is always in use (said, not a disabled box).
    alwaysInUse: w.status === FIRST_STATUS,
    enabledItems: [
      {
        value: 'yes',
        text: `Use “${w.label}”`,
        checked: w.enabled,
        hint: { text: w.closes ? 'Closes the case' : 'Keeps the case open' },
      },
    ],
    nextItems: ALL_STATUSES.filter((s) => s !== w.status).map((s) => ({
      value: s,
      text: STATUS_LABELS[s],
      checked: w.next.includes(s),
    })),
    enabledError: errorsByField[`enabled-${w.status}`],
    nextError: errorsByField[`next-${w.status}`],
  }));
}
