import { chromium } from 'playwright-core';
import { startDemo } from '../support/demo.mts';
const demo = await startDemo({ mqttPort: 1883, opcuaPort: 4840 });
const context = await chromium.launchPersistentContext('/tmp/scratch/prof', { executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1600, height: 1000 }, args: ['--no-sandbox'] });
const page = context.pages()[0] ?? (await context.newPage());
try {
await page.goto(demo.editorUrl);
await page.waitForSelector('.red-ui-palette-node[data-palette-type="twin-state"]', { timeout: 60_000 });
await page.click('#red-ui-header-button-sidemenu');
await page.click('#menu-item-import');
await page.screenshot({ path: '/tmp/scratch/1.png' });
await page.click('.red-ui-tab:has-text("Examples")');
await page.screenshot({ path: '/tmp/scratch/2.png' });
const tree = page.locator('#red-ui-clipboard-dialog-import-tab-examples');
console.log(await tree.innerHTML().then(h=>h.slice(0,2000)));
await tree.locator('.red-ui-treeList-label', { hasText: '@twinflow/node-red-digital-twin' }).first().click();
await page.screenshot({ path: '/tmp/scratch/3.png' });
await tree.locator('.red-ui-treeList-label', { hasText: '01 Simulated pump twin' }).first().click();
await page.click('#red-ui-clipboard-dialog-import-opt-new');
await page.click('#red-ui-clipboard-dialog-ok');
await page.mouse.move(500, 400);
await page.mouse.click(500, 400);
await page.screenshot({ path: '/tmp/scratch/5.png' });
console.log(JSON.stringify(await page.evaluate(() => { const out: any[] = []; (window as any).RED.nodes.eachConfig((n: any) => { out.push([n.id, n.type, n.valid, n.validationErrors]); }); (window as any).RED.nodes.eachNode((n: any) => { if (!n.valid) out.push([n.id, n.type, n.valid, n.validationErrors]); }); return out; })));
await page.click('#red-ui-header-button-deploy');
await new Promise(r=>setTimeout(r,3000));
await page.screenshot({ path: '/tmp/scratch/6.png' });
} finally {
await context.close(); await demo.dispose();
}
