/**
 * Chart.js wrapper: only the controllers/elements the app uses are imported and registered (tree-shaken).
 * Every chart is a labelled image for assistive tech and comes with its data as a table in a disclosure.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartData,
  type ChartOptions,
  type ChartType,
} from 'chart.js';
import { createEffect, For, onCleanup, onMount, Show } from 'solid-js';
import { intlLocale, t } from '../lib/i18n.ts';

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip, Legend, Filler);
Chart.defaults.font.family = "Inter, 'Segoe UI', system-ui, -apple-system, Roboto, 'Helvetica Neue', Arial, sans-serif";
Chart.defaults.color = '#475569';
Chart.defaults.borderColor = '#e2e8f0';

/** Palette with at least 3:1 contrast against white for graphical objects (WCAG 1.4.11). */
export const COLORS = {
  primary: '#2a3bb7',
  primarySoft: 'rgba(42, 59, 183, 0.78)',
  danger: '#b42318',
  warning: '#b54708',
  success: '#067647',
  teal: '#0e7490',
  gray: '#64748b',
};
export const SERIES = ['#2a3bb7', '#0e7490', '#b54708', '#7a2fb5', '#067647', '#b42318', '#475569', '#a15c07'];

const reducedMotion = () => window.matchMedia?.('(prefers-reduced-motion: reduce)').matches ?? false;

export interface ChartTable {
  headers: string[];
  rows: (string | number)[][];
}

export function ChartView<T extends ChartType>(props: {
  type: T;
  data: ChartData<T>;
  options?: ChartOptions<T>;
  /** Accessible name of the chart image (what it shows). */
  label: string;
  height?: number;
  table?: ChartTable;
}) {
  let canvas!: HTMLCanvasElement;
  let chart: Chart<T> | undefined;
  onMount(() => {
    chart = new Chart<T>(canvas, {
      type: props.type,
      data: props.data,
      options: {
        responsive: true,
        maintainAspectRatio: false,
        locale: intlLocale(),
        animation: reducedMotion() ? false : { duration: 300 },
        ...(props.options ?? {}),
      } as ChartOptions<T>,
    });
  });
  createEffect(() => {
    const data = props.data;
    const options = props.options;
    if (!chart) return;
    chart.data = data;
    const locale = intlLocale();
    chart.options = { responsive: true, maintainAspectRatio: false, locale, animation: reducedMotion() ? false : { duration: 300 }, ...(options ?? {}) } as ChartOptions<T>;
    chart.update();
  });
  onCleanup(() => chart?.destroy());
  return (
    <figure class="chart">
      <div class="chart-canvas" style={{ height: `${props.height ?? 240}px` }}>
        <canvas ref={canvas} role="img" aria-label={props.label} />
      </div>
      <Show when={props.table && props.table.rows.length > 0}>
        <details class="chart-table">
          <summary>{t('chart.showTable')}</summary>
          <div class="table-scroll">
            <table class="table compact">
              <caption class="sr-only">{props.label}</caption>
              <thead>
                <tr>
                  <For each={props.table!.headers}>{(h, i) => <th scope="col" class={i() > 0 ? 'num' : undefined}>{h}</th>}</For>
                </tr>
              </thead>
              <tbody>
                <For each={props.table!.rows}>
                  {(r) => (
                    <tr>
                      <For each={r}>{(c, i) => (i() === 0 ? <th scope="row">{c}</th> : <td class="num">{c}</td>)}</For>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </div>
        </details>
      </Show>
    </figure>
  );
}
