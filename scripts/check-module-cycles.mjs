#!/usr/bin/env node
/**
 * Fails when modules import each other in a cycle (src/modules/<a> → … → <a>), counting every import,
 * type-only ones too: a cycle means two modules cannot be understood, tested or replaced apart. Part of
 * `npm run check`. Dependencies point one way: front doors and subscribers → cases → services, routing,
 * areas → lib, infra, db (docs/architecture.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const modules = path.join(root, 'src/modules');
const moduleOf = (file) => {
  const relative = path.relative(modules, file);
  return relative.startsWith('..') ? null : relative.split(path.sep)[0];
};

/** module → module → one file that makes the edge (to say where a cycle comes from). */
const edges = new Map();
(function walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(file);
    else if (/\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name)) {
      const from = moduleOf(file);
      if (!from) continue;
      const source = fs.readFileSync(file, 'utf8');
      for (const [, specifier] of source.matchAll(
        /(?:(?:import|export)\s[^'"]*?(?:from\s+)?|import\()['"](\.[^'"]+)['"]/g,
      )) {
        const to = moduleOf(path.resolve(path.dirname(file), specifier));
        if (!to || to === from) continue;
        if (!edges.has(from)) edges.set(from, new Map());
        if (!edges.get(from).has(to)) edges.get(from).set(to, path.relative(root, file));
      }
    }
  }
})(modules);

// Tarjan's strongly connected components: any component of more than one module is a cycle.
let index = 0;
const stack = [];
const onStack = new Set();
const indices = new Map();
const lowLinks = new Map();
const cycles = [];
function connect(v) {
  indices.set(v, index);
  lowLinks.set(v, index++);
  stack.push(v);
  onStack.add(v);
  for (const w of edges.get(v)?.keys() ?? []) {
    if (!indices.has(w)) {
      connect(w);
      lowLinks.set(v, Math.min(lowLinks.get(v), lowLinks.get(w)));
    } else if (onStack.has(w)) lowLinks.set(v, Math.min(lowLinks.get(v), indices.get(w)));
  }
  if (lowLinks.get(v) === indices.get(v)) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) cycles.push(component.sort());
  }
}
for (const v of edges.keys()) if (!indices.has(v)) connect(v);

if (cycles.length === 0) {
  console.log(`No import cycle between the ${edges.size} modules that import others.`);
  process.exit(0);
}
for (const cycle of cycles) {
  console.error(`Modules import each other in a cycle: ${cycle.join(', ')}`);
  for (const from of cycle)
    for (const [to, file] of edges.get(from) ?? [])
      if (cycle.includes(to)) console.error(`  ${from} → ${to} (for example ${file})`);
}
process.exit(1);
