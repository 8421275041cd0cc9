import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { REPO } from './sample-bench.js';

/** Every schema the package ships (schemas/<command>.json), loaded once; they refer to each other by name. */
const ajv = new Ajv2020({ strict: true, validateFormats: false, allErrors: true });
for (const f of readdirSync(path.join(REPO, 'schemas')).filter((n) => n.endsWith('.json'))) {
  ajv.addSchema(JSON.parse(readFileSync(path.join(REPO, 'schemas', f), 'utf8')) as object);
}

/** Why `value` does not fit `schemas/<name>.json`, or null when it does (moments checked as ISO 8601 too). */
export function schemaMisfit(name: string, value: unknown): string | null {
  const validate = ajv.getSchema(`https://github.com/fbench/fbench/schemas/${name}.json`);
  if (!validate) return `no schemas/${name}.json`;
  if (!validate(value)) return ajv.errorsText(validate.errors);
  const bad = JSON.stringify(value)
    .match(/"(?:at|firstAt|time|startedAt|failedAt|lastSave)":"([^"]*)"/g)
    ?.find((m) => !/"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"$/.test(m.slice(m.indexOf(':') + 1)));
  return bad ? `not an ISO 8601 moment: ${bad}` : null;
}
