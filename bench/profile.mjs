/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time per function and per module
 * (an npm package, a dist/ file, or node's own internals), as shares of the sampled time.
 *
 *   node bench/profile.mjs <file.cpuprofile> [top]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** `file:///…/node_modules/csv-parse/dist/esm/index.js` → `csv-parse`; dist files keep their path. */
export function moduleOf(url) {
  if (url === '') return '(native / V8)';
  if (url.startsWith('node:')) return 'node internals';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const dist = url.indexOf('/dist/');
  if (dist !== -1) return url.slice(dist + 1);
  return url;
}

function shortUrl(url) {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) return url.slice(nm + '/node_modules/'.length);
  const dist = url.indexOf('/dist/');
  return dist !== -1 ? url.slice(dist + 1) : url;
}

/** Self time by function and by module, from a parsed .cpuprofile. Times in ms. */
export function summariseProfile(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  // timeDeltas[i] is the time before sample i; attribute it to sample i's node.
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const functions = new Map();
  const modules = new Map();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    totalUs += us;
    const special = ['(idle)', '(program)', '(garbage collector)'].includes(functionName);
    const mod = special ? functionName : moduleOf(url);
    modules.set(mod, (modules.get(mod) ?? 0) + us);
    const key = special ? functionName : `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}`;
    const entry = functions.get(key) ?? { name: key, module: mod, us: 0 };
    entry.us += us;
    functions.set(key, entry);
  }
  const toRows = (entries) =>
    entries
      .sort((a, b) => b.us - a.us)
      .map((e) => ({ ...e, ms: e.us / 1000, share: totalUs === 0 ? 0 : e.us / totalUs }));
  return {
    totalMs: totalUs / 1000,
    functions: toRows([...functions.values()]),
    modules: toRows([...modules].map(([name, us]) => ({ name, us }))),
  };
}

export function readProfile(path) {
  return summariseProfile(JSON.parse(readFileSync(path, 'utf8')));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [path, topText] = process.argv.slice(2);
  if (path === undefined) {
    process.stderr.write('usage: node bench/profile.mjs <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  const top = Number(topText ?? 25);
  const summary = readProfile(path);
  const pct = (share) => `${(share * 100).toFixed(1).padStart(5)} %`;
  process.stdout.write(`sampled ${(summary.totalMs / 1000).toFixed(2)} s\n\nby module (self time)\n`);
  for (const m of summary.modules.slice(0, top))
    process.stdout.write(`${pct(m.share)}  ${m.ms.toFixed(0).padStart(7)} ms  ${m.name}\n`);
  process.stdout.write('\nby function (self time)\n');
  for (const f of summary.functions.slice(0, top))
    process.stdout.write(`${pct(f.share)}  ${f.ms.toFixed(0).padStart(7)} ms  ${f.name}\n`);
}
