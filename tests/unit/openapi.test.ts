/**
 * /api/openapi.json says what the server does: clients generated from it validate responses and fill in query
 * parameters from it. Built in-process from the route registry; no service involved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as v from 'valibot';
import '../../api/app.ts'; // registers every route's document
import { buildOpenApi } from '../../api/openapi.ts';
import { ErrorsQuery, StartSyncBody, SyncLogsQuery, UpdateSyncConfigBody } from '../../api/schemas.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const doc = buildOpenApi() as any;
const param = (path: string, name: string) => doc.paths[path].get.parameters.find((p: { name: string }) => p.name === name).schema;

test('a profile column does not require mean and sum, which only int, money and percent columns have', () => {
  const path = Object.keys(doc.paths).find((k) => k.startsWith('/api/profiling'))!;
  const column = doc.paths[path].get.responses['200'].content['application/json'].schema.properties.columns.items;
  assert.ok(!column.required.includes('mean') && !column.required.includes('sum'), `required: ${column.required}`);
  assert.ok(column.required.includes('min') && column.required.includes('max'));
  for (const k of ['mean', 'sum']) assert.deepEqual(column.properties[k], { anyOf: [{ type: 'string' }, { type: 'null' }] });
});

test('limit and offset are documented as integers with the bounds the server enforces', () => {
  const limit = param('/api/sync/logs/', 'limit');
  assert.deepEqual(limit, { type: 'integer', minimum: 1, maximum: 1000, default: 50 });
  assert.deepEqual(param('/api/sync/logs/{sync_id}/errors/', 'offset'), { type: 'integer', minimum: 0, maximum: 10_000_000, default: 0 });
  assert.ok(v.safeParse(SyncLogsQuery, { limit: String(limit.maximum) }).success);
  assert.ok(!v.safeParse(SyncLogsQuery, { limit: String(limit.maximum + 1) }).success);
  assert.ok(!v.safeParse(SyncLogsQuery, { limit: String(limit.minimum - 1) }).success);
});

test('loan_type, status, file_type and code list their allowed values, each of which the server accepts', () => {
  const cases: [string, string, v.GenericSchema][] = [
    ['/api/sync/logs/', 'loan_type', SyncLogsQuery],
    ['/api/sync/logs/', 'status', SyncLogsQuery],
    ['/api/sync/logs/{sync_id}/errors/', 'file_type', ErrorsQuery],
    ['/api/sync/logs/{sync_id}/errors/', 'code', ErrorsQuery],
  ];
  for (const [path, name, schema] of cases) {
    const values: string[] = param(path, name).enum;
    assert.ok(Array.isArray(values) && values.length >= 2, `${name}: enum ${JSON.stringify(values)}`);
    for (const value of values) assert.ok(v.safeParse(schema, { [name]: value }).success, `${name}=${value}`);
    assert.ok(!v.safeParse(schema, { [name]: 'NOT_A_VALUE' }).success, `${name}=NOT_A_VALUE`);
  }
});

test('JSON bodies document what the server accepts: loan_type of POST /api/sync/ lists its values, interval_seconds its bounds', () => {
  const body = (path: string, method: string) => doc.paths[path][method].requestBody.content['application/json'].schema;
  const start = body('/api/sync/', 'post');
  assert.deepEqual(start.properties.loan_type, { type: 'string', enum: ['RETAIL', 'COMMERCIAL'], description: 'case-insensitive' });
  assert.deepEqual(start.required, ['loan_type']);
  for (const value of start.properties.loan_type.enum) assert.ok(v.safeParse(StartSyncBody, { loan_type: value }).success, value);
  assert.ok(!v.safeParse(StartSyncBody, { loan_type: 'NOT_A_VALUE' }).success);
  const patchPath = Object.keys(doc.paths).find((k) => k.startsWith('/api/sync/configs/{') && doc.paths[k].patch)!;
  const interval = body(patchPath, 'patch').properties.interval_seconds;
  assert.deepEqual([interval.type, interval.minimum, interval.maximum], ['integer', 5, 86_400]);
  assert.ok(v.safeParse(UpdateSyncConfigBody, { interval_seconds: interval.maximum }).success);
  assert.ok(!v.safeParse(UpdateSyncConfigBody, { interval_seconds: interval.maximum + 1 }).success);
  assert.equal(JSON.stringify(start).indexOf('$schema', 1), JSON.stringify(start).lastIndexOf('$schema'), 'one $schema, at the top');
});

test('GET /metrics documents its optional bearer token (METRICS_TOKEN) and its 401; the API key routes keep theirs', () => {
  const op = doc.paths['/metrics'].get;
  assert.deepEqual(op.security, [{}, { MetricsToken: [] }]);
  assert.deepEqual(doc.components.securitySchemes.MetricsToken, { type: 'http', scheme: 'bearer', description: doc.components.securitySchemes.MetricsToken.description });
  assert.ok(op.responses['401']);
  assert.deepEqual(doc.paths['/api/sync/logs/'].get.security, [{ ApiKey: [] }, { Session: [] }]);
  assert.deepEqual(doc.paths['/api/health'].get.security, []);
});
