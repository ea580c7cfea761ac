import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildApp, type App } from '../../src/api/app.js';
import { API_ERRORS, type ApiErrorCode } from '../../src/api/errors.js';
import { testConfig } from '../helpers/config.js';

interface Operation {
  responses: Record<string, { description: string; content?: Record<string, { schema: { $ref?: string } }> }>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties: { code: { enum: string[] } } }> };
}

let app: App;
let doc: Document;

beforeAll(async () => {
  // The document needs no server; the lazy connection never connects.
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  // Integrations with their own credentials document their own 401 codes.
  const config = testConfig((draft) => {
    const { integrations } = draft.alerts;
    integrations.grafana!.auth = { kind: 'hmac', secretEnv: 'GRAFANA_SECRET', signatureHeader: 'X-Grafana-Alerting-Signature' };
    integrations.azureMonitor!.auth = { kind: 'basic', usernameEnv: 'AZURE_USER', passwordEnv: 'AZURE_PASSWORD' };
  });
  const env = { GRAFANA_SECRET: 'grafana-secret-0123456789', AZURE_USER: 'azure', AZURE_PASSWORD: 'azure-password-0123456789' };
  app = await buildApp({ config, client, tokens: [], env });
  const response = await app.inject({ method: 'GET', url: '/openapi.json' });
  expect(response.statusCode).toBe(200);
  doc = response.json();
});

afterAll(async () => {
  await app?.close();
});

/** Lists every documented error response: route, status and the codes its description names. */
function documentedErrors(): Array<{ route: string; status: number; codes: string[]; ref: string | undefined }> {
  return Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.entries(operations).flatMap(([method, operation]) =>
      Object.entries(operation.responses)
        .filter(([status]) => Number(status) >= 400 && path !== '/health/ready')
        .map(([status, response]) => ({
          route: `${method.toUpperCase()} ${path}`,
          status: Number(status),
          codes: [...response.description.matchAll(/\b([A-Z_]{4,}):/g)].map((match) => match[1]!),
          ref: response.content?.['application/json']?.schema.$ref,
        })),
    ),
  );
}

describe('openapi document', () => {
  it('is OpenAPI 3 with a route for every alert source', () => {
    expect(doc.openapi).toMatch(/^3\./);
    for (const source of ['alertmanager', 'grafana', 'azure-monitor', 'pagerduty', 'json']) {
      expect(doc.paths[`/webhooks/${source}`]?.['post']).toBeDefined();
    }
    expect(doc.paths['/maintenance-windows']?.['post']?.responses['201']).toBeDefined();
  });

  it('lists exactly the catalogue codes in the error body schema', () => {
    expect(doc.components.schemas['ApiError']!.properties.code.enum.sort()).toEqual(Object.keys(API_ERRORS).sort());
  });

  it('documents each error response with catalogue codes of its own status', () => {
    const errors = documentedErrors();

    expect(errors.length).toBeGreaterThan(50);
    for (const { route, status, codes, ref } of errors) {
      expect(ref, `${route} ${status}`).toBe('#/components/schemas/ApiError');
      expect(codes.length, `${route} ${status}`).toBeGreaterThan(0);
      for (const code of codes) {
        expect(API_ERRORS[code as ApiErrorCode]?.status, `${route} ${status} ${code}`).toBe(status);
      }
    }
  });

  it('documents every catalogue code on some route', () => {
    const documented = new Set(documentedErrors().flatMap((error) => error.codes));

    // ROUTE_NOT_FOUND is returned for paths that are not in the document at all.
    const missing = Object.keys(API_ERRORS).filter((code) => code !== 'ROUTE_NOT_FOUND' && !documented.has(code));

    expect(missing).toEqual([]);
  });

  it('documents 401 on every route that needs credentials', () => {
    const open = new Set(['/health/live', '/health/ready', '/status', '/status.json']);

    const without401 = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, operation]) => !open.has(path) && operation.responses['401'] === undefined)
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );

    expect(without401).toEqual([]);
  });
});
