import type { FollowUpInput } from '../shared/follow-up.js';
import type { TimelineEntry } from '../shared/incident.js';

/**
 * Drafts the incident report as Markdown from the follow-up input. The owner
 * starts from this draft, so the sections a person must write (root cause,
 * impact, action items) are left empty. The output depends only on the
 * input, which keeps it safe to call inside a workflow.
 */
export function draftIncidentReport(input: FollowUpInput): string {
  const { resolution } = input;
  const lines = [
    `# ${input.severity} incident: ${singleLine(input.summary)}`,
    '',
    `- **Incident:** ${input.incidentId}`,
    `- **Severity:** ${input.severity}`,
    `- **Service:** ${input.service}`,
    `- **Declared:** ${input.declaredAt}`,
    `- **Resolved:** ${input.resolvedAt}`,
    `- **Duration:** ${formatDuration(Date.parse(input.resolvedAt) - Date.parse(input.declaredAt))}`,
    '',
    '## Resolution',
    '',
    `- **Type:** ${resolution.type}`,
    `- **Resolved by:** ${resolution.by}`,
    `- **Summary:** ${singleLine(resolution.summary)}`,
    '',
    '## Timeline',
    '',
    ...(input.timeline.length === 0 ? ['No timeline entries were recorded.'] : input.timeline.map(timelineItem)),
    '',
    '## Root cause',
    '',
    '## Impact',
    '',
    '## Action items',
    '',
  ];
  return lines.join('\n');
}

/**
 * Formats a duration in milliseconds as days, hours and minutes (`1d 2h 5m`),
 * rounded down to the minute. Returns `unknown` for a negative or invalid
 * duration, such as one computed from an unparsable time.
 */
export function formatDuration(durationMs: number): string {
  if (!Number.isFinite(durationMs) || durationMs < 0) return 'unknown';

  const totalMinutes = Math.floor(durationMs / 60_000);
  const days = Math.floor(totalMinutes / 1_440);
  const hours = Math.floor((totalMinutes % 1_440) / 60);
  const minutes = totalMinutes % 60;

  const parts: string[] = [];
  if (days > 0) parts.push(`${days}d`);
  if (hours > 0) parts.push(`${hours}h`);
  if (minutes > 0 || parts.length === 0) parts.push(`${minutes}m`);
  return parts.join(' ');
}

function timelineItem(entry: TimelineEntry): string {
  const actor = entry.actor === undefined ? '' : ` (${entry.actor})`;
  const flag = entry.flagged === true ? ' **[flagged]**' : '';
  return `- ${entry.at} ${entry.type}: ${singleLine(entry.message)}${actor}${flag}`;
}

/** Joins the lines of a free-text field, because a line break would end its Markdown list item or heading. */
function singleLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
