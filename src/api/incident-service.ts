import { randomUUID } from 'node:crypto';

import {
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import { WorkflowNotFoundError, type QueryDefinition, type UpdateDefinition } from '@temporalio/common';

import { severityPolicy } from '../config/policy.js';
import type { Config } from '../config/schema.js';
import {
  WORKFLOW_TYPE_BY_SEVERITY,
  type AlertOccurrence,
  type AlertSource,
  type IncidentInput,
  type IncidentView,
  type MaintenanceHold,
  type Severity,
  type SeverityPolicy,
} from '../shared/incident.js';
import type { FollowUpView } from '../shared/follow-up.js';
import type { RecoveryRecord } from '../shared/recovery.js';
import { alertReceivedSignal, viewQuery } from '../workflows/incident-messages.js';
import { followUpViewQuery } from '../workflows/post-incident-follow-up.js';
import {
  IncidentMaintenanceWindow,
  IncidentSeverity,
  IncidentStatus as IncidentStatusKey,
} from '../workflows/search-attributes.js';
import { ApiError } from './errors.js';
import type { NormalizedAlert } from './sources/snapshot.js';
import { TEMPORAL_DEADLINE_MS, callTemporal, isDeadlineExceeded, translateTemporalError, type Subject } from './temporal-errors.js';


/**
 * Record of one accepted alert. The incident's own severity and status can
 * differ, because a running incident keeps its own; GET /incidents/:id returns
 * them. Reading them here would cost a second call to Temporal per alert.
 */
export interface AlertAccepted {
  id: string;
  /** The severity this alert maps to. */
  alertSeverity: Severity;
  alertStatus: 'firing' | 'resolved';
  /** ID of the maintenance window the alert matched, which delays the pages of an incident this alert opened. */
  maintenanceWindowId?: string;
}

/** Name of each source in the Temporal UI. */
const SOURCE_TITLES: Record<AlertSource, string> = {
  alertmanager: 'Alertmanager receiver',
  grafana: 'Grafana contact point',
  'azure-monitor': 'Azure Monitor alert rule',
  pagerduty: 'PagerDuty event from',
  json: 'JSON alert from',
};

/**
 * The API's only path to Temporal. It starts and signals incident workflows,
 * sends engineers' commands as updates and translates Temporal's errors into
 * API errors in one place.
 */
export class IncidentService {
  constructor(
    private readonly client: Client,
    private readonly config: Config,
  ) {}

  /**
   * Opens the incident for a firing alert group, or counts the occurrence on
   * the running one. `signalWithStart` makes concurrent duplicates land on
   * one workflow.
   */
  async recordFiring(group: NormalizedAlert, receivedAt: Date, hold?: MaintenanceHold): Promise<AlertAccepted> {
    const input: IncidentInput = {
      incidentId: group.incidentId,
      source: group.snapshot.source,
      dedupKey: group.dedupKey,
      service: group.service,
      summary: group.summary,
      severity: group.severity,
      declaredAt: receivedAt.toISOString(),
      policy: severityPolicy(this.config, group.severity),
      alert: group.snapshot,
      ...(hold === undefined ? {} : { maintenance: hold }),
    };

    await this.call({ kind: 'incident', id: group.incidentId }, () =>
      this.client.workflow.signalWithStart(WORKFLOW_TYPE_BY_SEVERITY[group.severity], {
        workflowId: group.incidentId,
        taskQueue: this.config.temporal.taskQueue,
        args: [input],
        signal: alertReceivedSignal,
        signalArgs: [occurrenceOf(group, receivedAt)],
        typedSearchAttributes: [
          { key: IncidentSeverity, value: group.severity },
          { key: IncidentStatusKey, value: 'open' },
          ...(hold === undefined ? [] : [{ key: IncidentMaintenanceWindow, value: hold.windowId }]),
        ],
        staticSummary: `${group.severity} ${group.service}: ${group.summary}`,
        staticDetails:
          `Opened by ${SOURCE_TITLES[group.snapshot.source]} \`${group.snapshot.receiver || 'unnamed'}\` with ${group.snapshot.alertCount} alert(s).` +
          (hold === undefined ? '' : ` Pages held by maintenance window ${hold.windowId} until ${hold.endsAt}.`),
      }),
    );
    return {
      id: group.incidentId,
      alertSeverity: group.severity,
      alertStatus: 'firing',
      ...(hold === undefined ? {} : { maintenanceWindowId: hold.windowId }),
    };
  }

  /**
   * Passes an alert to a running incident only: "all resolved", or a firing
   * notice that must not open an incident. Without a running incident it
   * records nothing and returns undefined.
   */
  async recordOnRunning(group: NormalizedAlert, receivedAt: Date): Promise<AlertAccepted | undefined> {
    const handle = this.client.workflow.getHandle(group.incidentId);
    try {
      await this.call({ kind: 'incident', id: group.incidentId }, () => handle.signal(alertReceivedSignal, occurrenceOf(group, receivedAt)));
    } catch (error) {
      if (error instanceof ApiError && error.code === 'INCIDENT_NOT_FOUND') return undefined;
      throw error;
    }
    return { id: group.incidentId, alertSeverity: group.severity, alertStatus: group.snapshot.status };
  }

  /**
   * Sends one engineer command as a Workflow Update and returns the view it
   * produced. `updateId` (the request's Idempotency-Key) makes a retried
   * request apply once.
   */
  async command<Request>(
    incidentId: string,
    command: string,
    update: UpdateDefinition<IncidentView, [Request]>,
    request: Request,
    updateId?: string,
  ): Promise<IncidentView> {
    return this.update({ kind: 'incident', id: incidentId }, command, update, request, updateId);
  }

  /** Sends a recovery command to an incident, as `command` does, and returns the recovery request. */
  async recoveryCommand<Request>(
    incidentId: string,
    command: string,
    update: UpdateDefinition<RecoveryRecord, [Request]>,
    request: Request,
    updateId?: string,
  ): Promise<RecoveryRecord> {
    return this.update({ kind: 'incident', id: incidentId }, command, update, request, updateId);
  }

  /** Sends a command to a post-incident follow-up, as `command` does for an incident. */
  async followUpCommand<Request>(
    followUpId: string,
    command: string,
    update: UpdateDefinition<FollowUpView, [Request]>,
    request: Request,
    updateId?: string,
  ): Promise<FollowUpView> {
    return this.update({ kind: 'follow-up', id: followUpId }, command, update, request, updateId);
  }

  /** Builds the policy a severity change carries into the new workflow run. */
  policyFor(severity: Severity): SeverityPolicy {
    return severityPolicy(this.config, severity);
  }

  /** Returns the view of a running incident, or the final view of a finished one. */
  async view(incidentId: string): Promise<IncidentView> {
    return this.read({ kind: 'incident', id: incidentId }, viewQuery);
  }

  /**
   * Returns the incident's view once its current run has `severity`. Polls
   * for up to 10 s while a severity change continues as new, and returns
   * undefined when the new run has not started by then.
   */
  async viewWithSeverity(incidentId: string, severity: Severity): Promise<IncidentView | undefined> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const view = await this.view(incidentId);
      if (view.severity === severity) return view;
      if (Date.now() > deadline) return undefined;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Returns the view of a running follow-up, or the final view of a finished one. */
  async followUpView(followUpId: string): Promise<FollowUpView> {
    return this.read({ kind: 'follow-up', id: followUpId }, followUpViewQuery);
  }

  private async read<View>(subject: Subject, query: QueryDefinition<View>): Promise<View> {
    const handle = this.client.workflow.getHandle(subject.id);
    const description = await this.describeKind(subject);
    if (description.status.name === 'RUNNING') {
      return this.call(subject, () => handle.query(query));
    }
    if (description.status.name === 'COMPLETED') {
      return this.call(subject, () => handle.result() as Promise<View>);
    }
    const code = subject.kind === 'incident' ? 'INCIDENT_NOT_FOUND' : 'FOLLOW_UP_NOT_FOUND';
    throw new ApiError(code, `${subject.kind} ${subject.id} ended without completing (${description.status.name})`, {
      id: subject.id,
      workflowStatus: description.status.name,
    });
  }

  private async update<Request, View>(
    subject: Subject,
    command: string,
    update: UpdateDefinition<View, [Request]>,
    request: Request,
    updateId: string | undefined,
  ): Promise<View> {
    const id = updateId ?? randomUUID();
    const handle = this.client.workflow.getHandle(subject.id);
    // A follow-up ID sent to an incident route (or the other way round)
    // would reach a workflow without that update.
    await this.describeKind(subject);
    try {
      return await this.client.connection.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () =>
        handle.executeUpdate(update, { args: [request], updateId: id }),
      );
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        // Either no such workflow or one that already finished.
        const description = await this.describe(subject);
        throw new ApiError('INVALID_TRANSITION', `cannot ${command} ${subject.kind} ${subject.id}: it is already closed`, {
          id: subject.id,
          status: description.typedSearchAttributes.get(IncidentStatusKey) ?? 'closed',
        });
      }
      if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isDeadlineExceeded(error)) {
        throw new ApiError(
          'COMMAND_NOT_CONFIRMED',
          `the worker did not confirm ${command} within ${TEMPORAL_DEADLINE_MS / 1000} s; it may still apply. ` +
            `Check the ${subject.kind}, and retry with the same Idempotency-Key to avoid a second command.`,
          { id: subject.id, idempotencyKey: id },
          { cause: error },
        );
      }
      throw translateTemporalError(subject, error);
    }
  }

  /** Describes the workflow, and raises a 404 error when it is not of the subject's kind. */
  private async describeKind(subject: Subject): Promise<WorkflowExecutionDescription> {
    const description = await this.describe(subject);
    const types: readonly string[] = subject.kind === 'incident' ? Object.values(WORKFLOW_TYPE_BY_SEVERITY) : ['postIncidentFollowUp'];
    if (!types.includes(description.type)) {
      throw translateTemporalError(subject, new WorkflowNotFoundError(`${subject.id} is a ${description.type}`, subject.id, undefined));
    }
    return description;
  }

  private async describe(subject: Subject): Promise<WorkflowExecutionDescription> {
    return this.call(subject, () => this.client.workflow.getHandle(subject.id).describe());
  }

  private async call<T>(subject: Subject, fn: () => Promise<T>): Promise<T> {
    return callTemporal(this.client, subject, fn);
  }
}

function occurrenceOf(group: NormalizedAlert, receivedAt: Date): AlertOccurrence {
  return {
    status: group.snapshot.status,
    severity: group.severity,
    receivedAt: receivedAt.toISOString(),
    alertCount: group.snapshot.alertCount,
    firingCount: group.snapshot.firingCount,
  };
}
