import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { MAX_PER_TYPE } from '../config/numbers.js';
import { FbenchError } from '../errors.js';
import { ROLES, type Role } from './roles.js';

/** Which queues a worker process listens to: named ones, or a set the bench defines. */
export type QueueSelection = string[] | 'all' | 'standard';

export interface WorkerGroup {
  queues: QueueSelection;
  /** Instances; when absent, `background_workers` decides. */
  count?: number;
}

export type WorkerFormation =
  | { kind: 'procfile' }
  /** One worker process per queue of the set. */
  | { kind: 'each'; set: 'all' | 'standard'; count?: number }
  | { kind: 'groups'; groups: WorkerGroup[] };

/**
 * A preset: which processes run and how workers are split. Format (presets/*.yaml):
 *
 *   description: text                        (required)
 *   roles: [redis, web, worker, ...]          keep only these roles (default: all)
 *   exclude: [watch, ...]                     leave out these Procfile names or roles
 *   workers: procfile                         keep the Procfile's worker lines (default)
 *          | {each: standard|all, count: N}   one worker per queue of the set
 *          | [{queues: [a, b] | all | standard, count: N}, ...]
 */
export interface Preset {
  name: string;
  description: string;
  roles?: Role[];
  exclude: string[];
  workers: WorkerFormation;
  /** Where it was read from. */
  file: string;
}

const KEYS = ['description', 'roles', 'exclude', 'workers'];

/** Parse and validate a preset file; errors name the file, line and what is allowed. Pure. */
export function parsePreset(name: string, text: string, file: string): Preset {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  const fail = (message: string, node: Node | null | undefined, hint: string): never => {
    const pos = node?.range ? lc.linePos(node.range[0]) : undefined;
    throw new FbenchError(`invalid preset: ${message}`, hint, { file, ...(pos ? { line: pos.line, column: pos.col } : {}) });
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new FbenchError(`invalid YAML: ${e.message.split('\n')[0]}`, 'fix the YAML syntax', {
      file,
      line: e.linePos?.[0].line ?? 1,
      column: e.linePos?.[0].col ?? 1,
    });
  }
  const root = doc.contents;
  if (!isMap(root)) return fail('the file must be a mapping of keys', root, `allowed keys: ${KEYS.join(', ')}`);
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!KEYS.includes(key)) fail(`unknown key "${key}"`, pair.key as Node, `allowed keys: ${KEYS.join(', ')}`);
  }

  const description = node(doc, ['description']);
  if (!isScalar(description) || typeof description.value !== 'string' || description.value.trim() === '') {
    return fail('"description" is required: one line saying what the preset is for', description ?? root, 'add description: ...');
  }
  const roles = node(doc, ['roles']);
  let roleList: Role[] | undefined;
  if (roles) {
    roleList = stringList(roles, fail, '"roles" must be a list of roles').map((r, i) => {
      if (!(ROLES as readonly string[]).includes(r)) fail(`unknown role "${r}"`, (roles as { items: Node[] }).items[i], `roles are: ${ROLES.join(', ')}`);
      return r as Role;
    });
  }
  const exclude = node(doc, ['exclude']);
  const excludeList = exclude ? stringList(exclude, fail, '"exclude" must be a list of Procfile names or roles') : [];

  return {
    name,
    description: description.value.trim(),
    ...(roleList ? { roles: roleList } : {}),
    exclude: excludeList,
    workers: workers(node(doc, ['workers']), fail),
    file,
  };
}

type Fail = (message: string, node: Node | null | undefined, hint: string) => never;
const WORKERS_HINT = 'workers: procfile | {each: standard|all, count: N} | a list of {queues: [a, b] | all | standard, count: N}';

function workers(n: Node | null | undefined, fail: Fail): WorkerFormation {
  if (!n) return { kind: 'procfile' };
  if (isScalar(n)) {
    if (n.value === 'procfile') return { kind: 'procfile' };
    return fail(`"workers: ${String(n.value)}" is not a formation`, n, WORKERS_HINT);
  }
  if (isMap(n)) {
    const each = n.get('each', true) as Node | undefined;
    if (!isScalar(each) || (each.value !== 'all' && each.value !== 'standard')) return fail('"each" must be standard or all', each ?? n, WORKERS_HINT);
    const count = countOf(n.get('count', true) as Node | undefined, fail);
    for (const pair of n.items) {
      const k = isScalar(pair.key) ? String(pair.key.value) : '';
      if (k !== 'each' && k !== 'count') fail(`unknown key "${k}" under workers`, pair.key as Node, WORKERS_HINT);
    }
    return { kind: 'each', set: each.value, ...(count !== undefined ? { count } : {}) };
  }
  if (isSeq(n)) {
    if (n.items.length === 0) return fail('"workers" lists no worker', n, WORKERS_HINT);
    const groups = n.items.map((item) => {
      if (!isMap(item)) return fail('each worker must be a mapping with "queues"', item as Node, WORKERS_HINT);
      for (const pair of item.items) {
        const k = isScalar(pair.key) ? String(pair.key.value) : '';
        if (k !== 'queues' && k !== 'count') fail(`unknown key "${k}" in a worker`, pair.key as Node, WORKERS_HINT);
      }
      const q = item.get('queues', true) as Node | undefined;
      let queues: QueueSelection;
      if (isScalar(q) && (q.value === 'all' || q.value === 'standard')) queues = q.value;
      else if (q && isSeq(q)) queues = stringList(q, fail, '"queues" must be a list of queue names, all or standard');
      else return fail('each worker needs "queues": a list of queue names, all or standard', q ?? item, WORKERS_HINT);
      const count = countOf(item.get('count', true) as Node | undefined, fail);
      return { queues, ...(count !== undefined ? { count } : {}) };
    });
    return { kind: 'groups', groups };
  }
  return fail('"workers" has the wrong shape', n, WORKERS_HINT);
}

function countOf(n: Node | undefined, fail: Fail): number | undefined {
  if (!n) return undefined;
  if (isScalar(n) && typeof n.value === 'number' && Number.isInteger(n.value) && n.value >= 0 && n.value <= MAX_PER_TYPE) return n.value;
  return fail(`"count" must be a whole number from 0 to ${MAX_PER_TYPE}`, n, 'for example count: 2');
}

function stringList(n: Node, fail: Fail, message: string): string[] {
  if (!isSeq(n)) return fail(message, n, 'write it as [a, b] or as a "- item" list');
  return n.items.map((item) => (isScalar(item) && typeof item.value === 'string' ? item.value : fail(message, item as Node, 'each item is a plain name')));
}

function node(doc: Document, path: string[]): Node | null | undefined {
  return doc.getIn(path, true) as Node | null | undefined;
}
