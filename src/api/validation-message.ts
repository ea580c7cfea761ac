import type { FastifySchemaValidationError } from 'fastify';

/** A schema failure as the API reports it: the field's dotted path and what was wrong. */
export interface ValidationProblem {
  field: string;
  reason: string;
}

/**
 * Turns Ajv's first error into a field path and a sentence that states what
 * was expected. `context` is the part of the request (body, params,
 * headers, querystring) the schema checked.
 */
export function describeValidationError(context: string, error: FastifySchemaValidationError): ValidationProblem {
  const path = [context, ...error.instancePath.split('/').filter((part) => part !== '')];
  const params = error.params;

  switch (error.keyword) {
    case 'required':
      return { field: [...path, String(params['missingProperty'])].join('.'), reason: 'is missing' };
    case 'additionalProperties':
      return { field: [...path, String(params['additionalProperty'])].join('.'), reason: 'is not a known field' };
    case 'const':
      return { field: path.join('.'), reason: `must be ${JSON.stringify(params['allowedValue'])}` };
    case 'enum':
      return { field: path.join('.'), reason: `must be one of ${JSON.stringify(params['allowedValues'])}` };
    case 'minItems':
      return { field: path.join('.'), reason: `must have at least ${String(params['limit'])} item(s)` };
    case 'maxItems':
      return { field: path.join('.'), reason: `must have at most ${String(params['limit'])} item(s)` };
    case 'minLength':
      return { field: path.join('.'), reason: `must have at least ${String(params['limit'])} character(s)` };
    case 'maxLength':
      return { field: path.join('.'), reason: `must have at most ${String(params['limit'])} character(s)` };
    case 'pattern':
      return { field: path.join('.'), reason: `must match ${String(params['pattern'])}` };
    case 'type':
      return { field: path.join('.'), reason: `must be of type ${String(params['type'])}` };
    default:
      return { field: path.join('.'), reason: error.message ?? 'is invalid' };
  }
}
