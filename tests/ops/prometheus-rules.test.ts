/**
 * Alert rules, their unit tests, the Prometheus config and the Grafana dashboards, checked for real:
 * promtool (Debian package `prometheus`) checks and unit-tests the rules and parses every dashboard query;
 * every metric and label name a PromQL expression uses must be declared in deploy/metrics.json, whose
 * findata section must match the metrics lib/metrics.ts registers; deploy/promql-expressions.json must be
 * up to date with deploy/extract-promql.ts.
 *
 *   node --import tsx --test tests/ops/*.test.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { createMetrics } from '../../lib/metrics.ts';
import {
  GRAFANA_VARIABLES,
  OUTPUT_FILE,
  allPanels,
  collectExpressions,
  dashboardFiles,
  readDashboard,
  renderExpressionsFile,
  scanPromql,
} from '../../deploy/extract-promql.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ALERTS = 'deploy/prometheus/alerts.yml';
const ALERTS_TEST = 'deploy/prometheus/alerts.test.yml';
const PROMETHEUS_YML = 'deploy/prometheus/prometheus.yml';

// ------------------------------------------------------------------ metrics ---

interface MetricSpec {
  type: 'counter' | 'gauge' | 'histogram' | 'summary';
  labels: string[];
}
interface MetricsFile {
  targetLabels: string[];
  sources: Record<string, { jobs: string[]; metrics: Record<string, MetricSpec> }>;
}
const metricsFile = JSON.parse(readFileSync(path.join(REPO, 'deploy/metrics.json'), 'utf8')) as MetricsFile;
const KNOWN = new Map<string, MetricSpec>();
for (const src of Object.values(metricsFile.sources)) for (const [name, spec] of Object.entries(src.metrics)) KNOWN.set(name, spec);

/** The declared metric behind a series name (histogram series carry _bucket/_sum/_count). */
function resolveMetric(series: string): { base: string; spec: MetricSpec; suffix: string } | null {
  const direct = KNOWN.get(series);
  if (direct) return { base: series, spec: direct, suffix: '' };
  const m = /^(.*)_(bucket|sum|count)$/.exec(series);
  if (m) {
    const spec = KNOWN.get(m[1]);
    if (spec && (spec.type === 'histogram' || spec.type === 'summary')) return { base: m[1], spec, suffix: m[2] };
  }
  return null;
}
function labelsOf(series: string): Set<string> {
  const r = resolveMetric(series);
  const labels = new Set([...metricsFile.targetLabels, ...(r?.spec.labels ?? [])]);
  if (r?.suffix === 'bucket') labels.add('le');
  return labels;
}

/** Problems with the names an expression uses: unknown metrics, labels a metric does not have. */
function nameProblems(expr: string): string[] {
  const names = scanPromql(expr);
  const problems: string[] = [];
  for (const m of names.metrics) if (!resolveMetric(m)) problems.push(`unknown metric ${m}`);
  for (const { metric, label } of names.matcherLabels) {
    if (!metric) continue;
    if (!labelsOf(metric).has(label)) problems.push(`${metric} has no label ${label}`);
  }
  const inExpr = new Set(metricsFile.targetLabels);
  for (const m of names.metrics) for (const l of labelsOf(m)) inExpr.add(l);
  for (const l of names.groupingLabels) if (!inExpr.has(l)) problems.push(`no metric of the expression has the label ${l} it groups/matches by`);
  return problems;
}

function promtool(): string | null {
  const r = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? 'promtool' : null;
}
const PROMTOOL_MISSING = 'promtool not installed (Debian package `prometheus`; CI installs it)';

function runPromtool(args: string[], cwd = REPO) {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

// -------------------------------------------------------------------- rules ---

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const alertRules = (parseYaml(readFileSync(path.join(REPO, ALERTS), 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> }).groups.flatMap((g) => g.rules);
const alertByName = new Map(alertRules.map((r) => [r.alert, r]));

interface UnitTests {
  rule_files: string[];
  tests: Array<{
    name: string;
    input_series: Array<{ series: string; values: string }>;
    alert_rule_test?: Array<{ eval_time: string; alertname: string; exp_alerts: Array<{ exp_labels?: Record<string, string> }> }>;
  }>;
}
const unitTests = parseYaml(readFileSync(path.join(REPO, ALERTS_TEST), 'utf8')) as UnitTests;

test('promtool check rules: deploy/prometheus/alerts.yml is valid', (t) => {
  if (!promtool()) return t.skip(PROMTOOL_MISSING);
  const r = runPromtool(['check', 'rules', ALERTS]);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, new RegExp(`SUCCESS: ${alertRules.length} rules found`));
});

test('promtool test rules: every alert fires on its bad series and stays quiet on the good ones', (t) => {
  if (!promtool()) return t.skip(PROMTOOL_MISSING);
  const r = runPromtool(['test', 'rules', ALERTS_TEST]);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /SUCCESS/);
});

test('promtool test rules fails when a threshold is loosened (the unit tests are not vacuous)', (t) => {
  if (!promtool()) return t.skip(PROMTOOL_MISSING);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'findata-rules-'));
  try {
    const original = readFileSync(path.join(REPO, ALERTS), 'utf8');
    writeFileSync(path.join(dir, 'alerts.test.yml'), readFileSync(path.join(REPO, ALERTS_TEST), 'utf8'));
    let mutated = 0;
    for (const rule of alertRules) {
      const m = /^(.*[^=!<>])> ?([0-9.]+)\s*$/s.exec(rule.expr.trim());
      if (!m) continue; // absent(...) / up == 0: no numeric threshold
      const loose = Number(m[2]) * 100 + 1;
      const doc = parseYaml(original) as { groups: Array<{ rules: Rule[] }> };
      const target = doc.groups.flatMap((g) => g.rules).find((r) => r.alert === rule.alert) as Rule;
      target.expr = `${m[1]}> ${loose}`;
      writeFileSync(path.join(dir, 'alerts.yml'), stringifyYaml(doc));
      const r = runPromtool(['test', 'rules', 'alerts.test.yml'], dir);
      assert.notEqual(r.status, 0, `${rule.alert}: unit tests still pass with a threshold of ${loose}`);
      assert.match(r.out, new RegExp(`alertname: ${rule.alert}`), `${rule.alert}: the failing case should be its own`);
      mutated++;
    }
    assert.ok(mutated >= 7, `only ${mutated} thresholds mutated`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('promtool check config: deploy/prometheus/prometheus.yml is valid (offline: DNS discovery is not resolved)', (t) => {
  if (!promtool()) return t.skip(PROMTOOL_MISSING);
  // promtool opens the files the config names: the compose secrets (/run/secrets/…) exist only in the container,
  // so each goes to a file of its own next to a copy of the config (and the alert rules it loads).
  const dir = mkdtempSync(path.join(os.tmpdir(), 'findata-promcfg-'));
  try {
    const secrets = new Set<string>();
    const config = readFileSync(PROMETHEUS_YML, 'utf8').replace(/\/run\/secrets\/([a-z_]+)/g, (_, name: string) => {
      secrets.add(name);
      return path.join(dir, name);
    });
    assert.ok(secrets.has('metrics_token'), 'the findata-app job reads the metrics token from its compose secret');
    for (const name of secrets) writeFileSync(path.join(dir, name), 'x'.repeat(64));
    writeFileSync(path.join(dir, 'prometheus.yml'), config);
    writeFileSync(path.join(dir, 'alerts.yml'), readFileSync(path.join(path.dirname(PROMETHEUS_YML), 'alerts.yml')));
    const r = runPromtool(['check', 'config', path.join(dir, 'prometheus.yml')]);
    assert.equal(r.status, 0, r.out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the alerts the issue asks for exist with their thresholds', () => {
  const expect = (name: string, pattern: RegExp) => {
    const r = alertByName.get(name);
    assert.ok(r, `missing alert ${name}`);
    assert.match(r.expr.replace(/\s+/g, ' ').trim(), pattern, name);
  };
  expect('FindataHttp5xxRateHigh', /http_requests_total\{[^}]*status=~"5\.\."[^}]*\}.*\/.*http_requests_total.*\) > 0\.05$/);
  expect('FindataHttpLatencyP95High', /^histogram_quantile\(0\.95, .*http_request_duration_seconds_bucket.*\) > 2$/);
  expect('FindataSyncFailureRateHigh', /sync_operations_total\{status="FAILED"\}.*\/.*sync_operations_total\[1h\].*\) > 0\.3$/);
  expect('FindataPostgresConnectionsHigh', /pg_stat_database_numbackends.*\/.*pg_settings_max_connections.*\) > 0\.85$/);
  expect('FindataRedisMemoryHigh', /redis_memory_used_bytes.*\/.*redis_memory_max_bytes.*\) > 0\.8$/);
  expect('FindataContainerCpuHigh', /container_cpu_usage_seconds_total.*\/.*container_spec_cpu_quota.*container_spec_cpu_period.*\) > 0\.8$/);
});

test('every alert has a severity, summary, description and a runbook link to its section in docs/OPERATIONS.md', () => {
  const md = readFileSync(path.join(REPO, 'docs/OPERATIONS.md'), 'utf8');
  const anchors = new Set(
    [...md.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
      m[1]
        .trim()
        .toLowerCase()
        .replace(/[^a-z0-9 _-]/g, '')
        .replace(/ /g, '-'),
    ),
  );
  for (const r of alertRules) {
    assert.ok(['critical', 'warning'].includes(r.labels?.severity ?? ''), `${r.alert}: severity`);
    assert.ok(r.annotations?.summary && r.annotations.description, `${r.alert}: summary/description`);
    const runbook = r.annotations?.runbook ?? '';
    assert.equal(runbook, `docs/OPERATIONS.md#${r.alert.toLowerCase()}`, `${r.alert}: runbook`);
    assert.ok(anchors.has(r.alert.toLowerCase()), `${r.alert}: no "### ${r.alert}" section in docs/OPERATIONS.md`);
    assert.ok(r.for, `${r.alert}: needs a for: duration (no alert on a single scrape)`);
  }
});

test('every alert has a unit test where it fires and one where it must not', () => {
  assert.deepEqual(unitTests.rule_files, ['alerts.yml']);
  const fires = new Set<string>();
  const quiet = new Set<string>();
  for (const t of unitTests.tests) {
    for (const a of t.alert_rule_test ?? []) (a.exp_alerts.length > 0 ? fires : quiet).add(a.alertname);
  }
  for (const r of alertRules) {
    assert.ok(fires.has(r.alert), `${r.alert}: no test case where it fires`);
    assert.ok(quiet.has(r.alert), `${r.alert}: no test case where it must stay quiet`);
  }
  const unknown = [...fires, ...quiet].filter((a) => !alertByName.has(a));
  assert.deepEqual(unknown, []);
});

test('alert unit tests feed series with the real metric names and labels (deploy/metrics.json)', () => {
  for (const t of unitTests.tests) {
    for (const s of t.input_series) {
      const problems = nameProblems(s.series);
      assert.deepEqual(problems, [], `${t.name}: ${s.series}`);
    }
  }
});

// ------------------------------------------------------------------ metrics ---

test('deploy/metrics.json lists exactly the application metrics lib/metrics.ts registers, with the same types and labels', async () => {
  const { registry } = createMetrics();
  const registered = new Map<string, { type: string; labels: string[] }>();
  for (const m of registry.getMetricsAsArray()) {
    const metric = m as unknown as { name: string; type: string; labelNames?: string[] };
    registered.set(metric.name, { type: String(metric.type), labels: [...(metric.labelNames ?? [])] });
  }
  const declared = metricsFile.sources.findata.metrics;
  for (const [name, spec] of Object.entries(declared)) {
    const r = registered.get(name);
    assert.ok(r, `${name} is in deploy/metrics.json but lib/metrics.ts does not register it`);
    assert.equal(r.type, spec.type, `${name}: type`);
    if (spec.labels.length > 0 || r.labels.length > 0) assert.deepEqual([...r.labels].sort(), [...spec.labels].sort(), `${name}: labels`);
  }
  const appOwn = [...registered.keys()].filter((n) => !/^(process_|nodejs_)/.test(n));
  assert.deepEqual(appOwn.filter((n) => !(n in declared)), [], 'application metrics missing from deploy/metrics.json');
  const buckets = (registry.getSingleMetric('http_request_duration_seconds') as unknown as { upperBounds?: number[] })?.upperBounds;
  if (buckets) assert.ok(buckets.includes(2), 'http_request_duration_seconds needs a 2 s bucket for the p95 > 2 s alert');
});

test('every PromQL expression (alerts, dashboard panels, dashboard variables) uses only known metric names and labels', () => {
  const problems: string[] = [];
  for (const e of collectExpressions()) {
    for (const p of nameProblems(e.query)) problems.push(`${e.id} (${e.name}): ${p}`);
  }
  assert.deepEqual(problems, []);
});

test('every dashboard query is valid PromQL (parsed by promtool as recording rules)', (t) => {
  if (!promtool()) return t.skip(PROMTOOL_MISSING);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'findata-promql-'));
  try {
    const expressions = collectExpressions();
    const rules = expressions.map((e, i) => ({ record: `findata:promql_check:${i}`, expr: e.query }));
    writeFileSync(path.join(dir, 'rules.yml'), stringifyYaml({ groups: [{ name: 'promql-check', rules }] }));
    const r = runPromtool(['check', 'rules', 'rules.yml'], dir);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, new RegExp(`SUCCESS: ${expressions.length} rules found`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('deploy/promql-expressions.json is up to date (node --import tsx deploy/extract-promql.ts)', () => {
  assert.equal(readFileSync(OUTPUT_FILE, 'utf8'), renderExpressionsFile(), 'regenerate with: node --import tsx deploy/extract-promql.ts');
  const doc = JSON.parse(readFileSync(OUTPUT_FILE, 'utf8')) as { expressions: Array<{ id: string; query: string }> };
  assert.ok(doc.expressions.length >= alertRules.length + 30);
  for (const e of doc.expressions) assert.doesNotMatch(e.query, /\$/, `${e.id}: unresolved Grafana variable`);
});

test('the PromQL scanner finds metrics, matcher labels and grouping labels', () => {
  const s = scanPromql('sum by (le, tenant) (rate(sync_duration_seconds_bucket{tenant=~"$tenant", loan_type!="x"}[$__rate_interval])) / on(tenant) group_left max(up{job="a"} offset 5m) > 1e3 and absent({__name__="foo_total"})');
  assert.deepEqual(s.metrics.sort(), ['foo_total', 'sync_duration_seconds_bucket', 'up']);
  assert.deepEqual(s.groupingLabels.sort(), ['le', 'tenant']);
  assert.deepEqual(
    s.matcherLabels.map((m) => `${m.metric}.${m.label}`),
    ['sync_duration_seconds_bucket.tenant', 'sync_duration_seconds_bucket.loan_type', 'up.job'],
  );
  assert.ok(s.functions.includes('sum') && s.functions.includes('rate') && s.functions.includes('absent'));
  assert.deepEqual(nameProblems('rate(sync_operations_total{tenantt="x"}[5m])'), ['sync_operations_total has no label tenantt']);
  assert.deepEqual(nameProblems('rate(sync_operation_total[5m])'), ['unknown metric sync_operation_total']);
  assert.deepEqual(nameProblems('sum by (le) (rate(sync_operations_total[5m]))'), ['no metric of the expression has the label le it groups/matches by']);
});

// --------------------------------------------------------------- dashboards ---

const dashboards = dashboardFiles().map((f) => ({ file: path.relative(REPO, f), d: readDashboard(f) }));

test('the three dashboards parse, have unique uids, a valid grid, and every panel queries the provisioned Prometheus datasource', () => {
  assert.deepEqual(dashboards.map((x) => path.basename(x.file)).sort(), ['findata-api.json', 'findata-infra.json', 'findata-sync.json']);
  const ds = parseYaml(readFileSync(path.join(REPO, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as {
    datasources: Array<{ uid: string; type: string }>;
  };
  const dsUid = ds.datasources[0].uid;
  assert.equal(new Set(dashboards.map((x) => x.d.uid)).size, dashboards.length);
  for (const { file, d } of dashboards) {
    assert.equal(`${d.uid}.json`, path.basename(file));
    const panels = allPanels(d) as Array<{
      id: number;
      type: string;
      title: string;
      gridPos: { x: number; y: number; w: number; h: number };
      datasource?: { uid: string };
      targets?: Array<{ expr?: string; datasource?: { uid: string } }>;
    }>;
    assert.ok(panels.length > 5, `${file}: too few panels`);
    assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, `${file}: duplicate panel ids`);
    for (const p of panels) {
      assert.ok(p.gridPos.x >= 0 && p.gridPos.w > 0 && p.gridPos.x + p.gridPos.w <= 24, `${file}: panel ${p.title} outside the 24-column grid`);
      if (p.type === 'row') continue;
      assert.ok(p.title, `${file}: panel ${p.id} has no title`);
      assert.equal(p.datasource?.uid, dsUid, `${file}: ${p.title}: datasource`);
      assert.ok(p.targets && p.targets.length > 0 && p.targets.every((t) => t.expr && t.datasource?.uid === dsUid), `${file}: ${p.title}: targets`);
    }
    for (const v of d.templating?.list ?? []) assert.equal((v as unknown as { datasource?: { uid: string } }).datasource?.uid, dsUid, `${file}: variable ${v.name}`);
  }
});

test('sync and API dashboards have tenant and loan_type variables that their queries use; every variable is resolvable', () => {
  for (const uid of ['findata-sync', 'findata-api']) {
    const d = dashboards.find((x) => x.d.uid === uid)?.d;
    assert.ok(d, uid);
    const names = (d.templating?.list ?? []).map((v) => v.name);
    assert.ok(names.includes('tenant') && names.includes('loan_type'), `${uid}: variables ${names}`);
    const exprs = allPanels(d).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));
    assert.ok(exprs.some((e) => e.includes('tenant=~"$tenant"') && e.includes('loan_type=~"$loan_type"')), `${uid}: no query filters by the variables`);
  }
  for (const { d } of dashboards) for (const v of d.templating?.list ?? []) assert.ok(v.name in GRAFANA_VARIABLES, `variable ${v.name} has no value in GRAFANA_VARIABLES`);
});

test('the dashboards cover what the issue asks for', () => {
  const byUid = new Map(dashboards.map(({ d }) => [d.uid, allPanels(d).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''))]));
  const has = (uid: string, what: string, re: RegExp) => assert.ok((byUid.get(uid) ?? []).some((e) => re.test(e)), `${uid}: ${what}`);
  has('findata-sync', 'sync throughput per tenant and loan type', /sum by \(tenant, loan_type\) \(rate\(sync_operations_total/);
  has('findata-sync', 'sync outcomes', /sum by \(status\) \(rate\(sync_operations_total/);
  has('findata-sync', 'sync durations per tenant and loan type', /histogram_quantile\(0\.95, sum by \(le, tenant, loan_type\) \(rate\(sync_duration_seconds_bucket/);
  has('findata-sync', 'validation errors by code', /sum by \(code\) \(rate\(validation_errors_total/);
  has('findata-sync', 'rows inserted', /clickhouse_rows_inserted_total/);
  has('findata-sync', 'worker task slots', /temporal_worker_task_slots_available/);
  has('findata-sync', 'task queue schedule-to-start latency', /temporal_(workflow_task|activity)_schedule_to_start_latency_bucket/);
  has('findata-sync', 'activity failures', /temporal_activity_execution_failed/);
  has('findata-sync', 'workers up', /up\{job="findata-worker"\}/);
  has('findata-api', 'HTTP latency', /histogram_quantile\(0\.95, sum by \(le\) \(rate\(http_request_duration_seconds_bucket/);
  has('findata-api', 'HTTP errors', /http_requests_total\{[^}]*status=~"5\.\."/);
  has('findata-api', 'upload bytes per tenant', /data_upload_bytes_total/);
  has('findata-infra', 'PostgreSQL connections', /pg_stat_database_numbackends.*pg_settings_max_connections/);
  has('findata-infra', 'Redis memory', /redis_memory_used_bytes/);
  has('findata-infra', 'ClickHouse health', /ClickHouse(Metrics|ProfileEvents)_/);
  has('findata-infra', 'ClickHouse up', /up\{job="clickhouse"\}/);
  has('findata-infra', 'container CPU', /container_cpu_usage_seconds_total/);
  has('findata-infra', 'container memory', /container_memory_(usage|working_set)_bytes/);
});
