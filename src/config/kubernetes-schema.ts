import { Type, type Static } from '@sinclair/typebox';

/**
 * Values the Kubernetes activities use for keys the section leaves out. The
 * configuration loader does not fill in schema defaults, so the activities
 * apply these themselves.
 */
export const KUBERNETES_DEFAULTS = {
  inCluster: false,
  namespace: 'barq',
  logLines: 200,
  rolloutTimeout: '10m',
  rolloutPollInterval: '5s',
} as const;

/** Upper bound of `logLines` and of the `lines` of a log request. */
export const MAX_LOG_LINES = 5000;

const duration = (defaultValue: string) =>
  Type.String({
    pattern: '^[0-9]+(ms|s|m|h|d)$',
    default: defaultValue,
    description: 'a duration such as 30s, 5m, 1h or 3d',
  });

const ServiceName = Type.String({
  pattern: '^[a-z][a-z0-9-]{0,62}$',
  description: 'a BARQ service name of lower-case letters, digits and hyphens, starting with a letter',
});

// Kubernetes name rules: namespaces and containers are DNS-1123 labels,
// deployments DNS-1123 subdomains.
const namespace = (options: { default?: string } = {}) =>
  Type.String({
    pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
    maxLength: 63,
    description: 'a Kubernetes namespace: up to 63 lower-case letters, digits and hyphens, starting and ending with a letter or digit',
    ...options,
  });

const ContainerName = Type.String({
  pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
  maxLength: 63,
  description: 'a container name: up to 63 lower-case letters, digits and hyphens, starting and ending with a letter or digit',
});

const DeploymentName = Type.String({
  pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
  maxLength: 253,
  description: 'a Kubernetes deployment name: lower-case letters, digits, hyphens and dots, up to 253 characters',
});

/** The Kubernetes deployment that runs one BARQ service. */
const DeploymentTarget = Type.Object(
  {
    name: DeploymentName,
    /** Overrides `kubernetes.namespace` for this deployment. */
    namespace: Type.Optional(namespace()),
    /** Container whose logs to read. Defaults to the pod's `kubectl.kubernetes.io/default-container`, then its first container. */
    container: Type.Optional(ContainerName),
  },
  { additionalProperties: false },
);

/**
 * The optional `kubernetes` section: how the worker reaches the cluster and
 * which deployment runs each BARQ service. With `kubeconfig` set, the worker
 * reads that file (and its `context`). Without it, `inCluster: true` uses
 * the service account that Kubernetes mounts into the worker's pod.
 */
export const KubernetesSection = Type.Object(
  {
    /** Path of a kubeconfig file. A relative path is resolved against the worker's working directory. */
    kubeconfig: Type.Optional(Type.String({ minLength: 1, description: 'a path to a kubeconfig file' })),
    /** Context of the kubeconfig file to use instead of its `current-context`. */
    context: Type.Optional(Type.String({ minLength: 1, description: 'a context name of the kubeconfig file' })),
    inCluster: Type.Optional(Type.Boolean({ default: KUBERNETES_DEFAULTS.inCluster, description: 'true or false' })),
    /** Namespace of deployments that do not name their own. */
    namespace: Type.Optional(namespace({ default: KUBERNETES_DEFAULTS.namespace })),
    deployments: Type.Record(ServiceName, DeploymentTarget, {
      additionalProperties: false,
      minProperties: 1,
      description: 'a mapping from BARQ service name to { name, namespace?, container? }',
    }),
    /** Log lines per pod that `deploymentLogs` reads when the request sets no `lines`. */
    logLines: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_LOG_LINES, default: KUBERNETES_DEFAULTS.logLines, description: `an integer from 1 to ${MAX_LOG_LINES}` }),
    ),
    /** Time `waitForRollout` waits for a rollout to finish before it fails. */
    rolloutTimeout: Type.Optional(duration(KUBERNETES_DEFAULTS.rolloutTimeout)),
    /** Time between two reads of the deployment in `waitForRollout`. */
    rolloutPollInterval: Type.Optional(duration(KUBERNETES_DEFAULTS.rolloutPollInterval)),
  },
  { additionalProperties: false },
);

export type KubernetesConfig = Static<typeof KubernetesSection>;
export type KubernetesDeploymentConfig = KubernetesConfig['deployments'][string];
