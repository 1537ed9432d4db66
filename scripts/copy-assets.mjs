// Copies what Node-RED loads beside each built node .js: its editor .html, its locale catalogs, and the icons
// its editor file names. Node-RED looks for all three only next to the .js file.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const nodesDir = join(root, 'nodes');
const editorCommon = readFileSync(join(nodesDir, 'shared', 'editor-common.html'), 'utf8');
let copied = 0;
for (const name of readdirSync(nodesDir)) {
  const html = join(nodesDir, name, `${name}.html`);
  if (!existsSync(html)) continue;
  const out = join(root, 'dist', 'nodes', name);
  mkdirSync(out, { recursive: true });
  // One block of editor code shared by every node (validators that read a missing property as its default), and
  // parts shared by some (a form row and its help): `<!-- twin:part <name> -->` stands for nodes/shared/parts/<name>.html.
  const withParts = readFileSync(html, 'utf8').replace(/^[ \t]*<!-- twin:part ([\w-]+) -->\n/gm, (_, part) => {
    const file = join(nodesDir, 'shared', 'parts', `${part}.html`);
    if (!existsSync(file)) throw new Error(`${name}.html names part ${part}, which is not in nodes/shared/parts/`);
    // The part's first line is a comment saying what it is for; the node's file gets the rest.
    return readFileSync(file, 'utf8').split('\n').slice(1).join('\n');
  });
  writeFileSync(join(out, `${name}.html`), `${editorCommon}\n${withParts}`);
  const locales = join(nodesDir, name, 'locales');
  if (existsSync(locales)) cpSync(locales, join(out, 'locales'), { recursive: true });
  const icons = new Set([...readFileSync(html, 'utf8').matchAll(/icon:\s*["'](twin-[\w-]+\.svg)["']/g)].map((m) => m[1]));
  for (const icon of icons) {
    const source = join(root, 'icons', icon);
    if (!existsSync(source)) throw new Error(`${name}.html names icon ${icon}, which is not in icons/`);
    mkdirSync(join(out, 'icons'), { recursive: true });
    cpSync(source, join(out, 'icons', icon));
  }
  copied++;
}
console.log(`copied editor files, catalogs and icons for ${copied} nodes`);
