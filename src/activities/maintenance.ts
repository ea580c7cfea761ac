import type { RemindMaintenanceRequest } from '../shared/maintenance.js';
import { postChatNotice, type ChatDeps, type ChatPostResult } from './chat.js';

/**
 * Reminds a maintenance window's author in #incident-response that it ends
 * soon, so they can end it, or create a new one if the work runs over.
 */
export async function remindMaintenanceAuthor(deps: ChatDeps, request: RemindMaintenanceRequest): Promise<ChatPostResult> {
  return postChatNotice(deps, {
    room: 'incident-response',
    subjectId: request.windowId,
    linkPath: `/maintenance-windows/${encodeURIComponent(request.windowId)}`,
    idempotencyKey: `${request.windowId}/reminder`,
    title: `Maintenance window ${request.windowId} ends at ${request.endsAt}`,
    text: [
      `@${request.author}: your maintenance window (${request.reason}) ends in ${request.remindBefore}.`,
      'Alerts it holds page the on-call engineers from then on.',
      `End it now with POST /maintenance-windows/${request.windowId}/end, or create a new window if the work runs over.`,
    ].join('\n'),
  });
}
