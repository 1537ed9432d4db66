/**
 * The what-if page of the plant dashboard in Chromium: "Run scenario" forks pump-1's live twin and draws the baseline
 * and the scenario with its band; "Optimise" reports the best safe speed; the twin itself is never touched.
 */
import assert from 'node:assert/strict';
import { startDemo, type RunningDemo } from '../support/demo.mts';
import { chartsOn, openBrowser, screenshot, tableRows, type Browser } from './dashboard-browser.mts';

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
    // Sliders left where the page put them change nothing: the scenario is the pump as now, and shows no difference.
    assert.match(words, /^as now: no difference from the baseline \(median of 100 runs.*Computed in [\d.]+ s from twin version \d+\./);
    const temp = (await chartsOn(page)).find((c) => c.title === 'Bearing temperature ahead (°C)')!;
    for (const series of ['baseline', 'as now', '5 %', '95 %']) assert.ok((temp.series[series]?.length ?? 0) > 100, `${series}: ${temp.series[series]?.length}`);

    await page.getByRole('button', { name: 'Optimise' }).click();
    const best = page.locator('.twin-wi-best');
    await best.filter({ hasText: /At \d\d:\d\d:\d\d for pump-\d: best \d+ rpm/ }).waitFor({ timeout: 20_000 });
    assert.match(await best.innerText(), /bearing at most [\d.]+ °C, [\d.]+ h of bearing life left/);
    // The trade-off: one point per candidate speed from 1000 to 1800 rpm in steps of 20, on two charts: the water
    // each speed delivers (safe ones and those that break a limit) and the limit that binds (here the 8 h floor of
    // bearing life left), with the allowed edge drawn. The best speed is the fastest safe one, and no safe point is
    // below the floor.
    const bestRpm = Number(/best (\d+) rpm/.exec(await best.innerText())![1]);
    const charts = await chartsOn(page);
    const water = charts.find((c) => c.title.startsWith('Water over the look-ahead'))!;
    // Points with no value only hold a category's place (and colour) in the legend.
    const drawn = (name: string) => (water.series[name] ?? []).filter((_, i) => Number.isFinite(water.values[name]![i]));
    const safe = drawn('safe');
    const unsafe = drawn('breaks a limit');
    assert.deepEqual(water.colors, { safe: '#2e7d32', 'breaks a limit': '#c62828' }, 'safe in green, breaking a limit in red');
    assert.equal(safe.length + unsafe.length, 41, `points drawn: ${JSON.stringify(water.series)}`);
    assert.ok(safe.length > 0 && unsafe.length > 0, 'the 8 h floor binds: some speeds are safe, some are not');
    assert.equal(Math.max(...safe), bestRpm);
    assert.ok(Math.min(...unsafe) > bestRpm, 'every faster speed breaks a limit');
    const binding = charts.find((c) => c.title === 'The limit that binds, against speed')!;
    const lifeSeries = Object.keys(binding.series).find((name) => name.startsWith('remaining life at the end'))!;
    assert.ok(lifeSeries, `series: ${Object.keys(binding.series).join(', ')}`);
    assert.deepEqual(binding.values['allowed'], [8, 8]);
    const life = new Map(binding.series[lifeSeries]!.map((rpm, i) => [rpm, binding.values[lifeSeries]![i]!]));
    assert.equal(life.size, 41);
    for (const rpm of safe) assert.ok(life.get(rpm)! >= 8, `${rpm} rpm is drawn safe with ${life.get(rpm)} h left`);
    for (const rpm of unsafe) assert.ok(life.get(rpm)! < 8, `${rpm} rpm is drawn unsafe with ${life.get(rpm)} h left`);
    // The table shows the baseline and the optimum, and so do the words and the charts above it.
    const optimumWords = await page.locator('.twin-wi-words').innerText();
    assert.match(optimumWords, new RegExp(`^optimum \\(best\\), ${bestRpm} rpm: .*throughput [+−][\\d.]+ m³`));
    assert.deepEqual((await tableRows(page, 'twin-wi-table')).map((r) => r[0]), ['baseline', 'optimum (best)']);
    const optimumTemp = (await chartsOn(page)).find((c) => c.title === 'Bearing temperature ahead (°C)')!;
    assert.deepEqual(Object.keys(optimumTemp.series), ['baseline', `optimum (best), ${bestRpm} rpm`]);
    await screenshot(page, 'what-if');
    await page.close();
  });
});
