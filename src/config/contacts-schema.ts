import { Type, type Static } from '@sinclair/typebox';

import { Duration, HttpUrl, Identifier } from './common-schema.js';


const EnvName = Type.String({
  pattern: '^[A-Z][A-Z0-9_]{0,127}$',
  description: 'the name of an environment variable, such as SLACK_WEBHOOK_URL',
});

/**
 * One way to reach a contact. Secrets (webhook URLs with tokens, routing
 * keys, signing keys) are named by environment variable, never written here.
 */
export const ChannelSchema = Type.Union(
  [
    Type.Object({ kind: Type.Literal('dev-inbox') }, { additionalProperties: false }),
    Type.Object(
      {
        kind: Type.Literal('webhook'),
        url: HttpUrl,
        /** Signs the body with HMAC-SHA256 (docs/webhook-signatures.md). */
        secretEnv: Type.Optional(EnvName),
        /** The key being retired during a rotation; both signatures are sent. */
        previousSecretEnv: Type.Optional(EnvName),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        kind: Type.Literal('slack'),
        /** A channel ID, a #channel name or a member ID (a direct message), posted to with SLACK_BOT_TOKEN. */
        channel: Type.String({ pattern: '^(#[a-z0-9_-]{1,80}|[CDGU][A-Z0-9]{2,20})$', description: 'a #channel name or a Slack channel, group or user ID' }),
      },
      { additionalProperties: false },
    ),
    Type.Object({ kind: Type.Literal('slack-webhook'), urlEnv: EnvName }, { additionalProperties: false }),
    Type.Object({ kind: Type.Literal('teams'), urlEnv: EnvName }, { additionalProperties: false }),
    Type.Object({ kind: Type.Literal('pagerduty'), routingKeyEnv: EnvName }, { additionalProperties: false }),
    Type.Object(
      {
        kind: Type.Literal('sms'),
        phone: Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$', description: 'a phone number in E.164 form, such as +966501234567' }),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'a channel: dev-inbox, webhook, slack, slack-webhook, teams, pagerduty or sms, with its keys (see config/barq.yaml)' },
);

/** A person who can be on call; rotations name people by ID. */
export const PersonSchema = Type.Object(
  {
    id: Identifier,
    name: Type.String({ minLength: 1 }),
    /** Tried in order: when one keeps failing, the next is used. */
    channels: Type.Array(ChannelSchema, { minItems: 1 }),
    /** Slack member ID, used to invite the person to incident channels. */
    slackUser: Type.Optional(Type.String({ pattern: '^[UW][A-Z0-9]{2,20}$', description: 'a Slack member ID such as U024BE7LH' })),
  },
  { additionalProperties: false },
);

/**
 * Whom workflows page, by ID: fixed channels, the person on call in a
 * rotation, or (the short form) one webhook or the development inbox.
 */
export const ContactSchema = Type.Object(
  {
    id: Identifier,
    name: Type.String({ minLength: 1 }),
    webhook: Type.Optional(Type.Union([Type.Literal('dev-inbox'), HttpUrl], { description: 'dev-inbox or an http(s) URL' })),
    channels: Type.Optional(Type.Array(ChannelSchema, { minItems: 1 })),
    /** An `oncall.rotations` ID: the page goes to the person on call at that moment, through their channels. */
    rotation: Type.Optional(Identifier),
    /** A person ID: the page goes through that person's channels. */
    person: Type.Optional(Identifier),
  },
  { additionalProperties: false },
);

/** Provider API addresses. Their secrets come from the environment. */
export const ProvidersSchema = Type.Object(
  {
    /** Slack Web API; the bot token comes from SLACK_BOT_TOKEN. */
    slack: Type.Optional(Type.Object({ apiUrl: HttpUrl }, { additionalProperties: false })),
    /** PagerDuty Events API v2. */
    pagerduty: Type.Optional(Type.Object({ eventsUrl: HttpUrl }, { additionalProperties: false })),
    /** Twilio Messages API; TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN come from the environment. */
    twilio: Type.Optional(
      Type.Object(
        {
          apiUrl: HttpUrl,
          from: Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$', description: 'the sending number in E.164 form' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** Chat rooms of the runbook, and the incident channel. */
export const ChatSchema = Type.Object(
  {
    /** `dev-inbox` posts to the development inbox; `slack` uses the Slack Web API; `none` posts nothing. */
    provider: Type.Union([Type.Literal('dev-inbox'), Type.Literal('slack'), Type.Literal('none')], {
      description: 'dev-inbox, slack or none',
    }),
    incidentResponse: Type.String({ minLength: 1 }),
    statusUpdates: Type.String({ minLength: 1 }),
    engineering: Type.String({ minLength: 1 }),
    /** Severities that get their own channel, named from the date, the service and the incident ID. */
    incidentChannelFor: Type.Array(Type.Union([Type.Literal('P0'), Type.Literal('P1'), Type.Literal('P2'), Type.Literal('P3')])),
  },
  { additionalProperties: false },
);

/** Retry and fallback settings of page delivery. */
export const DeliverySchema = Type.Object(
  {
    /** Attempts on one channel before the next channel is tried. */
    attemptsPerChannel: Type.Integer({ minimum: 1, maximum: 10 }),
    /** Wait after all channels failed before the first is tried again. */
    roundPause: Duration,
    /** Time after which a page that never got through is given up and flagged. */
    giveUpAfter: Duration,
  },
  { additionalProperties: false },
);

export type ChannelConfig = Static<typeof ChannelSchema>;
export type PersonConfig = Static<typeof PersonSchema>;
export type ContactConfig = Static<typeof ContactSchema>;
export type ChatConfig = Static<typeof ChatSchema>;
export type DeliveryConfig = Static<typeof DeliverySchema>;
