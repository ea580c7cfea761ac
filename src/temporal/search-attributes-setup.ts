import proto from '@temporalio/proto';

const { IndexedValueType } = proto.temporal.api.enums.v1;

import { SearchAttributeType } from '@temporalio/common';

import { INCIDENT_SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes.js';

/** The part of a client or native connection this needs. */
interface OperatorConnection {
  operatorService: {
    listSearchAttributes(request: { namespace: string }): Promise<{ customAttributes?: Record<string, unknown> | null }>;
    addSearchAttributes(request: {
      namespace: string;
      searchAttributes: Record<string, proto.temporal.api.enums.v1.IndexedValueType>;
    }): Promise<unknown>;
  };
}

/**
 * Registers the incident search attributes where they are missing.
 * The dev server's `--search-attribute` flag is ignored for an existing
 * database file and the test server has no such flag, so both go through the
 * operator service. Returns the names it added.
 */
export async function registerSearchAttributes(connection: OperatorConnection, namespace: string): Promise<string[]> {
  const known = await listCustomAttributes(connection, namespace);
  const missing = INCIDENT_SEARCH_ATTRIBUTE_KEYS.filter((key) => !known.has(key.name));
  if (missing.length === 0) return [];

  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, indexedValueType(key.type)])),
  });
  return missing.map((key) => key.name);
}

/** gRPC status 12: the time-skipping test server does not implement listing. */
const UNIMPLEMENTED = 12;

async function listCustomAttributes(connection: OperatorConnection, namespace: string): Promise<Set<string>> {
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    return new Set(Object.keys(existing.customAttributes ?? {}));
  } catch (error) {
    if ((error as { code?: unknown }).code === UNIMPLEMENTED) return new Set();
    throw error;
  }
}

function indexedValueType(type: SearchAttributeType): proto.temporal.api.enums.v1.IndexedValueType {
  if (type === SearchAttributeType.BOOL) return IndexedValueType.INDEXED_VALUE_TYPE_BOOL;
  if (type === SearchAttributeType.KEYWORD) return IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  throw new Error(`no registration for search attribute type ${type}`);
}

/** Returns the `--search-attribute` flags of `temporal server start-dev` for the incident attributes. */
export function devServerSearchAttributeFlags(): string[] {
  return INCIDENT_SEARCH_ATTRIBUTE_KEYS.flatMap((key) => [
    '--search-attribute',
    `${key.name}=${key.type === SearchAttributeType.BOOL ? 'Bool' : 'Keyword'}`,
  ]);
}
