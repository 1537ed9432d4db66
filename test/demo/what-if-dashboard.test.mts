/**
 * The what-if page of the plant dashboard in Chromium: "Run scenario" forks pump-1's live twin and draws the baseline
 * and the scenario with its band; "Optimise" reports the best safe speed; the twin itself is never touched.
 */
import assert from 'node:assert/strict';
import { startDemo, type RunningDemo } from '../support/demo.mts';
import { chartsOn, openBrowser, screenshot, type Browser } from './dashboard-browser.mts';

describe('plant dashboard: what-if page', function () {
  this.timeout(120_000);
  let demo: RunningDemo;
  let browser: Browser;

  before(async () => {
    browser = await openBrowser();
    demo = await startDemo();
  });
  after(async () => {
    await browser?.close();
    await demo?.stop();
    await demo?.dispose();
  });

  it('runs a scenario from the sliders and draws baseline, scenario and band; optimise names the best safe speed', async () => {
    const page = await browser.newPage();
    await page.goto(`${demo.dashboardUrl}/what-if`);
    await page.waitForSelector('.twin-wi-run', { timeout: 30_000 });
    // The twin needs a few readings of pump-1 before it can be forked.
    let words = '';
    for (let attempt = 0; attempt < 20 && !/Computed in/.test(words); attempt++) {
      await page.getByRole('button', { name: 'Run scenario' }).click();
      await new Promise((r) => setTimeout(r, 1500));
      words = await page.locator('.twin-wi-words').innerText();
    }
    assert.match(words, /^1480 rpm, 25 °C: .*median of 100 runs.*Computed in [\d.]+ s from twin version \d+\./);
    const temp = (await chartsOn(page)).find((c) => c.title === 'Bearing temperature ahead (°C)')!;
    for (const series of ['baseline', '1480 rpm, 25 °C', '5 %', '95 %']) assert.ok((temp.series[series]?.length ?? 0) > 100, `${series}: ${temp.series[series]?.length}`);

    await page.getByRole('button', { name: 'Optimise' }).click();
    const best = page.locator('.twin-wi-best');
    await best.filter({ hasText: /Best: \d+ rpm/ }).waitFor({ timeout: 20_000 });
    assert.match(await best.innerText(), /bearing at most [\d.]+ °C, [\d.]+ h of bearing life left/);
    await screenshot(page, 'what-if');
    await page.close();
  });
});
