import { proxyActivities } from '@temporalio/workflow';

import type { Activities } from '../activities/index.js';
import type { Finding, TaskAction, TaskSpec } from '../shared/incident.js';
import { failureMessage } from './incident-activities.js';
import { SYSTEM_ACTOR, type IncidentState } from './incident-state.js';

// These activities only read, so they are safe to repeat. A configuration
// error or a 4xx is non-retryable and ends the attempt at once.
const investigationReads = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumAttempts: 3 },
});

const MAX_SUMMARY = 500;
const MAX_DETAIL = 8 * 1024;

/**
 * Runs the action of every open task that has one, all at once. A task whose
 * action succeeds is completed by the workflow. A task whose action fails
 * stays open for an engineer, and the failure is flagged on the timeline.
 */
export async function runTaskActions(state: IncidentState, onChange: () => void): Promise<void> {
  const specs = state.input.policy.stages.flatMap((stage) => stage.tasks).filter((spec) => spec.action !== undefined);
  await Promise.all(
    specs.map(async (spec) => {
      if (state.task(spec.id)?.status !== 'open') return;
      const finding = await investigate(state.input.incidentId, spec);
      state.findings.push(finding);
      state.record({
        type: finding.ok ? 'finding' : 'finding-failed',
        taskId: spec.id,
        flagged: !finding.ok,
        message: finding.ok ? `${spec.title}: ${finding.summary}` : `${spec.title} failed automatically and needs a person: ${finding.summary}`,
      });
      if (finding.ok && state.task(spec.id)?.status === 'open') state.completeTask(spec.id, SYSTEM_ACTOR, 'see findings');
      onChange();
    }),
  );
}

async function investigate(incidentId: string, spec: TaskSpec): Promise<Finding> {
  const action = spec.action as TaskAction;
  const finding = (ok: boolean, summary: string, detail?: string): Finding => ({
    taskId: spec.id,
    action,
    ok,
    at: new Date().toISOString(),
    summary: cut(summary, MAX_SUMMARY),
    ...(detail === undefined || detail === '' ? {} : { detail: tail(detail, MAX_DETAIL) }),
  });
  const options = { summary: `${action} for task ${spec.id}` };
  const service = spec.target ?? '';

  try {
    switch (action) {
      case 'collect-logs': {
        const logs = await investigationReads.deploymentLogs.executeWithOptions(options, [{ incidentId, service }]);
        const lineCount = logs.pods.reduce((sum, pod) => sum + pod.lines.length, 0);
        const detail = logs.pods
          .map((pod) => [`== ${pod.pod}/${pod.container}${pod.error === undefined ? '' : ` (${pod.error})`}`, ...pod.lines].join('\n'))
          .join('\n');
        return finding(true, `${lineCount} log lines from ${logs.pods.length} pods of ${logs.deployment}`, detail);
      }
      case 'list-rollouts': {
        const result = await investigationReads.recentRollouts.executeWithOptions(options, [{ incidentId, service }]);
        const lines = result.rollouts.map(
          (rollout) =>
            `revision ${rollout.revision ?? '?'}${rollout.current ? ' (current)' : ''} ${rollout.createdAt ?? ''} ` +
            `${rollout.images.join(', ')} ${rollout.changeCause ?? 'no change-cause'}`,
        );
        const newest = result.rollouts[0];
        const latest = newest === undefined ? 'no revisions' : `newest revision ${newest.revision ?? '?'} created ${newest.createdAt ?? 'at an unknown time'}`;
        return finding(true, `${result.deployment} runs revision ${result.currentRevision ?? '?'}; ${latest}`, lines.join('\n'));
      }
      case 'resource-usage': {
        const usage = await investigationReads.deploymentResourceUsage.executeWithOptions(options, [{ incidentId, service }]);
        const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);
        const lines = usage.pods.map((pod) => `${pod.pod}: ${pod.cpuMillicores}m CPU, ${mib(pod.memoryBytes)} MiB`);
        return finding(
          true,
          `${usage.pods.length} pods of ${usage.deployment} use ${usage.totalCpuMillicores}m CPU and ${mib(usage.totalMemoryBytes)} MiB`,
          lines.join('\n'),
        );
      }
      case 'check-database': {
        const check = await investigationReads.checkDatabase.executeWithOptions(options, [{ incidentId }]);
        return check.ok
          ? finding(true, `SELECT 1 on ${check.database} answered in ${check.latencyMs} ms`)
          : finding(false, `SELECT 1 on ${check.database} failed: ${check.error ?? 'no reason given'}`);
      }
      case 'summarize-connections': {
        const summary = await investigationReads.summarizeConnections.executeWithOptions(options, [{ incidentId }]);
        const lines = summary.byClient.map((group) => `${group.connections} from ${group.hostName ?? '?'} / ${group.programName ?? '?'}`);
        return finding(true, `${summary.totalConnections} connections to ${summary.database}`, lines.join('\n'));
      }
      case 'check-flowable': {
        const engine = await investigationReads.flowableEngineStatus.executeWithOptions(options, [{ incidentId }]);
        return engine.exception === null
          ? finding(true, `Flowable engine ${engine.name} ${engine.version} is up`)
          : finding(false, `Flowable engine ${engine.name} ${engine.version} reports: ${engine.exception}`);
      }
      case 'inspect-redis': {
        const redis = await investigationReads.inspectRedis.executeWithOptions(options, [{ incidentId }]);
        if (!redis.ok || redis.info === undefined) return finding(false, `Redis did not answer: ${redis.error ?? 'no reason given'}`);
        const keys = redis.info.keyspace.reduce((sum, space) => sum + space.keys, 0);
        return finding(
          true,
          `Redis ${redis.info.redisVersion}: ${redis.info.usedMemoryHuman} used of ${redis.info.maxMemoryHuman}, ` +
            `${redis.info.connectedClients} clients, ${keys} keys`,
        );
      }
    }
  } catch (error) {
    return finding(false, failureMessage(error));
  }
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Keeps the end, where the newest log lines are. */
function tail(text: string, max: number): string {
  return text.length <= max ? text : `…${text.slice(text.length - max + 1)}`;
}
