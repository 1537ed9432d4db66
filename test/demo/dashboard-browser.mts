/** Chromium (Debian's, through playwright-core) on the demo's plant dashboard, and what its charts hold. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { tempDir } from '../support/red.mts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Screenshots of the test run (ignored by git); the best are copied into docs/ by hand. */
export const screenshotsDir = join(import.meta.dirname, '..', '..', 'test-results', 'dashboard');

export interface Browser {
  context: BrowserContext;
  newPage(): Promise<Page>;
  /** Uncaught errors of the dashboard's pages. */
  pageErrors: string[];
  close(): Promise<void>;
}

export async function openBrowser(viewport = { width: 1400, height: 1000 }): Promise<Browser> {
  const profile = tempDir('twin-chromium');
  const context = await chromium.launchPersistentContext(profile.path, { executablePath: CHROMIUM, headless: true, viewport, args: ARGS });
  // Dashboard 2.0 registers every mounted chart in window.uiCharts when window.Cypress is set: its own test hook,
  // which lets a test read the series a chart draws.
  await context.addInitScript(() => {
    (window as unknown as { Cypress: boolean }).Cypress = true;
  });
  const pageErrors: string[] = [];
  return {
    context,
    pageErrors,
    newPage: async () => {
      const page = context.pages().find((p) => p.url() === 'about:blank') ?? (await context.newPage());
      page.on('pageerror', (err) => pageErrors.push(err.message));
      return page;
    },
    close: async () => {
      await context.close();
      profile.remove();
    },
  };
}

/** One chart as drawn: its title and, per series, the x (ms) of every point and the y of every point. */
export interface ChartData {
  id: string;
  title: string;
  series: Record<string, number[]>;
  values: Record<string, number[]>;
  /** The colour each series is drawn in (its own, else the chart's palette by its position). */
  colors: Record<string, string>;
}

/** The charts mounted on the page, with the points each series draws. */
export function chartsOn(page: Page): Promise<ChartData[]> {
  return page.evaluate(() => {
    const charts = (window as unknown as { uiCharts?: Record<string, { props: { label: string }; chart: { getOption(): { color: string[]; series: Array<{ name: string; data?: Array<[number, number]>; itemStyle?: { color?: string } }> } } }> }).uiCharts ?? {};
    return Object.entries(charts)
      .filter(([, c]) => c.chart !== null && document.body.contains((c as unknown as { $el: Node }).$el))
      .map(([id, c]) => ({
        id,
        title: c.props.label,
        series: Object.fromEntries(c.chart.getOption().series.map((s) => [s.name, (s.data ?? []).map((p) => p[0])])),
        values: Object.fromEntries(c.chart.getOption().series.map((s) => [s.name, (s.data ?? []).map((p) => p[1])])),
        colors: Object.fromEntries(c.chart.getOption().series.map((s, i) => [s.name, s.itemStyle?.color ?? c.chart.getOption().color[i % c.chart.getOption().color.length]!])),
      }));
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotsDir, { recursive: true });
  await page.screenshot({ path: join(screenshotsDir, `${name}.png`), fullPage: true });
}

/** Rows of a Dashboard 2.0 table (by its class name) as the cell texts a person reads. */
export function tableRows(page: Page, className: string): Promise<string[][]> {
  return page.$$eval(`.${className} tbody tr`, (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => (td as HTMLElement).innerText.trim())));
}
