/**
 * OpenAPI 3.1 document built from the route registry: each route file registers its method, path, valibot
 * request schemas and response schemas next to its handler; the handler validates with the same schemas.
 */
import * as v from 'valibot';
import { toJsonSchema } from '@valibot/to-json-schema';
import { AppError } from '../lib/errors.ts';
import { ErrorEnvelope } from './schemas.ts';

type AnySchema = v.GenericSchema;
type ObjectSchema = v.ObjectSchema<v.ObjectEntries, v.ErrorMessage<v.ObjectIssue> | undefined>;

export interface RouteDoc {
  method: 'get' | 'put' | 'post' | 'patch' | 'delete';
  path: string;
  summary: string;
  tag: string;
  auth?: boolean;
  /** Security requirements other than the API key or session of `auth` (OpenAPI: `{}` in the list = none needed). */
  security?: Record<string, string[]>[];
  pathParams?: Record<string, string>;
  query?: ObjectSchema;
  body?: { contentType: string; schema?: AnySchema; description?: string };
  responses: Record<number, { description: string; schema?: AnySchema; contentType?: string }>;
}

const registry: RouteDoc[] = [];

export function doc(r: RouteDoc): void {
  if (!registry.some((x) => x.method === r.method && x.path === r.path)) registry.push(r);
}

/** Validates input against a schema; failures become 400 VALIDATION_FAILED through the one error handler. */
export function parse<S extends AnySchema>(schema: S, input: unknown): v.InferOutput<S> {
  const r = v.safeParse(schema, input);
  if (r.success) return r.output;
  const issues = r.issues.map((i) => ({ path: v.getDotPath(i) ?? '', message: i.message }));
  const first = issues[0];
  throw new AppError('VALIDATION_FAILED', first.path ? `${first.path}: ${first.message}` : first.message, { issues });
}

const json = (s: AnySchema, typeMode: 'input' | 'output') => toJsonSchema(s, { errorMode: 'ignore', typeMode }) as Record<string, unknown>;

type PipeItem = { type: string; options?: readonly unknown[]; requirement?: unknown };

/**
 * A query parameter's schema. The JSON Schema converter stops at a transform, so what follows it in the pipe
 * (the allowed values after case folding, the bounds of a number given as text) would be lost: they are read
 * from the pipe here, so the document states what the server accepts.
 */
function queryParamSchema(s: AnySchema): Record<string, unknown> {
  const base = json(s, 'input');
  const opt = s as AnySchema & { type: string; wrapped?: AnySchema; default?: unknown };
  const inner = (opt.type === 'optional' ? opt.wrapped! : s) as AnySchema & { pipe?: readonly PipeItem[] };
  const pipe = inner.pipe ?? [];
  const at = pipe.findIndex((p) => p.type === 'transform');
  if (at < 0) return base;
  const after = pipe.slice(at + 1);
  const dflt = opt.type === 'optional' ? opt.default : undefined;
  const picklist = after.find((p) => p.type === 'picklist');
  if (picklist) return { type: 'string', enum: [...picklist.options!], description: 'case-insensitive', ...(dflt !== undefined ? { default: dflt } : {}) };
  const min = after.find((p) => p.type === 'min_value')?.requirement;
  const max = after.find((p) => p.type === 'max_value')?.requirement;
  if (typeof min === 'number' || typeof max === 'number') {
    return { type: 'integer', ...(typeof min === 'number' ? { minimum: min } : {}), ...(typeof max === 'number' ? { maximum: max } : {}), ...(dflt !== undefined ? { default: Number(dflt) } : {}) };
  }
  return base;
}

const COMMON_ERRORS: Record<number, string> = {
  400: 'Bad input (VALIDATION_FAILED)',
  401: 'Missing, unknown, revoked or rotated API key (UNAUTHORIZED)',
  403: 'The key belongs to another tenant (FORBIDDEN) or CSRF check failed',
  429: 'Rate limited (RATE_LIMITED); see Retry-After',
};

/** A JSON body's schema, each property read as a query parameter's is (the values allowed after a transform). */
function bodySchema(s: AnySchema): Record<string, unknown> {
  const base = json(s, 'input');
  const entries = (s as AnySchema & { entries?: Record<string, AnySchema> }).entries;
  const props = base.properties as Record<string, unknown> | undefined;
  if (!entries || !props) return base;
  for (const [k, e] of Object.entries(entries)) {
    const { $schema: _, ...prop } = queryParamSchema(e);
    props[k] = prop;
  }
  return base;
}

export function buildOpenApi(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of registry) {
    const parameters: unknown[] = [];
    for (const [name, description] of Object.entries(r.pathParams ?? {})) {
      parameters.push({ name, in: 'path', required: true, description, schema: { type: 'string' } });
    }
    if (r.query) {
      for (const [name, s] of Object.entries(r.query.entries)) {
        const optional = s.type === 'optional';
        const schema = queryParamSchema(s as AnySchema);
        parameters.push({ name, in: 'query', required: !optional, schema });
      }
    }
    const responses: Record<string, unknown> = {};
    // Auth errors are common to authenticated routes only; a public route lists its own (e.g. sign-in's 401/429).
    const common = Object.entries(COMMON_ERRORS).filter(([k]) => r.auth || !['401', '403', '429'].includes(k));
    const all = { ...Object.fromEntries(common.map(([k, d]) => [k, { description: d }])), ...r.responses };
    for (const [status, resp] of Object.entries(all) as [string, { description: string; schema?: AnySchema; contentType?: string }][]) {
      const isError = Number(status) >= 400;
      const schema = resp.schema ?? (isError ? ErrorEnvelope : undefined);
      responses[status] = {
        description: resp.description,
        ...(schema
          ? { content: { [resp.contentType ?? 'application/json']: { schema: json(schema, 'output') } } }
          : resp.contentType
            ? { content: { [resp.contentType]: { schema: { type: 'string' } } } }
            : {}),
      };
    }
    const op: Record<string, unknown> = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method}${r.path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, ch: string | undefined) => (ch ? ch.toUpperCase() : ''))}`,
      parameters,
      responses,
      security: r.security ?? (r.auth ? [{ ApiKey: [] }, { Session: [] }] : []),
    };
    if (r.body) {
      op.requestBody = {
        required: true,
        description: r.body.description,
        content: { [r.body.contentType]: { schema: r.body.schema ? bodySchema(r.body.schema) : { type: 'string', format: 'binary' } } },
      };
    }
    (paths[r.path] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'findata API',
      version: '1.0.0',
      description:
        'Loan portfolio files in, clean warehouse out. Contract: shared/spec/api.md and loan-files.md. Every non-2xx ' +
        'answer has the body {"error": {"code", "message"}}, also those of the HTTP layer on any path: 431 ' +
        'HEADERS_TOO_LARGE (request headers over 16 KiB), 408 REQUEST_TIMEOUT (headers not received within 60 s), 400 ' +
        'BAD_REQUEST (not HTTP, a backslash in the path, an invalid Host).',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        ApiKey: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'Api-Key sk_live_<48 lowercase hex>' },
        Session: { type: 'apiKey', in: 'cookie', name: 'findata_session', description: 'Web app session (POST /api/session)' },
        MetricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN of the server, for GET /metrics when it is set' },
      },
    },
    paths,
  };
}
