/**
 * The notifications module: the emails residents, followers and teams get about a case, sent by a
 * case-event subscriber (notifications.jobs.ts) that the composition root registers. It has no routes.
 */
export { notificationsSubscriber, type NotificationsDeps } from './notifications.jobs.js';
