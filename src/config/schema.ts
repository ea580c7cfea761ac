import { Type, type Static } from '@sinclair/typebox';

import { TASK_ACTIONS } from '../shared/incident.js';
import { AlertsSection, MaintenanceSection } from './alerts-schema.js';
import { Duration, HttpUrl, Identifier } from './common-schema.js';
import { ChatSchema, ContactSchema, DeliverySchema, PersonSchema, ProvidersSchema } from './contacts-schema.js';
import { KubernetesSection } from './kubernetes-schema.js';
import { OncallSection } from './oncall-schema.js';

const ContactOrRole = Type.String({
  pattern: '^([a-z][a-z0-9-]{0,62}|role:(incident-commander|communications-lead))$',
  description: 'a contact ID, role:incident-commander or role:communications-lead',
});

const Stage = Type.Object(
  {
    id: Identifier,
    title: Type.String({ minLength: 1 }),
    due: Duration,
    endsWhen: Type.Union([Type.Literal('acknowledged'), Type.Literal('tasks'), Type.Literal('resolved')], {
      description: 'acknowledged, tasks or resolved',
    }),
    tasks: Type.Array(Identifier),
  },
  { additionalProperties: false },
);

const EscalationLevel = Type.Object(
  { targets: Type.Array(ContactOrRole, { minItems: 1 }), wait: Duration },
  { additionalProperties: false },
);

const SeverityPolicy = Type.Object(
  {
    page: Type.Boolean(),
    escalation: Type.Object(
      {
        levels: Type.Array(EscalationLevel, { minItems: 1 }),
        repeat: Type.Integer({ minimum: 0, maximum: 10 }),
      },
      { additionalProperties: false },
    ),
    acknowledgementLapse: Duration,
    breachEscalation: Type.Array(Identifier),
    business: Type.Object(
      {
        atDeclaration: Type.Array(Identifier),
        onBreach: Type.Record(Type.String(), Type.Array(Identifier)),
      },
      { additionalProperties: false },
    ),
    autoResolve: Type.Boolean(),
    postMortemRequired: Type.Boolean(),
    stages: Type.Array(Stage, { minItems: 1 }),
  },
  { additionalProperties: false },
);

const Task = Type.Object(
  {
    id: Identifier,
    title: Type.String({ minLength: 1 }),
    kind: Type.Union([Type.Literal('automated'), Type.Literal('manual')], { description: 'automated or manual' }),
    owner: Type.String({
      pattern: '^([a-z][a-z0-9-]{0,62})$',
      description: 'a role (incident-commander, communications-lead) or a contact ID',
    }),
    /** Work the workflow does for the task at declaration; the task is done when it succeeds. */
    action: Type.Optional(
      Type.Union(TASK_ACTIONS.map((action) => Type.Literal(action)), { description: `one of ${TASK_ACTIONS.join(', ')}` }),
    ),
    /** Key under kubernetes.deployments, for the Kubernetes actions. */
    target: Type.Optional(Identifier),
  },
  { additionalProperties: false },
);

const HttpCheck = Type.Object(
  {
    id: Identifier,
    kind: Type.Literal('http'),
    path: Type.String({ pattern: '^/', description: 'a path starting with /' }),
    expectedStatus: Type.Integer({ minimum: 100, maximum: 599 }),
    /** Text the response body must contain, in addition to the status. */
    expectedBody: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'a text of 1 to 200 characters' }),
    ),
    timeout: Duration,
  },
  { additionalProperties: false },
);

const RedisCheck = Type.Object(
  {
    id: Identifier,
    kind: Type.Literal('redis'),
    timeout: Duration,
  },
  { additionalProperties: false },
);

const AbsolutePath = Type.String({
  pattern: '^/',
  description: 'an absolute path such as /opt/barq/bin/health-check.sh',
});

/** A script run without a shell; the loader requires `executable` to be in `commandAllowlist`. */
const CommandCheck = Type.Object(
  {
    id: Identifier,
    kind: Type.Literal('command'),
    executable: AbsolutePath,
    args: Type.Array(Type.String()),
    timeout: Duration,
  },
  { additionalProperties: false },
);

const Engineer = Type.Object(
  {
    /** Recorded on timelines as the actor of every command this engineer sends. */
    id: Type.String({
      pattern: '^[A-Za-z0-9._@-]{1,64}$',
      description: 'an identity of 1 to 64 letters, digits and . _ @ -',
    }),
    name: Type.String({ minLength: 1 }),
    /** The engineer's API token is never in the file, only its digest (`npm run new-token`). */
    tokenSha256: Type.Optional(
      Type.String({ pattern: '^[0-9a-f]{64}$', description: "the lower-case hex SHA-256 of the engineer's API token" }),
    ),
  },
  { additionalProperties: false },
);

const TrustedProxy = Type.Object(
  {
    /** Header in which the SSO proxy passes the signed-in engineer's identity. */
    identityHeader: Type.String({ pattern: '^[a-z0-9-]{1,64}$', description: 'a lower-case header name' }),
    /** Source addresses of the proxy; the header is refused from any other address. */
    addresses: Type.Array(Type.String({ pattern: '^[0-9a-fA-F.:]+$', description: 'an IPv4 or IPv6 address' }), {
      minItems: 1,
    }),
  },
  { additionalProperties: false },
);

const RiskLevel = Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')], {
  description: 'one of low, medium, high',
});

const RecoveryStep = Type.Object(
  {
    id: Identifier,
    title: Type.String({ minLength: 1 }),
    action: Type.Union(
      [
        Type.Literal('rolling-restart'),
        Type.Literal('scale'),
        Type.Literal('redis-flush'),
        Type.Literal('database-reset'),
        Type.Literal('database-restore'),
      ],
      { description: 'one of rolling-restart, scale, redis-flush, database-reset, database-restore' },
    ),
    /** Key under kubernetes.deployments; rolling-restart and scale need one. */
    target: Type.Optional(Identifier),
    risk: RiskLevel,
    /** Largest replica count a scale step accepts. */
    maxReplicas: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    /** Check IDs run after the step. */
    verify: Type.Array(Identifier),
  },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    temporal: Type.Object(
      {
        address: Type.String({ pattern: '^[^\\s:]+:[0-9]+$', description: 'host:port' }),
        namespace: Type.String({ minLength: 1 }),
        taskQueue: Type.String({ minLength: 1 }),
        uiUrl: HttpUrl,
      },
      { additionalProperties: false },
    ),
    api: Type.Object(
      {
        port: Type.Integer({ minimum: 0, maximum: 65535 }),
        host: Type.String({ minLength: 1 }),
        publicUrl: HttpUrl,
        bodyLimitBytes: Type.Integer({ minimum: 1024, maximum: 1_048_576 }),
      },
      { additionalProperties: false },
    ),
    /** Engineers allowed to send commands. Tokens in BARQ_API_TOKEN are accepted as well. */
    auth: Type.Optional(
      Type.Object(
        { engineers: Type.Array(Engineer), trustedProxy: Type.Optional(TrustedProxy) },
        { additionalProperties: false },
      ),
    ),
    devInbox: Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false }),
    service: Type.Object({ name: Identifier, baseUrl: HttpUrl }, { additionalProperties: false }),
    checks: Type.Array(
      Type.Union([HttpCheck, RedisCheck, CommandCheck], {
        description: 'an http, redis or command check with the keys shown in config/barq.yaml',
      }),
      { minItems: 1 },
    ),
    /** Absolute paths that command checks may run. The loader rejects a command check whose executable is not listed. */
    commandAllowlist: Type.Optional(Type.Array(AbsolutePath)),
    redis: Type.Object(
      { url: Type.String({ pattern: '^rediss?://', description: 'a redis:// or rediss:// URL' }) },
      { additionalProperties: false },
    ),
    /** The Flowable REST app. Its user and password come from FLOWABLE_USER and FLOWABLE_PASSWORD. */
    flowable: Type.Object({ baseUrl: HttpUrl, timeout: Duration }, { additionalProperties: false }),
    /** The SQL Server database of the runbook. Its connection string comes from BARQ_DB_URL. */
    database: Type.Object(
      {
        name: Type.String({
          pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$',
          description: 'a database name of a letter or _ followed by up to 127 letters, digits or _',
        }),
        backupPath: Type.String({
          pattern: '^(/|[A-Za-z]:\\\\|\\\\\\\\[^\\\\]+\\\\[^\\\\]+)[^\\u0000-\\u001f\\u007f]*$',
          description: 'an absolute path such as /var/opt/mssql/backup/BARQ_DB.bak, D:\\backup\\BARQ_DB.bak or \\\\server\\share\\BARQ_DB.bak',
        }),
        /** Connect and query timeout. The restore and DBCC CHECKDB get a longer one. */
        timeout: Duration,
      },
      { additionalProperties: false },
    ),
    /** People who can be on call, with their channels. */
    people: Type.Optional(Type.Array(PersonSchema)),
    contacts: Type.Array(ContactSchema, { minItems: 1 }),
    /** Rotations that `rotation` contacts page through. */
    oncall: Type.Optional(OncallSection),
    providers: Type.Optional(ProvidersSchema),
    chat: ChatSchema,
    delivery: DeliverySchema,
    statusPage: Type.Object(
      {
        webhook: Type.Union([Type.Literal('dev-inbox'), HttpUrl, Type.Literal('none')], { description: 'dev-inbox, none or an http(s) URL' }),
        /** Heading of the public page served at /status. */
        title: Type.String({ minLength: 1 }),
        /** Public names of the services, by internal service name; the page lists these. */
        services: Type.Record(Type.String({ minLength: 1 }), Type.String({ minLength: 1 }), {
          description: 'a mapping from service name to its public name',
        }),
        /** Atlassian Statuspage, mirrored when set; the API key comes from STATUSPAGE_API_KEY. */
        statuspage: Type.Optional(
          Type.Object(
            {
              apiUrl: HttpUrl,
              pageId: Type.String({ pattern: '^[a-z0-9]{1,64}$', description: 'a Statuspage page ID' }),
              /** Statuspage component ID by service name. */
              components: Type.Record(Type.String({ minLength: 1 }), Type.String({ pattern: '^[a-z0-9]{1,64}$' })),
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
    alerts: AlertsSection,
    maintenance: MaintenanceSection,
    tasks: Type.Array(Task, { minItems: 1 }),
    severities: Type.Object(
      { P0: SeverityPolicy, P1: SeverityPolicy, P2: SeverityPolicy, P3: SeverityPolicy },
      { additionalProperties: false },
    ),
    /** The cluster that runs BARQ, for logs, metrics, rollouts, restarts and scaling. */
    kubernetes: Type.Optional(KubernetesSection),
    /** Recovery steps engineers can request on an incident. */
    recovery: Type.Optional(
      Type.Object(
        {
          /** Steps of this risk or higher run only after a second engineer approves them. */
          approvalFrom: RiskLevel,
          approvalTimeout: Duration,
          approvalEscalation: Type.Array(Identifier, { minItems: 1 }),
          steps: Type.Array(RecoveryStep),
        },
        { additionalProperties: false },
      ),
    ),
    followUp: Type.Object(
      {
        reportDue: Duration,
        postMortemDue: Duration,
        reminderBefore: Duration,
        closeAfter: Duration,
        stakeholders: Type.Array(Identifier),
        escalateTo: Type.Array(Identifier),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
export type CheckConfig = Config['checks'][number];
export type TaskConfig = Config['tasks'][number];
export type RecoveryStepConfig = NonNullable<Config['recovery']>['steps'][number];
