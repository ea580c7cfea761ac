import { existsSync } from 'node:fs';

import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  Observable,
  PatchStrategy,
  setHeaderOptions,
  type ConfigurationOptions,
  type ObservableMiddleware,
  type PodMetricsList,
  type V1Deployment,
  type V1LabelSelector,
  type V1Pod,
  type V1ReplicaSet,
  type V1Scale,
} from '@kubernetes/client-node';
import { activityInfo, cancellationSignal, heartbeat, log, sleep } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';

import { KUBERNETES_DEFAULTS, MAX_LOG_LINES, type KubernetesConfig } from '../config/kubernetes-schema.js';
import { durationToMs } from '../shared/duration.js';
import { rejectionStatus, translateKubernetesError } from './kubernetes-errors.js';

export interface KubernetesDeps {
  /** Structural, so that this module does not depend on the `kubernetes` key of the full schema. */
  config: { kubernetes?: KubernetesConfig };
  /** A loaded kubeconfig that replaces `kubernetes.kubeconfig` and `kubernetes.inCluster`, for tests. */
  kubeConfig?: KubeConfig;
}

export interface KubernetesRequest {
  incidentId: string;
  /** BARQ service name, a key of `kubernetes.deployments`. */
  service: string;
}

export interface DeploymentLogsRequest extends KubernetesRequest {
  /** Newest log lines to read per pod, from 1 to 5000. Defaults to `kubernetes.logLines`. */
  lines?: number;
  /** Read the logs of the previous container instance, as `kubectl logs --previous` does, to see why it crashed. */
  previous?: boolean;
}

/** The newest log lines of one container of one pod. */
export interface PodLogs {
  pod: string;
  container: string;
  /** Oldest first, without line breaks. */
  lines: string[];
  /** True when older lines were dropped or long lines cut to keep the result small. */
  truncated: boolean;
  /** Reason the API server returned no logs for this pod, for example a container that is still starting. */
  error?: string;
}

export interface DeploymentLogs {
  namespace: string;
  deployment: string;
  /** Pods with the most container restarts first, then by name. */
  pods: PodLogs[];
  /** Pods of the deployment left out because the result lists at most 20. */
  omittedPods: number;
}

/** Usage of one container, as metrics-server last sampled it. */
export interface ContainerResourceUsage {
  container: string;
  cpuMillicores: number;
  memoryBytes: number;
}

export interface PodResourceUsage {
  pod: string;
  cpuMillicores: number;
  memoryBytes: number;
  containers: ContainerResourceUsage[];
}

/** CPU and memory of the deployment's pods from the `metrics.k8s.io/v1beta1` API. */
export interface DeploymentResourceUsage {
  namespace: string;
  deployment: string;
  /** By pod name, at most 100. The totals include the pods left out. */
  pods: PodResourceUsage[];
  omittedPods: number;
  /** Pods that metrics-server has not sampled yet, usually because they started less than a minute ago. */
  podsWithoutMetrics: string[];
  totalCpuMillicores: number;
  totalMemoryBytes: number;
  /** Newest sample time in the metrics, or null without metrics. */
  sampledAt: string | null;
}

export interface RecentRolloutsRequest extends KubernetesRequest {
  /** ReplicaSets to list, newest revision first, from 1 to 50. Defaults to 10. */
  limit?: number;
}

/** One revision of the deployment: a ReplicaSet it owns. */
export interface Rollout {
  replicaSet: string;
  /** `deployment.kubernetes.io/revision`, or null when the annotation is missing. */
  revision: number | null;
  /** `kubernetes.io/change-cause`, or null. */
  changeCause: string | null;
  /** Creation time in ISO 8601, or null. */
  createdAt: string | null;
  desiredReplicas: number;
  replicas: number;
  readyReplicas: number;
  availableReplicas: number;
  images: string[];
  /** True for the revision the deployment runs now. */
  current: boolean;
}

export interface RecentRollouts {
  namespace: string;
  deployment: string;
  currentRevision: number | null;
  rollouts: Rollout[];
  /** ReplicaSets left out by `limit`. */
  omitted: number;
}

export interface RestartDeploymentRequest extends KubernetesRequest {
  /**
   * Value of the `kubectl.kubernetes.io/restartedAt` annotation in RFC 3339.
   * Defaults to the current time. A workflow passes a fixed value, so that a
   * retried attempt sends the same patch and does not restart a second time.
   */
  restartedAt?: string;
}

export interface RestartDeploymentResult {
  namespace: string;
  deployment: string;
  restartedAt: string;
  /** `metadata.generation` after the patch. Pass it on to `waitForRollout` logs and records. */
  generation: number;
  /** True when the pod template already had this `restartedAt`, so the patch changed nothing. */
  alreadyRestarted: boolean;
}

export interface ScaleDeploymentRequest extends KubernetesRequest {
  /** Replica count from 0 to 100. */
  replicas: number;
  /**
   * Replica count the caller expects the deployment to have now, as
   * `kubectl scale --current-replicas` takes it. When set, the scale is read
   * first and replaced only if it matches.
   */
  currentReplicas?: number;
}

export interface ScaleDeploymentResult {
  namespace: string;
  deployment: string;
  /** `spec.replicas` of the scale after the change. */
  replicas: number;
  /** `spec.replicas` before the change, or null when the request had no `currentReplicas` and the scale was patched blind. */
  previousReplicas: number | null;
}

/** Replica counts of a deployment and what its rollout waits for. */
export interface RolloutProgress {
  /** When the first attempt started waiting, in ISO 8601. A retried attempt keeps its deadline. */
  startedAt: string;
  /** Reads of the deployment so far, over all attempts. */
  polls: number;
  generation: number;
  observedGeneration: number;
  desiredReplicas: number;
  /** `status.replicas`: pods of the new and the old ReplicaSets. */
  replicas: number;
  updatedReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  message: string;
}

export interface RolloutResult {
  namespace: string;
  deployment: string;
  generation: number;
  /** `spec.replicas`, which `status.replicas`, `updatedReplicas` and `availableReplicas` equal at the end of a rollout. */
  replicas: number;
  availableReplicas: number;
  polls: number;
}

/** Annotation that `kubectl rollout restart` sets on the pod template. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';
const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

/** Name recorded in `managedFields` for the changes these activities make. */
const FIELD_MANAGER = 'barq-incident';
const SERVICE_ACCOUNT_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Time limit of one API request. Without it, a hung connection would stall the activity until its own timeout. */
const REQUEST_TIMEOUT_MS = 15_000;
const MAX_REPLICAS = 100;
const DEFAULT_ROLLOUT_LIMIT = 10;
const MAX_ROLLOUT_LIMIT = 50;
const MAX_LOG_PODS = 20;
const MAX_USAGE_PODS = 100;
/** Limit of the JSON-encoded log lines of one `deploymentLogs` result, so that it fits in workflow history. */
const MAX_LOG_BYTES = 64 * 1024;
/** Limit of one log line in UTF-8. Longer lines are cut and end with `…`. */
const MAX_LINE_BYTES = 2048;

// --- Activities ---------------------------------------------------------

/**
 * Reads the newest log lines of each pod of the service's deployment, at
 * most 20 pods. Pods are the ones that `spec.selector` of the deployment
 * matches, so pods of an old ReplicaSet still terminating are included. A pod
 * whose logs the API server rejects (400 for a container still starting, 404
 * for a pod just deleted) gets an `error` instead of failing the activity.
 */
export async function deploymentLogs(deps: KubernetesDeps, request: DeploymentLogsRequest): Promise<DeploymentLogs> {
  const target = resolveTarget(deps, request);
  const tailLines = request.lines ?? target.section.logLines ?? KUBERNETES_DEFAULTS.logLines;
  if (!Number.isInteger(tailLines) || tailLines < 1 || tailLines > MAX_LOG_LINES) {
    throw invalidRequest(`invalid log line count ${tailLines}, expected an integer from 1 to ${MAX_LOG_LINES}`);
  }

  const clients = kubernetesClients(deps, target.section);
  const deployment = await readDeployment(clients, target);
  const pods = (await listDeploymentPods(clients, target, deployment)).sort(byRestartsThenName);
  const selected = pods.slice(0, MAX_LOG_PODS);

  const fetched: PodLogs[] = [];
  for (const pod of selected) {
    const podName = pod.metadata?.name ?? '';
    const container = logContainer(pod, target.container);
    try {
      const text = await callApi(target, `read logs of pod ${target.namespace}/${podName}`, (options) =>
        clients.core.readNamespacedPodLog(
          {
            name: podName,
            namespace: target.namespace,
            tailLines,
            ...(container === undefined ? {} : { container }),
            ...(request.previous === true ? { previous: true } : {}),
          },
          options,
        ),
      );
      fetched.push({ pod: podName, container: container ?? '', lines: splitLines(text), truncated: false });
    } catch (error) {
      const status = rejectionStatus(error);
      if (status !== 400 && status !== 404) throw error;
      fetched.push({ pod: podName, container: container ?? '', lines: [], truncated: false, error: (error as Error).message });
    }
  }

  const logs = capLogOutput(fetched, MAX_LOG_BYTES);
  log.info('deployment logs read', { ...target.logFields, pods: logs.length, omittedPods: pods.length - selected.length, tailLines });
  return { namespace: target.namespace, deployment: target.name, pods: logs, omittedPods: pods.length - selected.length };
}

/**
 * Reads CPU and memory of the deployment's pods from the `metrics.k8s.io`
 * API that metrics-server serves, as `kubectl top pod` does. Values are
 * rounded up to whole millicores and bytes, as Kubernetes rounds quantities.
 */
export async function deploymentResourceUsage(deps: KubernetesDeps, request: KubernetesRequest): Promise<DeploymentResourceUsage> {
  const target = resolveTarget(deps, request);
  const clients = kubernetesClients(deps, target.section);
  const deployment = await readDeployment(clients, target);
  const labelSelector = formatLabelSelector(deployment.spec?.selector);
  const podNames = new Set((await listDeploymentPods(clients, target, deployment)).map((pod) => pod.metadata?.name ?? ''));

  // The generated client goes through the same middleware, timeout and error
  // handling as the other calls. The `Metrics` class of the library has no
  // timeout and drops the `Status` body of a rejection.
  let metrics: PodMetricsList;
  try {
    metrics = (await callApi(target, `read pod metrics in namespace ${target.namespace}`, (options) =>
      clients.customObjects.listNamespacedCustomObject(
        { group: 'metrics.k8s.io', version: 'v1beta1', namespace: target.namespace, plural: 'pods', labelSelector },
        options,
      ),
    )) as PodMetricsList;
  } catch (error) {
    if (rejectionStatus(error) !== 404) throw error;
    throw ApplicationFailure.create({
      type: 'MetricsUnavailable',
      nonRetryable: true,
      message: 'the cluster does not serve the metrics.k8s.io API (HTTP 404); install metrics-server to read pod CPU and memory',
    });
  }

  const usage: PodResourceUsage[] = [];
  let sampledAt: string | null = null;
  for (const item of metrics.items ?? []) {
    const pod = item.metadata?.name;
    if (pod === undefined || !podNames.has(pod)) continue;

    const containers = (item.containers ?? []).map((container) => ({
      container: container.name,
      cpuMillicores: metricQuantity(container.usage?.cpu, 'milli'),
      memoryBytes: metricQuantity(container.usage?.memory, 'base'),
    }));
    usage.push({
      pod,
      cpuMillicores: sum(containers.map((container) => container.cpuMillicores)),
      memoryBytes: sum(containers.map((container) => container.memoryBytes)),
      containers,
    });
    if (typeof item.timestamp === 'string' && (sampledAt === null || item.timestamp > sampledAt)) sampledAt = item.timestamp;
  }
  usage.sort((a, b) => a.pod.localeCompare(b.pod));

  const sampled = new Set(usage.map((entry) => entry.pod));
  const podsWithoutMetrics = [...podNames].filter((pod) => !sampled.has(pod)).sort().slice(0, MAX_USAGE_PODS);
  const result: DeploymentResourceUsage = {
    namespace: target.namespace,
    deployment: target.name,
    pods: usage.slice(0, MAX_USAGE_PODS),
    omittedPods: Math.max(0, usage.length - MAX_USAGE_PODS),
    podsWithoutMetrics,
    totalCpuMillicores: sum(usage.map((entry) => entry.cpuMillicores)),
    totalMemoryBytes: sum(usage.map((entry) => entry.memoryBytes)),
    sampledAt,
  };
  log.info('deployment resource usage read', {
    ...target.logFields,
    pods: usage.length,
    totalCpuMillicores: result.totalCpuMillicores,
    totalMemoryBytes: result.totalMemoryBytes,
  });
  return result;
}

/**
 * Lists the deployment's ReplicaSets newest revision first, as
 * `kubectl rollout history` shows them. A ReplicaSet counts when the
 * deployment is its controller, or when it matches the selector and has no
 * controller, because the deployment controller adopts such orphans.
 */
export async function recentRollouts(deps: KubernetesDeps, request: RecentRolloutsRequest): Promise<RecentRollouts> {
  const limit = request.limit ?? DEFAULT_ROLLOUT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ROLLOUT_LIMIT) {
    throw invalidRequest(`invalid rollout count ${limit}, expected an integer from 1 to ${MAX_ROLLOUT_LIMIT}`);
  }

  const target = resolveTarget(deps, request);
  const clients = kubernetesClients(deps, target.section);
  const deployment = await readDeployment(clients, target);
  const labelSelector = formatLabelSelector(deployment.spec?.selector);
  const list = await callApi(target, `list ReplicaSets in namespace ${target.namespace}`, (options) =>
    clients.apps.listNamespacedReplicaSet({ namespace: target.namespace, labelSelector }, options),
  );

  const uid = deployment.metadata?.uid;
  const currentRevision = parseRevision(deployment.metadata?.annotations?.[REVISION_ANNOTATION]);
  const rollouts = list.items
    .filter((replicaSet) => {
      const controller = replicaSet.metadata?.ownerReferences?.find((owner) => owner.controller === true);
      return controller === undefined || controller.uid === uid;
    })
    .map((replicaSet) => describeReplicaSet(replicaSet, currentRevision))
    .sort(byRevisionDescending);

  log.info('deployment rollouts listed', { ...target.logFields, replicaSets: rollouts.length, currentRevision });
  return {
    namespace: target.namespace,
    deployment: target.name,
    currentRevision,
    rollouts: rollouts.slice(0, limit),
    omitted: Math.max(0, rollouts.length - limit),
  };
}

/**
 * Restarts every pod of the deployment as `kubectl rollout restart` does: a
 * strategic merge patch that sets the `kubectl.kubernetes.io/restartedAt`
 * annotation of the pod template, so the deployment controller rolls out new
 * pods under its rolling-update limits. Rejects a paused deployment, as
 * kubectl does, because its rollout would not start.
 *
 * Destructive: run it only after an engineer has approved the restart.
 */
export async function restartDeployment(deps: KubernetesDeps, request: RestartDeploymentRequest): Promise<RestartDeploymentResult> {
  const restartedAt = request.restartedAt ?? rfc3339Now();
  if (!isRfc3339(restartedAt)) {
    throw invalidRequest(`invalid restartedAt ${JSON.stringify(restartedAt)}, expected an RFC 3339 time such as 2026-03-01T12:00:00Z`);
  }

  const target = resolveTarget(deps, request);
  const clients = kubernetesClients(deps, target.section);
  const before = await readDeployment(clients, target);
  if (before.spec?.paused === true) {
    throw ApplicationFailure.create({
      type: 'DeploymentPaused',
      nonRetryable: true,
      message: `deployment ${target.namespace}/${target.name} is paused, so a restart would not roll out; run kubectl rollout resume deployment/${target.name} -n ${target.namespace} first`,
    });
  }
  const alreadyRestarted = before.spec?.template.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] === restartedAt;

  const body = { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: restartedAt } } } } };
  const patched = await callApi(
    target,
    `restart deployment ${target.namespace}/${target.name}`,
    (options) => clients.apps.patchNamespacedDeployment({ name: target.name, namespace: target.namespace, body, fieldManager: FIELD_MANAGER }, options),
    PatchStrategy.StrategicMergePatch,
  );

  const generation = patched.metadata?.generation ?? 0;
  log.info('deployment restarted', { ...target.logFields, restartedAt, generation, alreadyRestarted });
  return { namespace: target.namespace, deployment: target.name, restartedAt, generation, alreadyRestarted };
}

/**
 * Sets the replica count through the scale subresource, as `kubectl scale`
 * does: a JSON merge patch `{"spec":{"replicas":N}}`, or, with
 * `currentReplicas`, a read of the scale and a PUT that carries its
 * `resourceVersion`, so a concurrent change fails with 409 instead of being
 * overwritten.
 *
 * Destructive: run it only after an engineer has approved the new count.
 */
export async function scaleDeployment(deps: KubernetesDeps, request: ScaleDeploymentRequest): Promise<ScaleDeploymentResult> {
  const { replicas, currentReplicas } = request;
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > MAX_REPLICAS) {
    throw invalidRequest(`invalid replica count ${replicas}, expected an integer from 0 to ${MAX_REPLICAS}`);
  }
  if (currentReplicas !== undefined && (!Number.isInteger(currentReplicas) || currentReplicas < 0)) {
    throw invalidRequest(`invalid currentReplicas ${currentReplicas}, expected an integer of 0 or more`);
  }

  const target = resolveTarget(deps, request);
  const clients = kubernetesClients(deps, target.section);
  const action = `scale deployment ${target.namespace}/${target.name} to ${replicas} replicas`;

  if (currentReplicas === undefined) {
    const scale = await callApi(
      target,
      action,
      (options) =>
        clients.apps.patchNamespacedDeploymentScale(
          { name: target.name, namespace: target.namespace, body: { spec: { replicas } }, fieldManager: FIELD_MANAGER },
          options,
        ),
      PatchStrategy.MergePatch,
    );
    log.info('deployment scaled', { ...target.logFields, replicas });
    return { namespace: target.namespace, deployment: target.name, replicas: scale.spec?.replicas ?? replicas, previousReplicas: null };
  }

  const current = await callApi(target, `read the scale of deployment ${target.namespace}/${target.name}`, (options) =>
    clients.apps.readNamespacedDeploymentScale({ name: target.name, namespace: target.namespace }, options),
  );
  const found = current.spec?.replicas ?? 0;
  if (found !== currentReplicas) {
    throw ApplicationFailure.create({
      type: 'PreconditionFailed',
      nonRetryable: true,
      message: `deployment ${target.namespace}/${target.name} has ${found} replicas, expected ${currentReplicas}; read it again and decide on the new count`,
      details: [{ replicas: found, expected: currentReplicas }],
    });
  }

  const body: V1Scale = { ...current, spec: { ...current.spec, replicas } };
  const updated = await callApi(target, action, (options) =>
    clients.apps.replaceNamespacedDeploymentScale({ name: target.name, namespace: target.namespace, body, fieldManager: FIELD_MANAGER }, options),
  );
  log.info('deployment scaled', { ...target.logFields, replicas, previousReplicas: found });
  return { namespace: target.namespace, deployment: target.name, replicas: updated.spec?.replicas ?? replicas, previousReplicas: found };
}

/**
 * Polls the deployment every `kubernetes.rolloutPollInterval` until its
 * rollout is complete: the controller has observed the newest generation,
 * and `spec.replicas`, `status.replicas`, `updatedReplicas` and
 * `availableReplicas` are equal, so no old pod remains. Heartbeats a
 * `RolloutProgress` on every poll, so the workflow needs a heartbeat timeout
 * longer than the poll interval.
 *
 * Fails non-retryably with `ProgressDeadlineExceeded` when the deployment
 * controller reports that condition, and with `RolloutTimedOut` after
 * `kubernetes.rolloutTimeout`, counted from the first attempt. A cancelled
 * activity stops between two polls or aborts the request in flight.
 */
export async function waitForRollout(deps: KubernetesDeps, request: KubernetesRequest): Promise<RolloutResult> {
  const target = resolveTarget(deps, request);
  const timeout = target.section.rolloutTimeout ?? KUBERNETES_DEFAULTS.rolloutTimeout;
  const timeoutMs = durationToMs(timeout);
  const intervalMs = durationToMs(target.section.rolloutPollInterval ?? KUBERNETES_DEFAULTS.rolloutPollInterval);
  const clients = kubernetesClients(deps, target.section);

  const earlier = readRolloutProgress(activityInfo().heartbeatDetails);
  const startedAt = earlier?.startedAt ?? new Date().toISOString();
  const deadline = Date.parse(startedAt) + timeoutMs;
  let polls = earlier?.polls ?? 0;

  for (;;) {
    const deployment = await readDeployment(clients, target);
    polls += 1;
    const state = rolloutState(deployment);
    const progress: RolloutProgress = { startedAt, polls, ...state.counts, message: state.message };
    heartbeat(progress);

    if (state.phase === 'failed') {
      throw ApplicationFailure.create({
        type: 'ProgressDeadlineExceeded',
        nonRetryable: true,
        message: `deployment ${target.namespace}/${target.name} exceeded its progress deadline: ${state.message}; check its pods and events, then roll back or fix the cause`,
        details: [progress],
      });
    }
    if (state.phase === 'complete') {
      log.info('deployment rollout complete', { ...target.logFields, generation: state.counts.generation, polls });
      return {
        namespace: target.namespace,
        deployment: target.name,
        generation: state.counts.generation,
        replicas: state.counts.desiredReplicas,
        availableReplicas: state.counts.availableReplicas,
        polls,
      };
    }

    const remainingMs = deadline - Date.now();
    if (remainingMs <= 0) {
      log.warn('deployment rollout timed out', { ...target.logFields, timeout, progress: state.message });
      throw ApplicationFailure.create({
        type: 'RolloutTimedOut',
        nonRetryable: true,
        message: `deployment ${target.namespace}/${target.name} did not finish its rollout within ${timeout} (kubernetes.rolloutTimeout): ${state.message}`,
        details: [progress],
      });
    }
    await sleep(Math.min(intervalMs, remainingMs));
  }
}

// --- Deployment resolution and API clients -------------------------------

interface Target {
  section: KubernetesConfig;
  service: string;
  name: string;
  namespace: string;
  container?: string;
  /** `kubernetesNamespace`, because the activity logger already sets `namespace` to the Temporal namespace. */
  logFields: { incidentId: string; service: string; kubernetesNamespace: string; deployment: string };
}

interface KubernetesClients {
  core: CoreV1Api;
  apps: AppsV1Api;
  customObjects: CustomObjectsApi;
}

/** Clients by kubeconfig file and context, or for the in-cluster service account, for the life of the worker. */
const clientsBySource = new Map<string, KubernetesClients>();
const clientsByKubeConfig = new WeakMap<KubeConfig, KubernetesClients>();

/**
 * Forgets the cached clients, so that the next activity reads the kubeconfig
 * file again. The cache otherwise lives as long as the worker, so a changed
 * static token in a kubeconfig file needs a worker restart. The in-cluster
 * service account token is read again by the library as Kubernetes rotates it.
 */
export function resetKubernetesClients(): void {
  clientsBySource.clear();
}

function resolveTarget(deps: KubernetesDeps, request: KubernetesRequest): Target {
  const section = deps.config.kubernetes;
  if (section === undefined) {
    throw configurationMissing(
      'the configuration has no kubernetes section; add kubernetes.deployments and kubernetes.kubeconfig or kubernetes.inCluster',
    );
  }

  const deployment = Object.hasOwn(section.deployments, request.service) ? section.deployments[request.service] : undefined;
  if (deployment === undefined) {
    const known = Object.keys(section.deployments).sort().join(', ') || 'none';
    throw configurationMissing(`service ${JSON.stringify(request.service)} is not in kubernetes.deployments (configured: ${known}); add it with the name of its deployment`);
  }

  const namespace = deployment.namespace ?? section.namespace ?? KUBERNETES_DEFAULTS.namespace;
  return {
    section,
    service: request.service,
    name: deployment.name,
    namespace,
    ...(deployment.container === undefined ? {} : { container: deployment.container }),
    logFields: { incidentId: request.incidentId, service: request.service, kubernetesNamespace: namespace, deployment: deployment.name },
  };
}

function kubernetesClients(deps: KubernetesDeps, section: KubernetesConfig): KubernetesClients {
  if (deps.kubeConfig !== undefined) {
    let clients = clientsByKubeConfig.get(deps.kubeConfig);
    if (clients === undefined) {
      clients = createClients(deps.kubeConfig, 'the kubeconfig the worker was given');
      clientsByKubeConfig.set(deps.kubeConfig, clients);
    }
    return clients;
  }

  let key: string;
  if (section.kubeconfig !== undefined) key = `file\u0000${section.kubeconfig}\u0000${section.context ?? ''}`;
  else if (section.inCluster ?? KUBERNETES_DEFAULTS.inCluster) key = 'in-cluster';
  else {
    throw configurationMissing(
      'kubernetes.kubeconfig is not set and kubernetes.inCluster is false; set kubernetes.kubeconfig to a kubeconfig file, or inCluster: true when the worker runs in the cluster',
    );
  }

  let clients = clientsBySource.get(key);
  if (clients === undefined) {
    clients =
      section.kubeconfig !== undefined
        ? createClients(loadKubeconfigFile(section.kubeconfig, section.context), `kubeconfig file ${section.kubeconfig}`)
        : createClients(loadInClusterConfig(), 'the in-cluster service account configuration');
    clientsBySource.set(key, clients);
  }
  return clients;
}

function loadKubeconfigFile(path: string, context: string | undefined): KubeConfig {
  if (!existsSync(path)) {
    throw configurationMissing(`kubeconfig file ${path} (kubernetes.kubeconfig) does not exist; fix the path or mount the file into the worker`);
  }

  const kubeConfig = new KubeConfig();
  try {
    kubeConfig.loadFromFile(path);
  } catch (error) {
    throw configurationInvalid(`kubeconfig file ${path} is invalid: ${describeLoadError(error)}; fix the file`);
  }

  if (context !== undefined) {
    if (kubeConfig.getContextObject(context) === null) {
      const known = kubeConfig.getContexts().map((entry) => entry.name).join(', ') || 'none';
      throw configurationMissing(`context ${context} (kubernetes.context) is not in kubeconfig file ${path}, which has: ${known}`);
    }
    kubeConfig.setCurrentContext(context);
  }
  return kubeConfig;
}

function loadInClusterConfig(): KubeConfig {
  const host = process.env['KUBERNETES_SERVICE_HOST'];
  const port = process.env['KUBERNETES_SERVICE_PORT'];
  if (host === undefined || host === '' || port === undefined || port === '') {
    throw configurationMissing(
      'kubernetes.inCluster is true but KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set, so the worker does not run in a Kubernetes pod; set kubernetes.kubeconfig instead',
    );
  }
  if (!existsSync(SERVICE_ACCOUNT_TOKEN_PATH)) {
    throw configurationMissing(
      `kubernetes.inCluster is true but ${SERVICE_ACCOUNT_TOKEN_PATH} does not exist; mount a service account token into the worker's pod`,
    );
  }

  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromCluster();
  return kubeConfig;
}

function createClients(kubeConfig: KubeConfig, source: string): KubernetesClients {
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) {
    throw configurationMissing(`${source} has no current context with a cluster; set current-context in the file or kubernetes.context`);
  }
  // @kubernetes/client-node 1.4.0 throws at request time for an http:// server
  // unless the cluster entry skips TLS verification.
  if (cluster.server.startsWith('http:') && cluster.skipTLSVerify !== true) {
    throw configurationInvalid(
      `the cluster of ${source} has an http:// server, which @kubernetes/client-node accepts only with insecure-skip-tls-verify: true; use its https:// address`,
    );
  }

  return {
    core: kubeConfig.makeApiClient(CoreV1Api),
    apps: kubeConfig.makeApiClient(AppsV1Api),
    customObjects: kubeConfig.makeApiClient(CustomObjectsApi),
  };
}

/** Describes a kubeconfig load error without quoting the file, which may contain a token. */
function describeLoadError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'YAMLException') {
    const line = (error as { mark?: { line?: number } }).mark?.line;
    return line === undefined ? 'not valid YAML' : `not valid YAML at line ${line + 1}`;
  }
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error.message;
}

/**
 * Sends one API request with a time limit and the activity's cancellation,
 * and translates its failure. `contentType` replaces the `Content-Type`
 * header, because the 1.4.0 client sends every PATCH as
 * `application/json-patch+json` unless a middleware overrides it.
 */
async function callApi<T>(
  target: Target,
  action: string,
  call: (options: ConfigurationOptions) => Promise<T>,
  contentType?: string,
): Promise<T> {
  const cancelled = cancellationSignal();
  const signal = AbortSignal.any([cancelled, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]);
  let options: ConfigurationOptions = { middleware: [abortMiddleware(signal)], middlewareMergeStrategy: 'append' };
  if (contentType !== undefined) options = setHeaderOptions('Content-Type', contentType, options);

  try {
    return await call(options);
  } catch (error) {
    // The worker reports the activity as cancelled when it ends with the
    // signal's reason, a CancelledFailure.
    if (cancelled.aborted) throw cancelled.reason as Error;
    const translated = translateKubernetesError(error, action);
    log.warn('kubernetes request failed', { ...target.logFields, action, error: translated.message });
    throw translated;
  }
}

function abortMiddleware(signal: AbortSignal): ObservableMiddleware {
  return {
    pre: (context) => {
      context.setSignal(signal);
      return new Observable(Promise.resolve(context));
    },
    post: (response) => new Observable(Promise.resolve(response)),
  };
}

async function readDeployment(clients: KubernetesClients, target: Target): Promise<V1Deployment> {
  return callApi(target, `read deployment ${target.namespace}/${target.name}`, (options) =>
    clients.apps.readNamespacedDeployment({ name: target.name, namespace: target.namespace }, options),
  );
}

async function listDeploymentPods(clients: KubernetesClients, target: Target, deployment: V1Deployment): Promise<V1Pod[]> {
  const labelSelector = formatLabelSelector(deployment.spec?.selector);
  const list = await callApi(target, `list pods in namespace ${target.namespace}`, (options) =>
    clients.core.listNamespacedPod({ namespace: target.namespace, labelSelector }, options),
  );
  return list.items;
}

// --- Pure helpers --------------------------------------------------------

/**
 * Formats a label selector as the `labelSelector` query parameter:
 * `app=api,tier in (web,worker),!legacy`. Throws for an empty selector,
 * which would select every pod of the namespace.
 */
export function formatLabelSelector(selector: V1LabelSelector | undefined): string {
  const terms = Object.entries(selector?.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const expression of selector?.matchExpressions ?? []) {
    const values = (expression.values ?? []).join(',');
    switch (expression.operator) {
      case 'In':
        terms.push(`${expression.key} in (${values})`);
        break;
      case 'NotIn':
        terms.push(`${expression.key} notin (${values})`);
        break;
      case 'Exists':
        terms.push(expression.key);
        break;
      case 'DoesNotExist':
        terms.push(`!${expression.key}`);
        break;
      default:
        throw unexpectedResponse(`label selector operator ${JSON.stringify(expression.operator)} is unknown, expected In, NotIn, Exists or DoesNotExist`);
    }
  }

  if (terms.length === 0) throw unexpectedResponse('the deployment has an empty spec.selector, which would match every pod of its namespace');
  return terms.join(',');
}

const QUANTITY_PATTERN = /^(\d+(?:\.\d*)?|\.\d+)(?:(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)|[eE]([+-]?\d+))?$/;
const DECIMAL_SUFFIX_EXPONENTS: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX_EXPONENTS: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

/**
 * Converts a non-negative Kubernetes quantity (`250m`, `1`, `123456n`,
 * `512Mi`, `1.5Gi`, `1e3`) to base units (cores, bytes) or to thousandths
 * of them (millicores). Rounds up to a whole number, as `Quantity.Value()`
 * and `MilliValue()` in Kubernetes do. Computes with integers, so `250m`
 * is exactly 250 millicores. Throws `RangeError` for any other form.
 */
export function parseQuantity(quantity: string, unit: 'base' | 'milli' = 'base'): number {
  const match = QUANTITY_PATTERN.exec(quantity);
  if (match === null) throw new RangeError(`invalid quantity ${JSON.stringify(quantity)}, expected a form like 250m, 1, 512Mi or 1Gi`);

  const [, number = '', suffix, exponent] = match;
  const [whole = '', fraction = ''] = number.split('.');
  let digits = BigInt(`${whole}${fraction}` || '0');
  let decimalExponent = -fraction.length + (unit === 'milli' ? 3 : 0);
  if (suffix !== undefined) decimalExponent += DECIMAL_SUFFIX_EXPONENTS[suffix] ?? 0;
  if (exponent !== undefined) decimalExponent += Number(exponent);
  const binaryExponent = suffix === undefined ? 0 : (BINARY_SUFFIX_EXPONENTS[suffix] ?? 0);

  digits *= 2n ** BigInt(binaryExponent);
  if (decimalExponent >= 0) return Number(digits * 10n ** BigInt(decimalExponent));
  const divisor = 10n ** BigInt(-decimalExponent);
  return Number((digits + divisor - 1n) / divisor);
}

interface RolloutState {
  phase: 'waiting' | 'complete' | 'failed';
  message: string;
  counts: Omit<RolloutProgress, 'startedAt' | 'polls' | 'message'>;
}

/** Judges a rollout as `kubectl rollout status` does, with the stricter end condition of `waitForRollout`. */
function rolloutState(deployment: V1Deployment): RolloutState {
  const status = deployment.status;
  const counts = {
    generation: deployment.metadata?.generation ?? 0,
    observedGeneration: status?.observedGeneration ?? 0,
    // The API server defaults spec.replicas to 1.
    desiredReplicas: deployment.spec?.replicas ?? 1,
    replicas: status?.replicas ?? 0,
    updatedReplicas: status?.updatedReplicas ?? 0,
    readyReplicas: status?.readyReplicas ?? 0,
    availableReplicas: status?.availableReplicas ?? 0,
  };
  const waiting = (message: string): RolloutState => ({
    phase: 'waiting',
    message: deployment.spec?.paused === true ? `the deployment is paused (kubectl rollout resume); ${message}` : message,
    counts,
  });

  if (counts.observedGeneration < counts.generation) {
    return waiting(`waiting for the deployment controller to observe generation ${counts.generation} (observed ${counts.observedGeneration})`);
  }

  const progressing = status?.conditions?.find((condition) => condition.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { phase: 'failed', message: progressing.message ?? 'ProgressDeadlineExceeded', counts };
  }

  const { desiredReplicas, replicas, updatedReplicas, availableReplicas } = counts;
  if (updatedReplicas < desiredReplicas) return waiting(`${updatedReplicas} of ${desiredReplicas} new replicas updated`);
  if (replicas > updatedReplicas) return waiting(`${replicas - updatedReplicas} old replicas pending termination`);
  if (availableReplicas < updatedReplicas) return waiting(`${availableReplicas} of ${updatedReplicas} updated replicas available`);
  if (updatedReplicas !== desiredReplicas || replicas !== desiredReplicas || availableReplicas !== desiredReplicas) {
    return waiting(`${replicas} replicas, ${availableReplicas} available, waiting for ${desiredReplicas}`);
  }
  return { phase: 'complete', message: `${desiredReplicas} replicas updated and available`, counts };
}

/** Returns the progress an earlier attempt recorded, or undefined on a first attempt. */
function readRolloutProgress(details: unknown): Pick<RolloutProgress, 'startedAt' | 'polls'> | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  const { startedAt, polls } = details as Record<string, unknown>;
  if (typeof startedAt !== 'string' || Number.isNaN(Date.parse(startedAt)) || typeof polls !== 'number') return undefined;
  return { startedAt, polls };
}

function describeReplicaSet(replicaSet: V1ReplicaSet, currentRevision: number | null): Rollout {
  const metadata = replicaSet.metadata;
  const revision = parseRevision(metadata?.annotations?.[REVISION_ANNOTATION]);
  const createdAt = metadata?.creationTimestamp;
  return {
    replicaSet: metadata?.name ?? '',
    revision,
    changeCause: metadata?.annotations?.[CHANGE_CAUSE_ANNOTATION] ?? null,
    // The generated client turns timestamps into Date objects.
    createdAt: createdAt instanceof Date ? createdAt.toISOString() : (createdAt ?? null),
    desiredReplicas: replicaSet.spec?.replicas ?? 0,
    replicas: replicaSet.status?.replicas ?? 0,
    readyReplicas: replicaSet.status?.readyReplicas ?? 0,
    availableReplicas: replicaSet.status?.availableReplicas ?? 0,
    images: (replicaSet.spec?.template?.spec?.containers ?? []).flatMap((container) => (container.image === undefined ? [] : [container.image])),
    current: revision !== null && revision === currentRevision,
  };
}

function parseRevision(annotation: string | undefined): number | null {
  if (annotation === undefined || !/^[0-9]+$/.test(annotation)) return null;
  return Number(annotation);
}

/** Orders by revision, newest first, and ReplicaSets without a revision last by creation time. */
function byRevisionDescending(a: Rollout, b: Rollout): number {
  if (a.revision !== b.revision) {
    if (a.revision === null) return 1;
    if (b.revision === null) return -1;
    return b.revision - a.revision;
  }
  return (b.createdAt ?? '').localeCompare(a.createdAt ?? '');
}

function byRestartsThenName(a: V1Pod, b: V1Pod): number {
  return restartCount(b) - restartCount(a) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

function restartCount(pod: V1Pod): number {
  return sum((pod.status?.containerStatuses ?? []).map((status) => status.restartCount));
}

/** Picks the container as `kubectl logs` does: the configured one, the pod's default container, then its first. */
function logContainer(pod: V1Pod, configured: string | undefined): string | undefined {
  return configured ?? pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION] ?? pod.spec?.containers[0]?.name;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/**
 * Keeps the newest lines of each pod so that all lines together take at most
 * `maxBytes` as JSON. Pods with little output keep all of it, and the pods
 * with more split what is left evenly.
 */
function capLogOutput(logs: PodLogs[], maxBytes: number): PodLogs[] {
  const cut = logs.map((entry) => {
    const lines = entry.lines.map(capLine);
    return { ...entry, lines, truncated: lines.some((line, index) => line !== entry.lines[index]) };
  });
  const sizes = cut.map((entry) => sum(entry.lines.map(jsonBytes)));

  const shares = new Array<number>(cut.length).fill(0);
  const smallestFirst = sizes.map((_, index) => index).sort((a, b) => (sizes[a] ?? 0) - (sizes[b] ?? 0));
  let remaining = maxBytes;
  smallestFirst.forEach((index, position) => {
    const share = Math.min(sizes[index] ?? 0, Math.floor(remaining / (smallestFirst.length - position)));
    shares[index] = share;
    remaining -= share;
  });

  return cut.map((entry, index) => {
    const share = shares[index] ?? 0;
    let used = 0;
    let first = entry.lines.length;
    while (first > 0) {
      const size = jsonBytes(entry.lines[first - 1] ?? '');
      if (used + size > share) break;
      used += size;
      first -= 1;
    }
    return { ...entry, lines: entry.lines.slice(first), truncated: entry.truncated || first > 0 };
  });
}

/** Size of a line as a JSON array element: the quoted, escaped string and a comma. */
function jsonBytes(line: string): number {
  return Buffer.byteLength(JSON.stringify(line)) + 1;
}

function capLine(line: string): string {
  if (Buffer.byteLength(line) <= MAX_LINE_BYTES) return line;
  // Cutting UTF-8 bytes can split a character, which decodes as U+FFFD.
  return `${Buffer.from(line).subarray(0, MAX_LINE_BYTES).toString('utf8').replace(/\uFFFD+$/, '')}…`;
}

function metricQuantity(quantity: string | undefined, unit: 'base' | 'milli'): number {
  if (quantity === undefined) return 0;
  try {
    return parseQuantity(quantity, unit);
  } catch (error) {
    throw unexpectedResponse(`metrics-server returned ${(error as Error).message}`);
  }
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function rfc3339Now(): string {
  return new Date().toISOString().replace(/\.[0-9]{3}Z$/, 'Z');
}

function isRfc3339(text: string): boolean {
  return /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$/.test(text) && !Number.isNaN(Date.parse(text));
}

function invalidRequest(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'InvalidRequest', nonRetryable: true, message });
}

function configurationMissing(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'ConfigurationMissing', nonRetryable: true, message });
}

function configurationInvalid(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'ConfigurationInvalid', nonRetryable: true, message });
}

function unexpectedResponse(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'UnexpectedKubernetesResponse', nonRetryable: true, message });
}
