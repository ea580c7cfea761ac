import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { stringify } from 'yaml';

/** One request as the fake API server saw it. */
export interface RecordedRequest {
  method: string;
  /** URL path without the query. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, the raw text when it is not JSON, or undefined without a body. */
  body: unknown;
}

export interface FakeReply {
  status: number;
  body?: unknown;
  /** Defaults to application/json. */
  contentType?: string;
}

/**
 * What the simulated deployment controller does after a change of the pod
 * template or the replica count: finish after `rolloutPolls` reads, stay
 * with one updated replica forever, or report `ProgressDeadlineExceeded`.
 */
export type RolloutBehavior = 'complete' | 'stall' | 'fail';

/** A Kubernetes object as JSON. */
export type KubernetesObject = Record<string, any>;

export interface KubeconfigContext {
  name: string;
  server: string;
  token: string;
  namespace?: string;
}

/** Names and values of the objects `FakeKubernetesApi` starts with. */
export const FAKE_CLUSTER = {
  namespace: 'barq',
  deployment: 'barq-api',
  deploymentUid: '6f1c2a3e-0000-4000-8000-00000000d001',
  selector: { app: 'barq-api' },
  replicas: 3,
  /** Revision of the current ReplicaSet. Revisions 9 and 10 catch a sort by text. */
  revision: 10,
  token: 'fake-cluster-token-7f3a',
  currentImage: 'registry.barq.example/api:1.8.2',
} as const;

/**
 * A Kubernetes API server on 127.0.0.1 that keeps one deployment with its
 * ReplicaSets, pods, pod logs and pod metrics in memory. It serves the
 * routes the Kubernetes activities use:
 *
 * - GET and PATCH (strategic merge patch) `/apis/apps/v1/namespaces/{ns}/deployments/{name}`
 * - GET, PATCH (merge patch) and PUT `/apis/apps/v1/namespaces/{ns}/deployments/{name}/scale`
 * - GET `/apis/apps/v1/namespaces/{ns}/replicasets?labelSelector=`
 * - GET `/api/v1/namespaces/{ns}/pods?labelSelector=`
 * - GET `/api/v1/namespaces/{ns}/pods/{pod}/log?container=&tailLines=&previous=`
 * - GET `/apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods?labelSelector=`
 *
 * Every request needs `Authorization: Bearer <token>` and is recorded in
 * `requests`. Errors are `Status` objects, as the real API server sends
 * them. Label selectors support only `key=value`, `key==value` and
 * `key!=value` terms. A change of the pod template creates a ReplicaSet with
 * the next revision, and the deployment status follows `rolloutBehavior`.
 */
export class FakeKubernetesApi {
  readonly token: string = FAKE_CLUSTER.token;
  readonly namespace: string = FAKE_CLUSTER.namespace;
  readonly requests: RecordedRequest[] = [];

  deployment: KubernetesObject = {};
  replicaSets: KubernetesObject[] = [];
  pods: KubernetesObject[] = [];
  /** `PodMetrics` objects of the metrics.k8s.io API. */
  podMetrics: KubernetesObject[] = [];
  /** Log lines by pod name, then container name. */
  logs: Record<string, Record<string, string[]>> = {};
  /** Log lines of the previous container instance, for `previous=true`. */
  previousLogs: Record<string, Record<string, string[]>> = {};

  /** Reads of the deployment after a change that still show the rollout in progress. The next read shows it complete. */
  rolloutPolls = 2;
  rolloutBehavior: RolloutBehavior = 'complete';
  /** Returns a reply that replaces the fake's own, or undefined to let the fake reply. Runs after the token check. */
  intercept?: (request: RecordedRequest) => FakeReply | undefined;

  private server?: Server;
  private resourceVersion = 1000;
  /** Reads of the deployment since the last change, or undefined when no rollout is in progress. */
  private readsSinceChange?: number;
  private readonly kubeconfigDirs: string[] = [];

  constructor() {
    this.reset();
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (address === null || address === undefined) throw new Error('fake Kubernetes API is not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const url = new URL(request.url ?? '/', 'http://127.0.0.1');
        const text = Buffer.concat(chunks).toString('utf8');
        const recorded: RecordedRequest = {
          method: request.method ?? '',
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: request.headers,
          body: text === '' ? undefined : parseJson(text),
        };
        this.requests.push(recorded);

        const reply = this.reply(recorded);
        response.writeHead(reply.status, { 'Content-Type': reply.contentType ?? 'application/json' });
        response.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {}));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server !== undefined) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    for (const dir of this.kubeconfigDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }

  /** Restores the objects the fake starts with, the complete rollout behaviour, and clears `requests` and `intercept`. */
  reset(): void {
    this.requests.length = 0;
    this.intercept = undefined;
    this.rolloutPolls = 2;
    this.rolloutBehavior = 'complete';
    this.readsSinceChange = undefined;
    this.deployment = initialDeployment();
    this.replicaSets = initialReplicaSets();
    this.pods = initialPods();
    this.podMetrics = initialPodMetrics();
    this.logs = initialLogs();
    this.previousLogs = {};
  }

  /** Requests with this method whose path ends with `pathSuffix`. */
  requestsTo(method: string, pathSuffix: string): RecordedRequest[] {
    return this.requests.filter((request) => request.method === method && request.path.endsWith(pathSuffix));
  }

  /**
   * Writes a kubeconfig file whose current context points at this server
   * with its bearer token, and returns its path. `stop()` deletes the file.
   * The cluster entry sets `insecure-skip-tls-verify`, without which
   * @kubernetes/client-node 1.4.0 refuses an http:// server.
   */
  writeKubeconfig(options: { token?: string; extraContexts?: KubeconfigContext[]; currentContext?: string } = {}): string {
    const contexts: KubeconfigContext[] = [
      { name: 'barq-fake', server: this.url, token: options.token ?? this.token, namespace: this.namespace },
      ...(options.extraContexts ?? []),
    ];
    const path = writeKubeconfig(contexts, options.currentContext ?? 'barq-fake');
    this.kubeconfigDirs.push(join(path, '..'));
    return path;
  }

  private reply(request: RecordedRequest): FakeReply {
    if (request.headers.authorization !== `Bearer ${this.token}`) return status(401, 'Unauthorized', 'Unauthorized');

    const intercepted = this.intercept?.(request);
    if (intercepted !== undefined) return intercepted;

    const route = matchRoute(request.path);
    if (route === undefined) return status(404, 'NotFound', 'the server could not find the requested resource');
    if (route.namespace !== this.namespace) return status(404, 'NotFound', `${route.resource} not found in namespace ${route.namespace}`);

    switch (route.kind) {
      case 'deployment':
        return this.deploymentRoute(request, route.name);
      case 'scale':
        return this.scaleRoute(request, route.name);
      case 'replicasets':
        return this.listRoute(request, 'ReplicaSetList', 'apps/v1', this.replicaSets);
      case 'pods':
        return this.listRoute(request, 'PodList', 'v1', this.pods);
      case 'log':
        return this.logRoute(request, route.name);
      case 'metrics':
        return this.listRoute(request, 'PodMetricsList', 'metrics.k8s.io/v1beta1', this.podMetrics);
    }
  }

  private deploymentRoute(request: RecordedRequest, name: string): FakeReply {
    if (name !== this.deployment.metadata.name) return status(404, 'NotFound', `deployments.apps "${name}" not found`);

    if (request.method === 'GET') {
      this.advanceRollout();
      return { status: 200, body: this.deployment };
    }
    if (request.method !== 'PATCH') return status(405, 'MethodNotAllowed', `the server does not allow ${request.method} on deployments`);

    const contentType = request.headers['content-type'];
    if (contentType !== 'application/strategic-merge-patch+json') {
      return status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/strategic-merge-patch+json; received ${contentType ?? 'none'}`);
    }
    if (!isObject(request.body)) return status(400, 'BadRequest', 'the patch is not a JSON object');

    const before = JSON.stringify(this.deployment.spec);
    const templateBefore = JSON.stringify(this.deployment.spec.template);
    this.deployment = mergePatch(this.deployment, request.body) as KubernetesObject;
    if (JSON.stringify(this.deployment.spec.template) !== templateBefore) this.startRevision();
    if (JSON.stringify(this.deployment.spec) !== before) this.recordChange();
    return { status: 200, body: this.deployment };
  }

  private scaleRoute(request: RecordedRequest, name: string): FakeReply {
    if (name !== this.deployment.metadata.name) return status(404, 'NotFound', `deployments.apps "${name}" not found`);

    if (request.method === 'GET') return { status: 200, body: this.scale() };

    let replicas: unknown;
    if (request.method === 'PATCH') {
      const contentType = request.headers['content-type'];
      if (contentType !== 'application/merge-patch+json' && contentType !== 'application/strategic-merge-patch+json') {
        return status(415, 'UnsupportedMediaType', `the scale subresource accepts a merge patch; received ${contentType ?? 'none'}`);
      }
      replicas = (request.body as { spec?: { replicas?: unknown } } | undefined)?.spec?.replicas;
    } else if (request.method === 'PUT') {
      const body = request.body as { metadata?: { resourceVersion?: unknown }; spec?: { replicas?: unknown } } | undefined;
      if (body?.metadata?.resourceVersion !== this.deployment.metadata.resourceVersion) {
        return status(
          409,
          'Conflict',
          `Operation cannot be fulfilled on deployments.apps "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        );
      }
      replicas = body?.spec?.replicas;
    } else {
      return status(405, 'MethodNotAllowed', `the server does not allow ${request.method} on deployments/scale`);
    }

    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      return status(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}`);
    }
    if (replicas !== this.deployment.spec.replicas) {
      this.deployment.spec.replicas = replicas;
      this.recordChange();
    }
    return { status: 200, body: this.scale() };
  }

  private listRoute(request: RecordedRequest, kind: string, apiVersion: string, items: KubernetesObject[]): FakeReply {
    if (request.method !== 'GET') return status(405, 'MethodNotAllowed', `the server does not allow ${request.method} on this collection`);

    const selector = parseSelector(request.query['labelSelector'] ?? '');
    if (selector === undefined) return status(400, 'BadRequest', `unable to parse requirement: ${request.query['labelSelector'] ?? ''}`);
    const selected = items.filter((item) => selector((item.metadata?.labels ?? {}) as Record<string, string>));
    return { status: 200, body: { kind, apiVersion, metadata: { resourceVersion: String(this.resourceVersion) }, items: selected } };
  }

  private logRoute(request: RecordedRequest, podName: string): FakeReply {
    const pod = this.pods.find((candidate) => candidate.metadata.name === podName);
    if (pod === undefined) return status(404, 'NotFound', `pods "${podName}" not found`);

    const containers = (pod.spec.containers as Array<{ name: string }>).map((container) => container.name);
    const container = request.query['container'] ?? (containers.length === 1 ? containers[0] : undefined);
    if (container === undefined) {
      return status(400, 'BadRequest', `a container name must be specified for pod ${podName}, choose one of: [${containers.join(' ')}]`);
    }
    if (!containers.includes(container)) return status(400, 'BadRequest', `container ${container} is not valid for pod ${podName}`);

    const previous = request.query['previous'] === 'true';
    const source = previous ? this.previousLogs : this.logs;
    const lines = source[podName]?.[container];
    if (lines === undefined && previous) {
      return status(400, 'BadRequest', `previous terminated container "${container}" in pod "${podName}" not found`);
    }

    const tail = request.query['tailLines'] === undefined ? undefined : Number(request.query['tailLines']);
    const selected = tail === undefined ? (lines ?? []) : (lines ?? []).slice(Math.max(0, (lines ?? []).length - tail));
    const text = selected.map((line) => `${line}\n`).join('');
    return { status: 200, body: text, contentType: 'text/plain' };
  }

  private scale(): KubernetesObject {
    const metadata = this.deployment.metadata;
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: metadata.name,
        namespace: metadata.namespace,
        uid: metadata.uid,
        resourceVersion: metadata.resourceVersion,
        creationTimestamp: metadata.creationTimestamp,
      },
      spec: { replicas: this.deployment.spec.replicas },
      status: { replicas: this.deployment.status.replicas ?? 0, selector: formatSelector(this.deployment.spec.selector.matchLabels) },
    };
  }

  /** Bumps the generation and starts a rollout, as the API server and the deployment controller do after a spec change. */
  private recordChange(): void {
    this.deployment.metadata.generation += 1;
    this.deployment.metadata.resourceVersion = String(++this.resourceVersion);
    this.readsSinceChange = 0;
  }

  /** Creates the ReplicaSet of a new pod template with the next revision, as the deployment controller does. */
  private startRevision(): void {
    const revision = Number(this.deployment.metadata.annotations['deployment.kubernetes.io/revision']) + 1;
    this.deployment.metadata.annotations['deployment.kubernetes.io/revision'] = String(revision);
    const template = structuredClone(this.deployment.spec.template) as KubernetesObject;
    this.replicaSets.push(
      replicaSet(`${FAKE_CLUSTER.deployment}-r${revision}`, revision, {
        image: (template.spec.containers as Array<{ image: string }>)[0]?.image ?? '',
        replicas: 0,
        createdAt: new Date().toISOString().replace(/\.[0-9]{3}Z$/, 'Z'),
        template,
      }),
    );
  }

  /** Moves the deployment status one step on each read while a rollout is in progress. */
  private advanceRollout(): void {
    if (this.readsSinceChange === undefined) return;
    this.readsSinceChange += 1;

    const desired = this.deployment.spec.replicas as number;
    const generation = this.deployment.metadata.generation as number;
    const status = this.deployment.status;

    if (this.rolloutBehavior === 'complete' && this.readsSinceChange > this.rolloutPolls) {
      this.deployment.status = completeStatus(generation, desired);
      this.settleReplicaSets(desired);
      this.readsSinceChange = undefined;
      return;
    }
    // The first read after a change comes before the controller has seen it.
    if (this.rolloutBehavior === 'complete' && this.readsSinceChange === 1) return;

    const updated = Math.min(1, desired);
    status.observedGeneration = generation;
    status.replicas = desired + updated;
    status.updatedReplicas = updated;
    status.readyReplicas = desired;
    status.availableReplicas = desired;
    status.unavailableReplicas = updated;
    if (this.rolloutBehavior === 'fail') {
      status.conditions = [
        condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'),
        condition('Progressing', 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${FAKE_CLUSTER.deployment}-r${this.currentRevision()}" has timed out progressing.`),
      ];
    }
  }

  private settleReplicaSets(desired: number): void {
    const current = String(this.currentRevision());
    for (const set of this.replicaSets) {
      if (set.metadata.ownerReferences?.[0]?.uid !== FAKE_CLUSTER.deploymentUid) continue;
      const count = set.metadata.annotations['deployment.kubernetes.io/revision'] === current ? desired : 0;
      set.spec.replicas = count;
      set.status = { replicas: count, readyReplicas: count, availableReplicas: count, fullyLabeledReplicas: count, observedGeneration: 1 };
    }
  }

  private currentRevision(): number {
    return Number(this.deployment.metadata.annotations['deployment.kubernetes.io/revision']);
  }
}

/** Writes a kubeconfig file with one context, cluster and user per entry to a new temporary directory, and returns its path. */
export function writeKubeconfig(contexts: KubeconfigContext[], currentContext: string): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: contexts.map((context) => ({
      name: `${context.name}-cluster`,
      cluster: { server: context.server, 'insecure-skip-tls-verify': true },
    })),
    users: contexts.map((context) => ({ name: `${context.name}-user`, user: { token: context.token } })),
    contexts: contexts.map((context) => ({
      name: context.name,
      context: {
        cluster: `${context.name}-cluster`,
        user: `${context.name}-user`,
        ...(context.namespace === undefined ? {} : { namespace: context.namespace }),
      },
    })),
    'current-context': currentContext,
  };
  const path = join(mkdtempSync(join(tmpdir(), 'barq-kubeconfig-')), 'kubeconfig.yaml');
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}

// --- Routes and selectors ---------------------------------------------------

type Route =
  | { kind: 'deployment' | 'scale' | 'log'; namespace: string; name: string; resource: string }
  | { kind: 'replicasets' | 'pods' | 'metrics'; namespace: string; resource: string };

const ROUTES: Array<{ pattern: RegExp; kind: Route['kind']; resource: string }> = [
  { pattern: /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)$/, kind: 'deployment', resource: 'deployments.apps' },
  { pattern: /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)\/scale$/, kind: 'scale', resource: 'deployments.apps' },
  { pattern: /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/replicasets$/, kind: 'replicasets', resource: 'replicasets.apps' },
  { pattern: /^\/api\/v1\/namespaces\/([^/]+)\/pods$/, kind: 'pods', resource: 'pods' },
  { pattern: /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/, kind: 'log', resource: 'pods' },
  { pattern: /^\/apis\/metrics\.k8s\.io\/v1beta1\/namespaces\/([^/]+)\/pods$/, kind: 'metrics', resource: 'pods.metrics.k8s.io' },
];

function matchRoute(path: string): Route | undefined {
  for (const { pattern, kind, resource } of ROUTES) {
    const match = pattern.exec(path);
    if (match === null) continue;
    const namespace = decodeURIComponent(match[1] ?? '');
    if (kind === 'deployment' || kind === 'scale' || kind === 'log') {
      return { kind, namespace, name: decodeURIComponent(match[2] ?? ''), resource };
    }
    return { kind, namespace, resource };
  }
  return undefined;
}

/** Parses equality-based selectors (`a=b,c==d,e!=f`), or returns undefined for any other form. */
function parseSelector(text: string): ((labels: Record<string, string>) => boolean) | undefined {
  if (text === '') return () => true;

  const tests: Array<(labels: Record<string, string>) => boolean> = [];
  for (const term of text.split(',')) {
    const match = /^([A-Za-z0-9._/-]+)(!=|==|=)([A-Za-z0-9._-]*)$/.exec(term.trim());
    if (match === null) return undefined;
    const [, key = '', operator, value = ''] = match;
    tests.push(operator === '!=' ? (labels) => labels[key] !== value : (labels) => labels[key] === value);
  }
  return (labels) => tests.every((test) => test(labels));
}

function formatSelector(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

function status(code: number, reason: string, message: string): FakeReply {
  return { status: code, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code } };
}

/**
 * Applies a patch the way a strategic merge patch treats maps: objects merge
 * key by key, null deletes a key, and any other value replaces. Lists are
 * replaced whole, which is enough for the patches the activities send.
 */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// --- Initial objects ----------------------------------------------------------

function condition(type: string, statusValue: string, reason: string, message: string): KubernetesObject {
  const time = '2026-02-27T09:15:00Z';
  return { type, status: statusValue, reason, message, lastUpdateTime: time, lastTransitionTime: time };
}

function completeStatus(generation: number, replicas: number): KubernetesObject {
  return {
    observedGeneration: generation,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    conditions: [
      condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'),
      condition('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet has successfully progressed.`),
    ],
  };
}

function podTemplate(image: string): KubernetesObject {
  return {
    metadata: { labels: { ...FAKE_CLUSTER.selector } },
    spec: {
      containers: [
        { name: 'api', image, ports: [{ containerPort: 8080, protocol: 'TCP' }] },
        { name: 'envoy', image: 'envoyproxy/envoy:v1.30.1' },
      ],
    },
  };
}

function initialDeployment(): KubernetesObject {
  return {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: {
      name: FAKE_CLUSTER.deployment,
      namespace: FAKE_CLUSTER.namespace,
      uid: FAKE_CLUSTER.deploymentUid,
      resourceVersion: '1000',
      generation: 12,
      creationTimestamp: '2025-11-02T08:00:00Z',
      labels: { app: 'barq-api' },
      annotations: { 'deployment.kubernetes.io/revision': String(FAKE_CLUSTER.revision) },
    },
    spec: {
      replicas: FAKE_CLUSTER.replicas,
      selector: { matchLabels: { ...FAKE_CLUSTER.selector } },
      template: podTemplate(FAKE_CLUSTER.currentImage),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      progressDeadlineSeconds: 600,
      revisionHistoryLimit: 10,
    },
    status: completeStatus(12, FAKE_CLUSTER.replicas),
  };
}

function replicaSet(
  name: string,
  revision: number,
  options: { image: string; replicas: number; createdAt: string; changeCause?: string; ownerUid?: string; template?: KubernetesObject },
): KubernetesObject {
  return {
    kind: 'ReplicaSet',
    apiVersion: 'apps/v1',
    metadata: {
      name,
      namespace: FAKE_CLUSTER.namespace,
      uid: `6f1c2a3e-0000-4000-8000-0000000r${String(revision).padStart(4, '0')}`,
      creationTimestamp: options.createdAt,
      labels: { ...FAKE_CLUSTER.selector, 'pod-template-hash': name.split('-').at(-1) ?? '' },
      annotations: {
        'deployment.kubernetes.io/revision': String(revision),
        ...(options.changeCause === undefined ? {} : { 'kubernetes.io/change-cause': options.changeCause }),
      },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: options.ownerUid === undefined ? FAKE_CLUSTER.deployment : 'barq-api-canary',
          uid: options.ownerUid ?? FAKE_CLUSTER.deploymentUid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      replicas: options.replicas,
      selector: { matchLabels: { ...FAKE_CLUSTER.selector } },
      template: options.template ?? podTemplate(options.image),
    },
    status: { replicas: options.replicas, readyReplicas: options.replicas, availableReplicas: options.replicas, observedGeneration: 1 },
  };
}

function initialReplicaSets(): KubernetesObject[] {
  // Listed out of revision order, with one ReplicaSet that matches the
  // selector but belongs to another deployment.
  return [
    replicaSet('barq-api-5d9f7c6b4', 9, {
      image: 'registry.barq.example/api:1.8.1',
      replicas: 0,
      createdAt: '2026-02-20T10:00:00Z',
      changeCause: 'deploy api 1.8.1',
    }),
    replicaSet('barq-api-7c9d8b5f6', 10, {
      image: FAKE_CLUSTER.currentImage,
      replicas: FAKE_CLUSTER.replicas,
      createdAt: '2026-02-26T14:30:00Z',
      changeCause: 'deploy api 1.8.2',
    }),
    replicaSet('barq-api-6b8c7d9e5', 2, {
      image: 'registry.barq.example/api:1.7.0',
      replicas: 0,
      createdAt: '2025-12-01T09:00:00Z',
    }),
    replicaSet('barq-api-canary-8e7f6a5b4', 4, {
      image: 'registry.barq.example/api:1.9.0-rc1',
      replicas: 1,
      createdAt: '2026-02-27T08:00:00Z',
      ownerUid: '6f1c2a3e-0000-4000-8000-00000000c4a7',
    }),
  ];
}

function pod(name: string, labels: Record<string, string>, restarts: number): KubernetesObject {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: { name, namespace: FAKE_CLUSTER.namespace, labels, creationTimestamp: '2026-02-26T14:31:00Z' },
    spec: podTemplate(FAKE_CLUSTER.currentImage)['spec'],
    status: {
      phase: 'Running',
      containerStatuses: [
        { name: 'api', ready: true, restartCount: restarts, image: FAKE_CLUSTER.currentImage, imageID: '', started: true },
        { name: 'envoy', ready: true, restartCount: 0, image: 'envoyproxy/envoy:v1.30.1', imageID: '', started: true },
      ],
    },
  };
}

function initialPods(): KubernetesObject[] {
  const labels = { ...FAKE_CLUSTER.selector, 'pod-template-hash': '7c9d8b5f6' };
  return [
    pod('barq-api-7c9d8b5f6-abcde', labels, 0),
    pod('barq-api-7c9d8b5f6-fghij', labels, 0),
    pod('barq-api-7c9d8b5f6-klmno', labels, 2),
    // Same namespace, another app: the selector must leave it out.
    pod('barq-worker-5f6a7b8c9-pqrst', { app: 'barq-worker', 'pod-template-hash': '5f6a7b8c9' }, 0),
  ];
}

function initialLogs(): Record<string, Record<string, string[]>> {
  const apiLines = (pod: string) =>
    Array.from({ length: 300 }, (_, index) => `2026-02-27T09:${String(Math.floor(index / 60)).padStart(2, '0')}:${String(index % 60).padStart(2, '0')}Z ${pod} request ${index + 1} served`);
  return {
    'barq-api-7c9d8b5f6-abcde': { api: apiLines('abcde'), envoy: ['envoy started'] },
    'barq-api-7c9d8b5f6-fghij': { api: apiLines('fghij'), envoy: ['envoy started'] },
    'barq-api-7c9d8b5f6-klmno': { api: apiLines('klmno'), envoy: ['envoy started'] },
    'barq-worker-5f6a7b8c9-pqrst': { worker: ['worker started'] },
  };
}

function podMetric(name: string, labels: Record<string, string>, usage: Array<[string, string, string]>): KubernetesObject {
  return {
    metadata: { name, namespace: FAKE_CLUSTER.namespace, labels, creationTimestamp: '2026-02-27T09:20:00Z' },
    timestamp: '2026-02-27T09:19:45Z',
    window: '15.012s',
    containers: usage.map(([container, cpu, memory]) => ({ name: container, usage: { cpu, memory } })),
  };
}

function initialPodMetrics(): KubernetesObject[] {
  const labels = { ...FAKE_CLUSTER.selector, 'pod-template-hash': '7c9d8b5f6' };
  // The third pod has no metrics yet, as after a recent start.
  return [
    podMetric('barq-api-7c9d8b5f6-abcde', labels, [
      ['api', '250m', '512Mi'],
      ['envoy', '123456n', '1000Ki'],
    ]),
    podMetric('barq-api-7c9d8b5f6-fghij', labels, [
      ['api', '1', '1Gi'],
      ['envoy', '1500u', '64M'],
    ]),
    // Matches the selector, but its pod is gone: the activity must leave it out.
    podMetric('barq-api-6b8c7d9e5-zzzzz', { ...FAKE_CLUSTER.selector, 'pod-template-hash': '6b8c7d9e5' }, [['api', '3', '3Gi']]),
    podMetric('barq-worker-5f6a7b8c9-pqrst', { app: 'barq-worker' }, [['worker', '2', '2Gi']]),
  ];
}
