/**
 * Collects every PromQL expression of the monitoring setup (alert rules in deploy/prometheus/alerts.yml,
 * Grafana panel targets and template-variable queries in deploy/grafana/dashboards/*.json) and writes them
 * to deploy/promql-expressions.json, with Grafana's $variables resolved so that each `query` can be sent
 * as-is to a live Prometheus (/api/v1/query).
 *
 *   node --import tsx deploy/extract-promql.ts            # rewrite deploy/promql-expressions.json
 *   node --import tsx deploy/extract-promql.ts --check    # exit 1 if the file is out of date
 *
 * Also exports the small PromQL scanner the ops tests use to check metric and label names against
 * deploy/metrics.json (no PromQL library in the project; promtool checks the syntax).
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

export const DEPLOY_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_DIR = path.dirname(DEPLOY_DIR);
export const ALERTS_FILE = path.join(DEPLOY_DIR, 'prometheus', 'alerts.yml');
export const DASHBOARDS_DIR = path.join(DEPLOY_DIR, 'grafana', 'dashboards');
export const OUTPUT_FILE = path.join(DEPLOY_DIR, 'promql-expressions.json');

/** Values substituted for Grafana variables so that dashboard queries run against Prometheus directly. */
export const GRAFANA_VARIABLES: Readonly<Record<string, string>> = {
  __rate_interval: '5m',
  __interval: '1m',
  __range: '1h',
  tenant: '.*',
  loan_type: '.*',
  task_queue: '.*',
  container: '.*',
};

export type ExpressionKind = 'alert' | 'panel' | 'variable';

export interface PromqlExpression {
  /** stable id: alert:<name> | dashboard:<uid>:panel:<id>:<refId> | dashboard:<uid>:variable:<name> */
  id: string;
  kind: ExpressionKind;
  /** file relative to the repository root */
  source: string;
  /** alert name, panel title or variable name */
  name: string;
  /** the expression as written (Grafana variables unresolved) */
  expr: string;
  /** PromQL to run against Prometheus (variables resolved; for a label_values() variable, its series selector) */
  query: string;
  /** metric names the expression reads */
  metrics: string[];
}

// ---------------------------------------------------------------- scanner ---

export interface PromqlNames {
  /** metric names (vector selectors and {__name__="..."} matchers) */
  metrics: string[];
  /** label names used in matchers, per metric ('' for a selector without a metric name) */
  matcherLabels: Array<{ metric: string; label: string }>;
  /** label names in by / without / on / ignoring / group_left / group_right lists */
  groupingLabels: string[];
  /** function and aggregation names */
  functions: string[];
}

const GROUPING_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const OTHER_KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'atan2']);
/** aggregation operators: `sum by (x) (...)` has no '(' right after the name */
const AGGREGATIONS = new Set(['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio']);
const IDENT_START = /[A-Za-z_:]/;
const IDENT_CHAR = /[A-Za-z0-9_:]/;

/** Scans a PromQL expression (Grafana $variables allowed) and returns the names it uses. */
export function scanPromql(expr: string): PromqlNames {
  const out: PromqlNames = { metrics: [], matcherLabels: [], groupingLabels: [], functions: [] };
  let i = 0;
  let lastMetric = '';
  let lastTokenWasMetric = false;
  const n = expr.length;

  const skipString = () => {
    const quote = expr[i];
    i++;
    while (i < n && expr[i] !== quote) {
      if (expr[i] === '\\' && quote !== '`') i++;
      i++;
    }
    if (i >= n) throw new Error(`unterminated string in: ${expr}`);
    i++;
  };
  const readString = (): string => {
    const start = i;
    skipString();
    return expr.slice(start + 1, i - 1);
  };
  const readIdent = (): string => {
    const start = i;
    while (i < n && IDENT_CHAR.test(expr[i])) i++;
    return expr.slice(start, i);
  };
  const skipSpace = () => {
    while (i < n && /\s/.test(expr[i])) i++;
  };
  const nextNonSpace = (): string => {
    let j = i;
    while (j < n && /\s/.test(expr[j])) j++;
    return expr[j] ?? '';
  };

  while (i < n) {
    const c = expr[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < n && expr[i] !== '\n') i++;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      skipString();
      lastTokenWasMetric = false;
      continue;
    }
    if (c === '$') {
      // Grafana variable: $name, ${name} or ${name:format}
      i++;
      if (expr[i] === '{') {
        while (i < n && expr[i] !== '}') i++;
        i++;
      } else {
        readIdent();
      }
      lastTokenWasMetric = false;
      continue;
    }
    if (c === '[') {
      let depth = 0;
      for (; i < n; i++) {
        if (expr[i] === '[') depth++;
        else if (expr[i] === ']' && --depth === 0) break;
      }
      i++;
      lastTokenWasMetric = false;
      continue;
    }
    if (c === '{') {
      const metric = lastTokenWasMetric ? lastMetric : '';
      i++;
      for (;;) {
        skipSpace();
        if (i >= n) throw new Error(`unterminated {...} in: ${expr}`);
        if (expr[i] === '}') {
          i++;
          break;
        }
        if (expr[i] === ',') {
          i++;
          continue;
        }
        let label: string;
        if (expr[i] === '"' || expr[i] === "'") {
          // {"metric.name"} (UTF-8 names): treat as __name__
          out.metrics.push(readString());
          continue;
        } else if (IDENT_START.test(expr[i])) {
          label = readIdent();
        } else {
          throw new Error(`unexpected ${JSON.stringify(expr[i])} in label matchers of: ${expr}`);
        }
        skipSpace();
        const op = expr.slice(i, i + 2);
        if (op === '=~' || op === '!=' || op === '!~') i += 2;
        else if (expr[i] === '=') i += 1;
        else throw new Error(`expected a matcher operator after ${label} in: ${expr}`);
        skipSpace();
        const value = expr[i] === '"' || expr[i] === "'" || expr[i] === '`' ? readString() : '';
        if (label === '__name__') out.metrics.push(value);
        else out.matcherLabels.push({ metric, label });
      }
      lastTokenWasMetric = false;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(expr[i + 1] ?? ''))) {
      // number or duration (1e3, 0.95, 0x1f, 5m, 1h30m)
      while (i < n && /[0-9A-Za-z_.]/.test(expr[i])) {
        if ((expr[i] === 'e' || expr[i] === 'E') && (expr[i + 1] === '+' || expr[i + 1] === '-')) i++;
        i++;
      }
      lastTokenWasMetric = false;
      continue;
    }
    if (IDENT_START.test(c)) {
      const ident = readIdent();
      const next = nextNonSpace();
      if (GROUPING_KEYWORDS.has(ident.toLowerCase()) && next === '(') {
        skipSpace();
        i++; // (
        for (;;) {
          skipSpace();
          if (expr[i] === ')') {
            i++;
            break;
          }
          if (expr[i] === ',') {
            i++;
            continue;
          }
          if (i >= n || !IDENT_START.test(expr[i])) throw new Error(`bad label list after ${ident} in: ${expr}`);
          out.groupingLabels.push(readIdent());
        }
        lastTokenWasMetric = false;
      } else if (GROUPING_KEYWORDS.has(ident.toLowerCase()) || OTHER_KEYWORDS.has(ident.toLowerCase())) {
        lastTokenWasMetric = false;
      } else if (next === '(' || AGGREGATIONS.has(ident.toLowerCase())) {
        out.functions.push(ident);
        lastTokenWasMetric = false;
      } else {
        out.metrics.push(ident);
        lastMetric = ident;
        lastTokenWasMetric = true;
      }
      continue;
    }
    // operators, parentheses, commas
    i++;
    lastTokenWasMetric = false;
  }
  out.metrics = [...new Set(out.metrics)];
  out.groupingLabels = [...new Set(out.groupingLabels)];
  out.functions = [...new Set(out.functions)];
  return out;
}

/** Replaces Grafana variables ($name, ${name}, ${name:format}) with GRAFANA_VARIABLES; throws on an unknown one. */
export function resolveGrafanaVariables(expr: string): string {
  return expr.replace(/\$\{([A-Za-z0-9_]+)(?::[^}]*)?\}|\$([A-Za-z0-9_]+)/g, (whole, braced: string | undefined, plain: string | undefined) => {
    const name = (braced ?? plain) as string;
    const value = GRAFANA_VARIABLES[name];
    if (value === undefined) throw new Error(`unknown Grafana variable ${whole} in: ${expr}`);
    return value;
  });
}

/** label_values(selector, label) / label_values(label) -> the series selector to query (or null). */
export function labelValuesSelector(query: string): string | null {
  const m = /^\s*label_values\(\s*(.*?)\s*(?:,\s*([A-Za-z_][A-Za-z0-9_]*)\s*)?\)\s*$/s.exec(query);
  if (!m) return null;
  if (m[2] === undefined) return null; // label_values(label): no selector
  return m[1];
}

// ---------------------------------------------------------------- sources ---

interface AlertRuleFile {
  groups: Array<{ name: string; rules: Array<{ alert?: string; record?: string; expr: string }> }>;
}

interface GrafanaTarget {
  refId?: string;
  expr?: string;
}
interface GrafanaPanel {
  id?: number;
  type?: string;
  title?: string;
  targets?: GrafanaTarget[];
  panels?: GrafanaPanel[];
}
interface GrafanaVariable {
  name: string;
  type: string;
  definition?: string;
  query?: string | { query?: string };
}
export interface GrafanaDashboard {
  uid: string;
  title: string;
  panels?: GrafanaPanel[];
  templating?: { list?: GrafanaVariable[] };
}

const rel = (file: string) => path.relative(REPO_DIR, file).split(path.sep).join('/');

export function dashboardFiles(): string[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => path.join(DASHBOARDS_DIR, f));
}

export function readDashboard(file: string): GrafanaDashboard {
  return JSON.parse(readFileSync(file, 'utf8')) as GrafanaDashboard;
}

/** All panels of a dashboard, rows' nested panels included, in document order. */
export function allPanels(d: GrafanaDashboard): GrafanaPanel[] {
  const out: GrafanaPanel[] = [];
  const walk = (ps: GrafanaPanel[] | undefined) => {
    for (const p of ps ?? []) {
      out.push(p);
      walk(p.panels);
    }
  };
  walk(d.panels);
  return out;
}

function entry(id: string, kind: ExpressionKind, source: string, name: string, expr: string, query: string): PromqlExpression {
  return { id, kind, source, name, expr, query, metrics: scanPromql(query).metrics.sort() };
}

export function collectExpressions(): PromqlExpression[] {
  const out: PromqlExpression[] = [];
  const alerts = parseYaml(readFileSync(ALERTS_FILE, 'utf8')) as AlertRuleFile;
  for (const group of alerts.groups) {
    for (const rule of group.rules) {
      const name = rule.alert ?? rule.record ?? '?';
      const expr = rule.expr.trim();
      out.push(entry(`${rule.alert ? 'alert' : 'record'}:${name}`, 'alert', rel(ALERTS_FILE), name, expr, expr));
    }
  }
  for (const file of dashboardFiles()) {
    const d = readDashboard(file);
    for (const v of d.templating?.list ?? []) {
      if (v.type !== 'query') continue;
      const q = typeof v.query === 'string' ? v.query : (v.query?.query ?? v.definition ?? '');
      const selector = labelValuesSelector(q);
      if (selector === null) throw new Error(`${rel(file)}: variable ${v.name}: only label_values(selector, label) queries are supported, got ${q}`);
      out.push(entry(`dashboard:${d.uid}:variable:${v.name}`, 'variable', rel(file), v.name, q, resolveGrafanaVariables(selector)));
    }
    for (const p of allPanels(d)) {
      for (const t of p.targets ?? []) {
        if (!t.expr) continue;
        out.push(entry(`dashboard:${d.uid}:panel:${p.id}:${t.refId ?? '?'}`, 'panel', rel(file), p.title ?? '', t.expr, resolveGrafanaVariables(t.expr)));
      }
    }
  }
  const ids = new Set<string>();
  for (const e of out) {
    if (ids.has(e.id)) throw new Error(`duplicate expression id ${e.id}`);
    ids.add(e.id);
  }
  return out;
}

export function renderExpressionsFile(expressions: PromqlExpression[] = collectExpressions()): string {
  const doc = {
    $comment:
      'Generated by deploy/extract-promql.ts from deploy/prometheus/alerts.yml and deploy/grafana/dashboards/*.json; do not edit. `query` is runnable PromQL (Grafana variables resolved as in `grafanaVariables`).',
    grafanaVariables: GRAFANA_VARIABLES,
    expressions,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

// ------------------------------------------------------------------- main ---

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rendered = renderExpressionsFile();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(OUTPUT_FILE, 'utf8');
    } catch {
      // missing file = out of date
    }
    if (current !== rendered) {
      console.error(`${rel(OUTPUT_FILE)} is out of date: run node --import tsx deploy/extract-promql.ts`);
      process.exit(1);
    }
    console.log(`${rel(OUTPUT_FILE)} is up to date`);
  } else {
    writeFileSync(OUTPUT_FILE, rendered);
    console.log(`wrote ${rel(OUTPUT_FILE)} (${JSON.parse(rendered).expressions.length} expressions)`);
  }
}
