/**
 * The editor in a real browser (Debian's Chromium through playwright-core): every node type is in the palette
 * under "digital twin", every edit dialog opens and closes, help shows, and the console stays free of errors.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startDemo, type RunningDemo } from '../support/demo.mts';
import { tempDir } from '../support/red.mts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PALETTE_LABELS: Record<string, string> = {
  'twin-simulator': 'simulator',
  'twin-mqtt-in': 'twin mqtt in',
  'twin-opcua-in': 'twin opc ua in',
  'twin-sensor': 'twin sensor',
  'twin-state': 'twin state',
  'twin-rul': 'twin RUL',
};
const FLOW_TYPES = Object.keys(PALETTE_LABELS);
/** Config node types, each opened from the flow node that uses it, as a user does. */
const CONFIG_TYPES: Array<[config: string, from: string, property: string]> = [
  ['twin-definition', 'twin-state', 'definition'],
  ['twin-mqtt-broker', 'twin-mqtt-in', 'broker'],
  ['twin-opcua-endpoint', 'twin-opcua-in', 'endpoint'],
];
const resultsDir = join(import.meta.dirname, '..', '..', 'test-results');

describe('editor in Chromium', function () {
  this.timeout(120_000);
  let demo: RunningDemo;
  let context: BrowserContext;
  let page: Page;
  let profile: ReturnType<typeof tempDir>;
  const consoleErrors: string[] = [];

  before(async function () {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (.ci/run does)`);
    demo = await startDemo();
    profile = tempDir('twin-chromium');
    context = await chromium.launchPersistentContext(profile.path, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1600, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(err.message));
    await page.goto(demo.editorUrl);
    await page.waitForSelector('.red-ui-palette-node[data-palette-type="twin-state"]', { timeout: 60_000 });
    await page.waitForFunction(() => (window as any).RED?.nodes?.getType?.('twin-state') !== undefined);
  });

  after(async () => {
    await context?.close();
    profile?.remove();
    await demo?.dispose();
  });

  it('shows every flow node type in the "digital twin" palette category, with its label', async () => {
    for (const type of FLOW_TYPES) {
      const node = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
      assert.equal(await node.count(), 1, `${type} is in the palette`);
      const category = await node.evaluate((el) => el.closest('.red-ui-palette-category')?.id ?? '');
      assert.match(category, /digital twin|digital_twin|digital-twin/, `${type} is under "digital twin" (got ${category})`);
      assert.equal((await node.locator('.red-ui-palette-label').textContent())?.replace(/\s+/g, ' ').trim(), PALETTE_LABELS[type]);
    }
    for (const [config] of CONFIG_TYPES) {
      assert.ok(await page.evaluate((t) => (window as any).RED.nodes.getType(t) !== undefined, config), `${config} is registered in the editor`);
    }
  });

  async function openDialogFor(type: string): Promise<string> {
    return page.evaluate((t) => {
      const RED = (window as any).RED;
      const id = RED.nodes.id();
      const z = RED.workspaces.active();
      RED.view.importNodes([{ id, type: t, x: 200, y: 600, z }], { addFlow: false, touchImport: true });
      RED.editor.edit(RED.nodes.node(id));
      return id as string;
    }, type);
  }

  for (const type of FLOW_TYPES) {
    it(`opens and cancels the ${type} edit dialog`, async () => {
      await openDialogFor(type);
      await page.waitForSelector('#node-input-name', { state: 'visible' });
      await page.click('#node-dialog-cancel');
      await page.waitForSelector('#node-input-name', { state: 'detached' });
    });
  }

  for (const [config, from, property] of CONFIG_TYPES) {
    it(`opens the ${config} dialog from ${from}, as a user does`, async () => {
      await openDialogFor(from);
      // The "+" beside the config selector: a new config node, with its defaults, as a first-day user makes one.
      await page.waitForSelector(`#node-input-btn-${property}-add`, { state: 'visible' });
      await page.click(`#node-input-btn-${property}-add`);
      await page.waitForSelector('#node-config-input-name', { state: 'visible' });
      if (config === 'twin-definition') {
        // The editable list of signals is filled with the pump defaults.
        await page.waitForSelector('#node-config-input-signals-container .twin-signal-name');
        const names = await page.$$eval('#node-config-input-signals-container .twin-signal-name', (els) => els.map((e) => (e as HTMLInputElement).value));
        assert.deepEqual(names, ['speed', 'flow', 'pressure', 'bearingTemp', 'vibration', 'power']);
      }
      await page.click('#node-config-dialog-cancel');
      await page.waitForSelector('#node-config-input-name', { state: 'detached' });
      await page.click('#node-dialog-cancel');
      await page.waitForSelector('#node-input-name', { state: 'detached' });
    });
  }

  it('saves twin-mqtt-in conversions from the editable list and adds the connection output', async () => {
    const id = await openDialogFor('twin-mqtt-in');
    await page.waitForSelector('.node-input-conversions-row .red-ui-editableList-addButton', { state: 'visible' });
    await page.click('.node-input-conversions-row .red-ui-editableList-addButton');
    await page.fill('.twin-conv-signal', 'bearingTemp');
    await page.fill('.twin-conv-from', 'degF');
    await page.fill('.twin-conv-to', '°C');
    await page.click('.node-input-conversions-row .red-ui-editableList-addButton');
    const second = page.locator('.node-input-conversions-row .red-ui-editableList-item-content').nth(1);
    await second.locator('.twin-conv-signal').fill('pressure');
    await second.locator('.twin-conv-kind').selectOption('scale');
    for (const [k, v] of [['rawMin', '4'], ['rawMax', '20'], ['engMin', '0'], ['engMax', '10']]) await second.locator(`.twin-conv-${k}`).fill(v!);
    await page.check('#node-input-stateOutput');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-input-name', { state: 'detached' });
    const saved = await page.evaluate((nodeId) => {
      const n = (window as any).RED.nodes.node(nodeId);
      return { conversions: n.conversions, outputs: n.outputs };
    }, id);
    assert.deepEqual(saved, {
      conversions: [
        { signal: 'bearingTemp', kind: 'unit', from: 'degF', to: '°C' },
        { signal: 'pressure', kind: 'scale', rawMin: '4', rawMax: '20', engMin: '0', engMax: '10' },
      ],
      outputs: 2,
    });
  });

  it('shows the fields of the chosen simulator model and saves an edited fault list', async () => {
    // A node as the palette makes it: every property at its default.
    const id = await page.evaluate(() => {
      const RED = (window as any).RED;
      const nodeId = RED.nodes.id();
      const defaults = RED.nodes.getType('twin-simulator').defaults as Record<string, { value: unknown }>;
      const props = Object.fromEntries(Object.entries(defaults).map(([k, d]) => [k, d.value]));
      RED.view.importNodes([{ ...props, id: nodeId, type: 'twin-simulator', x: 200, y: 700, z: RED.workspaces.active() }], { addFlow: false, touchImport: true });
      RED.editor.edit(RED.nodes.node(nodeId));
      return nodeId as string;
    });
    await page.waitForSelector('#node-input-name', { state: 'visible' });
    assert.ok(await page.isVisible('#node-input-speed'), 'pump fields show for the pump');
    assert.ok(!(await page.isVisible('#node-input-file')), 'replay fields are hidden for the pump');
    await page.selectOption('#node-input-model', 'cmapss-replay');
    assert.ok(await page.isVisible('#node-input-file'), 'the file field shows for the replay');
    assert.ok(!(await page.isVisible('#node-input-speed')), 'pump fields are hidden for the replay');
    assert.equal(await page.inputValue('#node-input-assetPrefix'), 'engine-');
    await page.fill('#node-input-file', '/data/train_FD001.txt');
    await page.fill('#node-input-units', '1-3');
    await page.click('.node-input-faults-row .red-ui-editableList-addButton');
    const row = page.locator('#node-input-faults-container li').last();
    await row.locator('.twin-fault-kind').selectOption('spike');
    assert.ok(!(await row.locator('.twin-fault-rate').isVisible()), 'a spike takes no rate');
    await row.locator('.twin-fault-signal').fill('s4');
    await row.locator('.twin-fault-probability').fill('0.1');
    await row.locator('.twin-fault-magnitude').fill('5');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-input-name', { state: 'detached' });
    const saved = await page.evaluate((nodeId) => {
      const n = (window as any).RED.nodes.node(nodeId);
      return { model: n.model, file: n.file, units: n.units, prefix: n.assetPrefix, faults: n.faults, valid: n.valid, outputs: n.outputs };
    }, id);
    assert.deepEqual(saved, {
      model: 'cmapss-replay',
      file: '/data/train_FD001.txt',
      units: '1-3',
      prefix: 'engine-',
      faults: [{ fault: 'spike', signal: 's4', probability: 0.1, magnitude: 5 }],
      valid: true,
      outputs: 2,
    });
  });

  it('shows help for a node in the help sidebar', async () => {
    await page.evaluate(() => (window as any).RED.sidebar.help.show('twin-state'));
    await page.waitForFunction(() => [...document.querySelectorAll('.red-ui-help')].some((el) => el.textContent?.includes('The live mirror of your assets')));
  });

  it('logged no console error while doing all of the above', async () => {
    mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: join(resultsDir, 'editor.png') });
    assert.deepEqual(consoleErrors, []);
  });
});
