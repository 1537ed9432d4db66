/**
 * The rules of Node-RED's packaging scorecard (what `node-red-dev validate` checks), on package.json and the packed
 * tarball: that tool needs network access these machines lack.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { NODE_TYPES } from '../support/node-types.mts';

const root = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const nodeRedPkg = JSON.parse(readFileSync(join(root, 'node_modules', 'node-red', 'package.json'), 'utf8'));

/** The node types fixed by the architecture; saved flows depend on these names. */

function lowestVersion(range: string): number[] {
  const match = /(\d+)\.(\d+)\.(\d+)/.exec(range) ?? /(\d+)/.exec(range);
  assert.ok(match, `no version in "${range}"`);
  return match.slice(1).map((n) => Number(n ?? 0));
}

function atLeast(a: number[], b: number[]): boolean {
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

describe('package: Node-RED scorecard rules', () => {
  it('has a scoped name and the node-red keyword', () => {
    assert.match(pkg.name, /^@[a-z0-9-]+\/node-red-[a-z0-9-]+$/);
    assert.ok(pkg.keywords.includes('node-red'));
  });

  it('declares a license with a LICENSE file, and a repository and bugs URL', () => {
    assert.equal(pkg.license, 'Apache-2.0');
    assert.match(readFileSync(join(root, 'LICENSE'), 'utf8'), /Apache License/);
    assert.match(pkg.repository.url, /^git\+https:\/\//);
    assert.match(pkg.bugs.url, /^https:\/\//);
  });

  it('declares Node-RED compatibility and an engines.node no lower than Node-RED needs', () => {
    assert.equal(pkg['node-red'].version, '>=4.0.0');
    assert.ok(atLeast(lowestVersion(pkg.engines.node), [18, 0, 0]), 'Node-RED 4 needs Node 18 or later');
    assert.ok(atLeast(lowestVersion(pkg.engines.node), lowestVersion(nodeRedPkg.engines.node)), `engines.node ${pkg.engines.node} is below Node-RED ${nodeRedPkg.version}'s ${nodeRedPkg.engines.node}`);
  });

  it('registers exactly the node types built so far, each with editor file, catalog and icon beside the built .js', () => {
    assert.deepEqual(Object.keys(pkg['node-red'].nodes).sort(), [...NODE_TYPES].sort());
    for (const [type, file] of Object.entries<string>(pkg['node-red'].nodes)) {
      const js = join(root, file);
      const dir = dirname(js);
      const name = basename(js, '.js');
      assert.ok(existsSync(js), `${file} is built`);
      const html = readFileSync(join(dir, `${name}.html`), 'utf8');
      assert.ok(html.includes(`registerType('${type}'`), `${name}.html registers ${type}`);
      assert.ok(html.includes(`data-help-name="${type}"`), `${type} has help text`);
      assert.ok(existsSync(join(dir, 'locales', 'en-US', `${name}.json`)), `${type} has a message catalog`);
      const icon = /icon:\s*'([^']+)'/.exec(html)?.[1];
      if (!/category:\s*'config'/.test(html)) {
        assert.ok(icon, `${type} names an icon`);
        assert.match(icon, /^twin-/, 'icon names are prefixed so they never clash with other packages');
        assert.ok(existsSync(join(dir, 'icons', icon)), `${icon} is copied beside ${file}`);
        assert.match(html, /category:\s*'digital twin'/);
      }
    }
  });

  it('has an example flow in examples/ for every flow node type', () => {
    const flows = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.json'));
    const used = new Set(flows.flatMap((f) => (JSON.parse(readFileSync(join(root, 'examples', f), 'utf8')) as Array<{ type: string }>).map((n) => n.type)));
    for (const type of NODE_TYPES) assert.ok(used.has(type), `no example uses ${type}`);
  });

  it('names, in every node\'s help, an example that exists and uses that node', () => {
    for (const type of NODE_TYPES) {
      const help = readFileSync(join(root, 'nodes', type, `${type}.html`), 'utf8');
      const named = [...help.matchAll(/Import → Examples → @twinflow\/node-red-digital-twin → (.*)\.<\/p>/g)].flatMap((m) => [...m[1]!.matchAll(/<i>([^<]+)<\/i>/g)].map((i) => i[1]!));
      assert.ok(named.length > 0, `the help of ${type} names no example`);
      for (const name of named) {
        const file = join(root, 'examples', `${name}.json`);
        assert.ok(existsSync(file), `${type}: no example "${name}"`);
        assert.ok((JSON.parse(readFileSync(file, 'utf8')) as Array<{ type: string }>).some((n) => n.type === type), `${type}: "${name}" does not use it`);
      }
    }
  });

  it('ships the built nodes, their editor files and icons, and the examples, and nothing of the tests', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const files = new Set((JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path));
    for (const file of Object.values<string>(pkg['node-red'].nodes)) {
      assert.ok(files.has(file), `${file} is shipped`);
      assert.ok(files.has(file.replace(/\.js$/, '.html')), `${file}'s editor file is shipped`);
    }
    assert.ok([...files].some((f) => f.startsWith('examples/')), 'examples are shipped');
    assert.ok([...files].some((f) => /^dist\/nodes\/[^/]+\/icons\/twin-.+\.svg$/.test(f)), 'icons are shipped');
    assert.ok(![...files].some((f) => f.startsWith('test/') || f.startsWith('dist/scripts/') || f.startsWith('flows/')), 'tests, scripts and the demo stay out');
  });
});
