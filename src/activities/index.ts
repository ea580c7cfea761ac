import type { AxiosInstance } from 'axios';

import type { Config } from '../config/schema.js';
import type { PageRequest } from '../shared/incident.js';
import type { RemindMaintenanceRequest } from '../shared/maintenance.js';
import { pingRedis, probeHttp, type CheckRequest } from './checks.js';
import { runCommandCheck } from './command-checks.js';
import {
  flowableDeployments,
  flowableEngineStatus,
  type FlowableCredentials,
  type FlowableDeploymentsRequest,
  type FlowableRequest,
} from './flowable.js';
import {
  deploymentLogs,
  deploymentResourceUsage,
  recentRollouts,
  restartDeployment,
  scaleDeployment,
  waitForRollout,
  type DeploymentLogsRequest,
  type KubernetesRequest,
  type RecentRolloutsRequest,
  type RestartDeploymentRequest,
  type ScaleDeploymentRequest,
} from './kubernetes.js';
import { openIncidentChannel, postChatMessage, type ChatPostRequest, type OpenChannelRequest } from './chat.js';
import { deliverPage, mirrorToPagerDuty, pageContact, type MirrorRequest } from './delivery.js';
import { remindMaintenanceAuthor } from './maintenance.js';
import { flushRedisAndWarmUp, inspectRedis, type FlushRedisRequest, type InspectRedisRequest } from './redis.js';
import { checkDatabase, resetDatabaseSessions, restoreDatabase, summarizeConnections, type DatabaseRequest } from './sql-server.js';
import { publishStatusUpdate, type StatusUpdateRequest } from './status-page.js';

export interface ActivityDeps {
  config: Config;
  http: AxiosInstance;
  /** Base URL of the API that serves the development inbox, for `dev-inbox` contacts. */
  devInboxUrl: string;
  /** Flowable REST user and password from FLOWABLE_USER and FLOWABLE_PASSWORD, absent unless both are set. */
  flowableCredentials?: FlowableCredentials;
}

/**
 * Creates the activities the worker registers. Workflows import only the
 * type, through `Activities`.
 */
export function createActivities(deps: ActivityDeps) {
  return {
    probeHttp: (request: CheckRequest) => probeHttp(deps, request),
    pingRedis: (request: CheckRequest) => pingRedis(deps, request),
    runCommandCheck: (request: CheckRequest) => runCommandCheck(deps, request),
    pageContact: (request: PageRequest) => pageContact(deps, request),
    deliverPage: (request: PageRequest) => deliverPage(deps, request),
    mirrorToPagerDuty: (request: MirrorRequest) => mirrorToPagerDuty(deps, request),
    postChatMessage: (request: ChatPostRequest) => postChatMessage(deps, request),
    openIncidentChannel: (request: OpenChannelRequest) => openIncidentChannel(deps, request),
    remindMaintenanceAuthor: (request: RemindMaintenanceRequest) => remindMaintenanceAuthor(deps, request),
    publishStatusUpdate: (request: StatusUpdateRequest) => publishStatusUpdate(deps, request),
    inspectRedis: (request: InspectRedisRequest) => inspectRedis(deps, request),
    /** Destructive: run only after an engineer has approved the flush for this incident. */
    flushRedisAndWarmUp: (request: FlushRedisRequest) => flushRedisAndWarmUp(deps, request),
    flowableEngineStatus: (request: FlowableRequest) => flowableEngineStatus(deps, request),
    flowableDeployments: (request: FlowableDeploymentsRequest) => flowableDeployments(deps, request),
    checkDatabase: (request: DatabaseRequest) => checkDatabase(deps, request),
    summarizeConnections: (request: DatabaseRequest) => summarizeConnections(deps, request),
    /** Destructive: run only after an engineer has approved the reset for this incident. */
    resetDatabaseSessions: (request: DatabaseRequest) => resetDatabaseSessions(deps, request),
    /** Destructive: run only after an engineer has approved the restore for this incident. */
    restoreDatabase: (request: DatabaseRequest) => restoreDatabase(deps, request),
    deploymentLogs: (request: DeploymentLogsRequest) => deploymentLogs(deps, request),
    deploymentResourceUsage: (request: KubernetesRequest) => deploymentResourceUsage(deps, request),
    recentRollouts: (request: RecentRolloutsRequest) => recentRollouts(deps, request),
    /** Changes the deployment: run only after an engineer has approved the restart for this incident. */
    restartDeployment: (request: RestartDeploymentRequest) => restartDeployment(deps, request),
    /** Changes the deployment: run only after an engineer has approved the scale for this incident. */
    scaleDeployment: (request: ScaleDeploymentRequest) => scaleDeployment(deps, request),
    waitForRollout: (request: KubernetesRequest) => waitForRollout(deps, request),
  };
}

export type Activities = ReturnType<typeof createActivities>;
