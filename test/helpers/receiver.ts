import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as a loopback receiver saw it. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** When the request arrived, by this process's clock. */
  receivedAtMs: number;
}

export interface ReceiverReply {
  status: number;
  body?: unknown;
}

/**
 * A real HTTP server on 127.0.0.1 standing in for a pager or a BARQ service.
 * `respond` chooses each reply; the default is 200 with `{}`.
 */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  respond: (request: ReceivedRequest, index: number) => ReceiverReply = () => ({ status: 200, body: {} });
  private server?: Server;

  get url(): string {
    const address = this.server?.address() as AddressInfo | null;
    if (address === null || address === undefined) throw new Error('receiver is not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  /** Listens on `port`, or on a free one; a restarted receiver passes its old port. */
  async start(port = 0): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const received: ReceivedRequest = {
          method: request.method ?? '',
          path: request.url ?? '',
          headers: request.headers,
          body: text === '' ? undefined : safeJson(text),
          receivedAtMs: Date.now(),
        };
        const index = this.requests.push(received) - 1;
        const reply = this.respond(received, index);
        response.writeHead(reply.status, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify(reply.body ?? {}));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    // Connections kept alive by clients would otherwise hold the port open.
    server?.closeAllConnections();
    await new Promise<void>((resolve) => {
      if (server === undefined) resolve();
      else server.close(() => resolve());
    });
  }

  /** Requests whose path starts with `prefix`. */
  on(prefix: string): ReceivedRequest[] {
    return this.requests.filter((request) => request.path.startsWith(prefix));
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
