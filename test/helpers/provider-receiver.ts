import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as a provider stand-in saw it. */
export interface ProviderRequest {
  method: string;
  /** Path with query string. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The body exactly as received, for signature checks. */
  rawBody: string;
  /** JSON bodies parsed, form bodies as an object of strings, anything else as text. */
  body: unknown;
}

export interface ProviderReply {
  status: number;
  headers?: Record<string, string>;
  /** A string is sent as text/plain, anything else as JSON. */
  body?: unknown;
}

/**
 * A real HTTP server on 127.0.0.1 standing in for Slack, Teams, PagerDuty,
 * Twilio or a webhook receiver. Unlike `Receiver` it keeps the raw body,
 * parses form bodies and lets a reply set headers and a text body.
 * `respond` chooses each reply. The default is 200 with `{}`.
 */
export class ProviderReceiver {
  readonly requests: ProviderRequest[] = [];
  respond: (request: ProviderRequest, index: number) => ProviderReply = () => ({ status: 200, body: {} });
  private server?: Server;

  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (address === null || address === undefined) throw new Error('provider receiver is not listening, so it has no URL yet. Call start() first.');
    return `http://127.0.0.1:${address.port}`;
  }

  /** The last request received; fails the test when there was none. */
  get last(): ProviderRequest {
    const request = this.requests.at(-1);
    if (request === undefined) throw new Error('provider receiver has received no request');
    return request;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const received: ProviderRequest = {
          method: request.method ?? '',
          path: request.url ?? '',
          headers: request.headers,
          rawBody,
          body: parseBody(rawBody, request.headers['content-type']),
        };
        const index = this.requests.push(received) - 1;
        const reply = this.respond(received, index);

        const isText = typeof reply.body === 'string';
        const contentType = isText ? 'text/plain; charset=utf-8' : 'application/json';
        response.writeHead(reply.status, { 'Content-Type': contentType, ...reply.headers });
        response.end(isText ? (reply.body as string) : JSON.stringify(reply.body ?? {}));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (this.server === undefined) resolve();
      else this.server.close(() => resolve());
    });
  }

  clear(): void {
    this.requests.length = 0;
  }
}

/**
 * Returns a loopback URL where nothing listens: a server takes a free port
 * and closes it again, so a request there is refused.
 */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (text === '') return undefined;
  if (contentType?.startsWith('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
