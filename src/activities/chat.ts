import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { AxiosInstance } from 'axios';

import type { Config } from '../config/schema.js';
import type { ChatRoom, PageRequest } from '../shared/incident.js';
import { onCallAt } from './oncall.js';
import { chatText, incidentLinks, pageTitle } from './page-text.js';
import { translateDeliveryError } from './providers/delivery-errors.js';
import type { OutgoingMessage } from './providers/message.js';
import {
  createSlackChannel,
  findSlackChannelByName,
  incidentChannelName,
  inviteToSlackChannel,
  postSlackMessage,
  type SlackApiTarget,
} from './providers/slack.js';

export interface ChatDeps {
  config: Config;
  http: AxiosInstance;
  devInboxUrl: string;
  /** Defaults to `process.env`, read at each call. */
  env?: NodeJS.ProcessEnv;
}

/** A post about the incident. The text fields are those of a page, so the post reads like one. */
export interface ChatPostRequest extends PageRequest {
  room: ChatRoom;
  /** Channel ID from `openIncidentChannel`, for the `incident-channel` room. */
  channelId?: string;
}

export interface ChatPostResult {
  /** False when `chat.provider` is `none`. */
  posted: boolean;
  /** Destination of the post: a #room name or a channel ID. */
  destination?: string;
}

export interface OpenChannelRequest extends PageRequest {
  declaredAt: string;
  /** Contacts to invite: their people's `slackUser`, and the person on call for rotations. */
  responders: string[];
}

export interface OpenChannelResult {
  opened: boolean;
  channelId?: string;
  name?: string;
  invited?: number;
}

/**
 * Posts to one of the runbook's rooms (`chat.incidentResponse` and so on) or
 * to the incident's channel, through `chat.provider`.
 */
export async function postChatMessage(deps: ChatDeps, request: ChatPostRequest): Promise<ChatPostResult> {
  const { chat } = deps.config;
  if (chat.provider === 'none') return { posted: false };
  const destination = destinationOf(deps.config, request);
  const message = chatMessage(deps.config, request, `${request.incidentId}/${request.runId}/${request.step}/${request.room}`);

  if (chat.provider === 'dev-inbox') {
    await postToInbox(deps, request.room, destination, message);
  } else {
    await postSlackMessage(deps.http, slackTarget(deps), destination, message);
  }
  log.info('chat message posted', { incidentId: request.incidentId, room: request.room, step: request.step });
  return { posted: true, destination };
}

/**
 * Opens the incident's channel, named from the declaration date, the service
 * and the incident ID, invites the responders who have a Slack member ID and
 * posts the first message. A channel left by an earlier attempt is reused.
 */
export async function openIncidentChannel(deps: ChatDeps, request: OpenChannelRequest): Promise<OpenChannelResult> {
  const { chat } = deps.config;
  if (chat.provider === 'none') return { opened: false };
  const name = incidentChannelName(new Date(request.declaredAt), request.service, request.incidentId);
  const message = chatMessage(deps.config, request, `${request.incidentId}/${request.runId}/${request.step}/channel`);

  if (chat.provider === 'dev-inbox') {
    await postToInbox(deps, 'incident-channel', `#${name}`, message);
    return { opened: true, channelId: `#${name}`, name, invited: 0 };
  }

  const target = slackTarget(deps);
  const created = await createSlackChannel(deps.http, target, name);
  const channelId = created.outcome === 'created' ? created.channelId : await findSlackChannelByName(deps.http, target, name);
  if (channelId === undefined) {
    throw ApplicationFailure.create({
      type: 'DeliveryUnavailable',
      nonRetryable: false,
      message: `Slack reported channel #${name} as taken but did not list it`,
    });
  }
  const users = slackUsersOf(deps.config, request.responders);
  await inviteToSlackChannel(deps.http, target, channelId, users);
  await postSlackMessage(deps.http, target, channelId, message);
  log.info('incident channel opened', { incidentId: request.incidentId, channelName: name, invited: users.length });
  return { opened: true, channelId, name, invited: users.length };
}

/** A post about something other than an incident, such as a maintenance window's reminder. */
export interface ChatNotice {
  room: Exclude<ChatRoom, 'incident-channel'>;
  /** Subject of the notice (a maintenance window ID); the links point at it. */
  subjectId: string;
  linkPath: string;
  idempotencyKey: string;
  title: string;
  text: string;
}

/** Posts a notice to one of the runbook's rooms through `chat.provider`. */
export async function postChatNotice(deps: ChatDeps, notice: ChatNotice): Promise<ChatPostResult> {
  const { config } = deps;
  if (config.chat.provider === 'none') return { posted: false };
  const destination = destinationOf(config, { room: notice.room });
  const links = incidentLinks(config, notice.subjectId);
  const message: OutgoingMessage = {
    idempotencyKey: notice.idempotencyKey,
    incidentId: notice.subjectId,
    // Providers colour a message by severity; a notice takes the calmest.
    severity: 'P3',
    title: notice.title,
    text: notice.text,
    links: { ...links, incident: new URL(notice.linkPath, config.api.publicUrl).toString() },
    event: 'notify',
  };
  if (config.chat.provider === 'dev-inbox') {
    await postToInbox(deps, notice.room, destination, message);
  } else {
    await postSlackMessage(deps.http, slackTarget(deps), destination, message);
  }
  log.info('chat notice posted', { subjectId: notice.subjectId, room: notice.room });
  return { posted: true, destination };
}

function destinationOf(config: Config, request: Pick<ChatPostRequest, 'room' | 'channelId'>): string {
  switch (request.room) {
    case 'incident-response':
      return config.chat.incidentResponse;
    case 'status-updates':
      return config.chat.statusUpdates;
    case 'engineering':
      return config.chat.engineering;
    case 'incident-channel':
      if (request.channelId === undefined) {
        throw ApplicationFailure.create({ type: 'InvalidChatRequest', nonRetryable: true, message: 'a post to the incident channel needs its channelId' });
      }
      return request.channelId;
  }
}

function chatMessage(config: Config, request: PageRequest, idempotencyKey: string): OutgoingMessage {
  const links = incidentLinks(config, request.incidentId);
  return {
    idempotencyKey,
    incidentId: request.incidentId,
    severity: request.severity,
    title: pageTitle(request),
    text: chatText(request, links),
    links,
    event: 'notify',
  };
}

async function postToInbox(deps: ChatDeps, room: ChatRoom, destination: string, message: OutgoingMessage): Promise<void> {
  const url = new URL(`/dev/inbox/chat-${room}`, deps.devInboxUrl).toString();
  try {
    await deps.http.post(
      url,
      { ...message, room: destination, sentAt: new Date().toISOString() },
      { timeout: 10_000, headers: { 'Idempotency-Key': message.idempotencyKey, 'Content-Type': 'application/json' } },
    );
  } catch (error) {
    throw translateDeliveryError(error, 'development inbox');
  }
}

function slackTarget(deps: ChatDeps): SlackApiTarget {
  const token = (deps.env ?? process.env)['SLACK_BOT_TOKEN'];
  if (token === undefined || token === '') {
    throw ApplicationFailure.create({
      type: 'ConfigurationMissing',
      nonRetryable: true,
      message: 'chat.provider is slack but SLACK_BOT_TOKEN is not set in the worker environment',
    });
  }
  return { baseUrl: deps.config.providers?.slack?.apiUrl ?? 'https://slack.com/api', token };
}

/** Slack member IDs of the responders: people's `slackUser`, and members named in `slack` channels. */
function slackUsersOf(config: Config, contactIds: readonly string[]): string[] {
  const users = new Set<string>();
  const addPerson = (personId: string) => {
    const person = config.people?.find((candidate) => candidate.id === personId);
    if (person?.slackUser !== undefined) users.add(person.slackUser);
  };
  for (const contactId of contactIds) {
    const contact = config.contacts.find((candidate) => candidate.id === contactId);
    if (contact === undefined) continue;
    if (contact.person !== undefined) addPerson(contact.person);
    if (contact.rotation !== undefined) {
      const rotation = config.oncall?.rotations.find((candidate) => candidate.id === contact.rotation);
      if (rotation !== undefined) addPerson(onCallAt(rotation, new Date()).personId);
    }
    for (const channel of contact.channels ?? []) {
      if (channel.kind === 'slack' && /^[UW]/.test(channel.channel)) users.add(channel.channel);
    }
  }
  return [...users];
}
