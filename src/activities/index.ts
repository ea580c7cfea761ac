import type { AxiosInstance } from 'axios';

import type { Config } from '../config/schema.js';
import type { PageRequest } from '../shared/incident.js';
import { pingRedis, probeHttp, type CheckRequest } from './checks.js';
import { pageContact } from './paging.js';
import { publishStatusUpdate, type StatusUpdateRequest } from './status-page.js';

export interface ActivityDeps {
  config: Config;
  http: AxiosInstance;
  /** Base URL of the API that serves the development inbox, for `dev-inbox` contacts. */
  devInboxUrl: string;
}

/**
 * Creates the activities the worker registers. Workflows import only the
 * type, through `Activities`.
 */
export function createActivities(deps: ActivityDeps) {
  return {
    probeHttp: (request: CheckRequest) => probeHttp(deps, request),
    pingRedis: (request: CheckRequest) => pingRedis(deps, request),
    pageContact: (request: PageRequest) => pageContact(deps, request),
    publishStatusUpdate: (request: StatusUpdateRequest) => publishStatusUpdate(deps, request),
  };
}

export type Activities = ReturnType<typeof createActivities>;
