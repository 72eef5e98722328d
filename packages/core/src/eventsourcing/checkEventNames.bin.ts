/**
 * `npm run check:names [-- module…]`: imports the given modules (which declare deciders or
 * @Aggregate classes) and checks every declared event type against the naming rule. Exits 1 on a
 * violation so CI fails. `--types A,B --aggregate Order` checks names given on the command line.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkEventNames } from './checkEventNames.js';
import { declaredEventTypes } from './decider.js';

const args = process.argv.slice(2);
const modules: string[] = [];
const adHoc: { aggregate?: string; eventTypes: string[] }[] = [];
let aggregate: string | undefined;
for (let i = 0; i < args.length; i++) {
  const arg = args[i] as string;
  if (arg === '--aggregate') aggregate = args[++i];
  else if (arg === '--types') adHoc.push({ eventTypes: (args[++i] ?? '').split(',').filter(Boolean) });
  else modules.push(arg);
}
if (aggregate) for (const entry of adHoc) entry.aggregate = aggregate;
if (modules.length === 0 && adHoc.length === 0) {
  console.error('usage: check-event-names <module.ts>… | --types OrderPlaced,PlaceOrder [--aggregate Order]');
  process.exit(2);
}
for (const file of modules) await import(pathToFileURL(resolve(file)).href);
const declarations = [...[...declaredEventTypes()].map(([name, eventTypes]) => ({ aggregate: name, eventTypes })), ...adHoc];
const violations = checkEventNames(declarations);
const checked = declarations.reduce((n, d) => n + d.eventTypes.length, 0);
for (const v of violations) console.error(`✗ ${v.aggregate ? `${v.aggregate}: ` : ''}${v.message} [${v.rule}]`);
console.log(`${checked} event type(s) in ${declarations.length} declaration(s) checked, ${violations.length} violation(s).`);
process.exit(violations.length > 0 ? 1 : 0);
