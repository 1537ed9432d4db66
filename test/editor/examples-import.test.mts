/**
 * Every example flow as a first-day user meets it: in Chromium, menu → Import → Examples → this package → the
 * example → Import (as a new flow), Deploy, and watch. The example runs against the demo's broker and OPC UA server,
 * started as `npm start` starts them (MQTT on 1883, OPC UA on 4840, when those ports are free here). Checked: the
 * deploy succeeds without a warning dialog, no node of the example reports an error to the debug sidebar or shows a
 * red status, the example's debug nodes print something, and the browser console stays clean.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { cmapssDir } from '../support/data.mts';
import { startDemo, type RunningDemo } from '../support/demo.mts';
import { openBrowser, type Browser } from '../demo/dashboard-browser.mts';

const PACKAGE = '@twinflow/node-red-digital-twin';
const examplesDir = join(import.meta.dirname, '..', '..', 'examples');
const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.json')).sort();
/** How long an example runs before it is judged: long enough for simulators, connections and first readings. */
const WATCH_MS = 12_000;

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

interface DebugRecord {
  flow: string;
  node: string;
  name: string;
  level: number;
  text: string;
}

describe('example flows imported from the editor menu, in Chromium', function () {
  this.timeout(180_000);
  let demo: RunningDemo;
  let browser: Browser;
  let page: Page;
  /** The demo runs where the examples expect it; otherwise the examples' addresses are moved to the demo's ports. */
  let standardPorts = false;
  /** The demo's own flow tabs, which stay. */
  let demoTabs: string[] = [];
  const consoleErrors: string[] = [];

  before(async function () {
    standardPorts = (await portIsFree(1883)) && (await portIsFree(4840));
    demo = await startDemo(standardPorts ? { mqttPort: 1883, opcuaPort: 4840 } : {});
    // The C-MAPSS examples read their files relative to the Node-RED user directory (cmapss/…), as their comments
    // say: put the data there, as a user who downloaded it would.
    symlinkSync(cmapssDir(), join(demo.userDir, 'cmapss'), 'dir');
    browser = await openBrowser({ width: 1600, height: 1000 });
    page = await browser.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(err.message));
    await page.goto(demo.editorUrl);
    await page.waitForSelector('.red-ui-palette-node[data-palette-type="twin-state"]', { timeout: 60_000 });
    await page.waitForFunction(() => (window as any).RED?.nodes?.getType?.('twin-state') !== undefined);
    demoTabs = await page.evaluate(() => (window as any).RED.nodes.getWorkspaceOrder() as string[]);
    // Every message the debug sidebar receives, with the flow of the node that sent it.
    await page.evaluate(() => {
      const w = window as any;
      w.twinDebug = [];
      w.RED.comms.subscribe('debug', (_topic: string, msg: any) => {
        const node = w.RED.nodes.node(msg.id);
        w.twinDebug.push({ flow: msg.z ?? node?.z ?? '', node: msg.id, name: msg.name ?? node?.name ?? node?.type ?? '', level: msg.level ?? 0, text: String(msg.msg ?? '').slice(0, 300) });
      });
    });
  });

  after(async () => {
    await browser?.close();
    await demo?.dispose();
  });

  async function clickMenu(): Promise<void> {
    await page.click('#red-ui-header-button-sidemenu');
    await page.click('#menu-item-import');
  }

  async function deploy(): Promise<void> {
    await page.click('#red-ui-header-button-deploy');
    // A deploy with invalid or unconfigured nodes opens a confirmation dialog instead of deploying: an example must not.
    const outcome = await Promise.race([
      page.waitForSelector('.red-ui-notification:has-text("Successfully deployed")', { timeout: 30_000 }).then(() => 'deployed'),
      page.waitForSelector('.red-ui-deploy-dialog-confirm-list', { timeout: 30_000 }).then(async () => `asked to confirm: ${await page.locator('.red-ui-notification:has(.red-ui-deploy-dialog-confirm-list)').first().innerText()}`),
    ]);
    assert.equal(outcome, 'deployed');
    await page.locator('.red-ui-notification:has-text("Successfully deployed")').first().waitFor({ state: 'detached', timeout: 15_000 }).catch(() => undefined);
  }

  /** Nodes the editor calls invalid (it would ask "are you sure you want to deploy?"), with the reasons. */
  function invalidNodes(): Promise<string[]> {
    return page.evaluate(() => {
      const RED = (window as any).RED;
      const found: string[] = [];
      const check = (n: any) => {
        if (n.valid === false) found.push(`${n.type} ${n.name || n.id}: ${(n.validationErrors ?? []).join(', ')}`);
      };
      RED.nodes.eachConfig(check);
      RED.nodes.eachNode(check);
      return found;
    });
  }

  it('shows the demo flow with no node the editor calls invalid', async () => {
    assert.deepEqual(await invalidNodes(), []);
    // The picture of the demo flow for the README: the plant tab, fitted to the window, without sidebars.
    await page.evaluate(() => {
      const RED = (window as any).RED;
      RED.workspaces.show('demo.tab');
      RED.actions.invoke('core:toggle-sidebar', false);
      RED.actions.invoke('core:toggle-palette', false);
      RED.actions.invoke('core:zoom-fit');
    });
    await new Promise((r) => setTimeout(r, 1000));
    await page.screenshot({ path: join(import.meta.dirname, '..', '..', 'test-results', 'editor-demo-flow.png') });
    await page.evaluate(() => {
      const RED = (window as any).RED;
      RED.actions.invoke('core:toggle-sidebar', true);
      RED.actions.invoke('core:toggle-palette', true);
      RED.actions.invoke('core:zoom-reset');
    });
  });

  /**
   * After each example (passed or failed): close whatever dialog it left open, remove every flow tab the demo did not
   * have and the config nodes nobody uses any more, and deploy, so that the next example starts from the demo alone.
   */
  afterEach(async function () {
    if (!page || !this.currentTest?.title.includes('imports from Import')) return;
    for (let i = 0; i < 3 && (await page.locator('.ui-dialog:visible').count()) > 0; i++) await page.keyboard.press('Escape');
    const removed = await page.evaluate((keep) => {
      const RED = (window as any).RED;
      const extra = (RED.nodes.getWorkspaceOrder() as string[]).filter((id) => !keep.includes(id));
      for (const id of extra) RED.workspaces.delete(RED.nodes.workspace(id));
      const unused: any[] = [];
      RED.nodes.eachConfig((n: any) => {
        if (n.users.length === 0 && n.type !== 'global-config' && !n.id.startsWith('demo') && !n.id.startsWith('dash')) unused.push(n);
      });
      for (const n of unused) RED.nodes.remove(n.id);
      if (extra.length > 0 || unused.length > 0) RED.nodes.dirty(true);
      return extra.length + unused.length;
    }, demoTabs);
    if (removed > 0) await deploy();
  });

  for (const file of examples) {
    const title = file.replace(/\.json$/, '');
    it(`${title}: imports from Import → Examples, deploys and runs without an error`, async () => {
      const shipped = JSON.parse(readFileSync(join(examplesDir, file), 'utf8')) as Array<Record<string, any>>;
      const before = await page.evaluate(() => (window as any).RED.nodes.getWorkspaceOrder() as string[]);

      await clickMenu();
      await page.click('.red-ui-tab:has-text("Examples")');
      const tree = page.locator('#red-ui-clipboard-dialog-import-tab-examples');
      await tree.locator('.red-ui-treeList-label', { hasText: PACKAGE }).first().click();
      await tree.locator('.red-ui-treeList-label', { hasText: title }).first().click();
      await page.click('#red-ui-clipboard-dialog-import-opt-new');
      await page.click('#red-ui-clipboard-dialog-ok');
      // Imported nodes follow the mouse until dropped.
      await page.mouse.move(500, 400);
      await page.mouse.click(500, 400);

      // The import lands a moment later on a busy machine: wait for its tab.
      const tab = (await (
        await page.waitForFunction((known) => ((window as any).RED.nodes.getWorkspaceOrder() as string[]).find((id) => !known.includes(id)) ?? false, before, { timeout: 15_000 })
      ).jsonValue()) as string;
      assert.ok(tab, 'the example arrived as a new flow tab');
      const imported = await page.evaluate((z) => {
        const ids: string[] = [];
        (window as any).RED.nodes.eachNode((n: any) => {
          if (n.z === z) ids.push(n.type);
        });
        return ids;
      }, tab);
      assert.equal(imported.length, shipped.filter((n) => n.z !== undefined && n.type !== 'tab').length, 'every node of the example was imported');

      // Examples that replay NASA C-MAPSS data say in their first comment which file to set (the data is not
      // shipped): do what it says, in the node's edit dialog, with a path relative to the user directory.
      const needsFile = /set File to (?:the path of )?(\w+\.txt)/.exec(shipped.find((n) => n.type === 'comment')?.name ?? '');
      if (needsFile) {
        const replay = await page.evaluate((z) => {
          let id = '';
          (window as any).RED.nodes.eachNode((n: any) => {
            if (n.z === z && n.type === 'twin-simulator' && n.model === 'cmapss-replay') id = n.id;
          });
          (window as any).RED.editor.edit((window as any).RED.nodes.node(id));
          return id;
        }, tab);
        assert.ok(replay, 'the replay node the comment names');
        await page.waitForSelector('#node-input-file', { state: 'visible' });
        await page.fill('#node-input-file', `cmapss/${needsFile[1]}`);
        await page.click('#node-dialog-ok');
        await page.waitForSelector('#node-input-file', { state: 'detached' });
      }
      assert.deepEqual(await invalidNodes(), [], 'every node of the example and of the demo is valid in the editor');
      if (!standardPorts) {
        // The demo could not take 1883 and 4840 here: point the example's connections at the demo's ports instead,
        // as a user would with their own broker. Nothing else of the example changes.
        await page.evaluate(({ mqtt, opcua }) => {
          const RED = (window as any).RED;
          RED.nodes.eachConfig((n: any) => {
            if (n.type === 'twin-mqtt-broker') n.url = mqtt;
            if (n.type === 'mqtt-broker') n.port = new URL(mqtt).port;
            if (n.type === 'twin-opcua-endpoint') n.endpoint = opcua;
            n.changed = true;
          });
          RED.nodes.dirty(true);
        }, { mqtt: demo.brokerUrl, opcua: demo.opcuaUrl });
      }

      const debugBefore = await page.evaluate(() => (window as any).twinDebug.length as number);
      await deploy();
      // Try every button of the example, top to bottom, as a user exploring it does.
      await new Promise((r) => setTimeout(r, 3000));
      const buttons = await page.evaluate((z) => {
        const found: Array<{ id: string; y: number }> = [];
        (window as any).RED.nodes.eachNode((n: any) => {
          if (n.z === z && n.type === 'inject' && !n.once && !n.repeat) found.push({ id: n.id, y: n.y });
        });
        return found.sort((a, b) => a.y - b.y).map((b) => b.id);
      }, tab);
      for (const id of buttons) {
        await page.evaluate((nodeId) => (window as any).RED.view.reveal(nodeId, false), id);
        await page.locator(`[id="${id}"] .red-ui-flow-node-button-button`).click({ timeout: 5000 });
        await new Promise((r) => setTimeout(r, 1000));
        // A button that starts a long job (a training) is waited for, as a user watches the status before the next.
        await page.waitForFunction(
          (z) => {
            let busy = false;
            (window as any).RED.nodes.eachNode((n: any) => {
              // A job in progress: what-if's "running 4 scenario(s)…", twin-rul's "training …", "optimising 3/41".
              if (n.z === z && /…$|\b(training|retraining|optimi[sz]ing)\b/i.test(n.status?.text ?? '')) busy = true;
            });
            return !busy;
          },
          tab,
          { timeout: 90_000, polling: 500 },
        );
      }
      await new Promise((r) => setTimeout(r, WATCH_MS));

      const records = (await page.evaluate((from) => (window as any).twinDebug.slice(from), debugBefore)) as DebugRecord[];
      const mine = records.filter((r) => r.flow === tab);
      const errors = mine.filter((r) => r.level === 20);
      assert.deepEqual(errors, [], `errors in the debug sidebar from ${title}`);
      assert.ok(mine.length > 0, `${title} printed nothing in the debug sidebar in ${WATCH_MS / 1000} s`);
      const red = await page.evaluate((z) => {
        const found: string[] = [];
        (window as any).RED.nodes.eachNode((n: any) => {
          if (n.z === z && n.status?.fill === 'red') found.push(`${n.name || n.type}: ${n.status.text}`);
        });
        return found;
      }, tab);
      assert.deepEqual(red, [], 'no node of the example shows a red status');

      if (title.includes('classic dashboard')) {
        // The classic dashboard at /ui: the text shows the twin's bearing temperature and the chart has its line
        // (filled from the twin's history at start), not its "no data" text.
        const ui = await browser.context.newPage();
        ui.on('pageerror', (err) => consoleErrors.push(`/ui: ${err.message}`));
        await ui.goto(`${demo.editorUrl}ui/`);
        await ui.locator('.twin-classic-text', { hasText: /\d+\.\d °C · stale signals: none/ }).waitFor({ timeout: 30_000 });
        // The chart (a canvas) shows its "no data" line, a p.blank-label, until its first point.
        await ui.locator('canvas').first().waitFor({ state: 'attached', timeout: 10_000 });
        await ui.waitForFunction(() => document.querySelectorAll('p.blank-label').length === 0, undefined, { timeout: 10_000 });
        await ui.screenshot({ path: join(import.meta.dirname, '..', '..', 'test-results', 'classic-dashboard.png') });
        await ui.close();
      }

    });
  }

  it('logged no browser console error while importing and running every example', () => {
    assert.deepEqual(consoleErrors, []);
  });
});
