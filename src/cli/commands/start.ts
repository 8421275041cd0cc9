import { withFreeNames } from '../../plan/formation.js';
import { namesInUse } from '../../client/control-client.js';
import { planBench, type PlanRequest, type Planned } from '../../session/planning.js';
import { Session, type View } from '../../session/session.js';
import type { SessionKind } from '../../session/session-files.js';
import { loadView } from '../load-view.js';
import { formationRequest, noteManager, outputChoices, supervisionChoices, type FormationOptions, type RunOptions } from '../context.js';

/** Plan the bench, naming every process as no other session of it does. */
async function planFree(kind: SessionKind, request: PlanRequest): Promise<Planned> {
  const planned = await planBench(request);
  const taken = await namesInUse(planned.plan.bench, kind);
  return taken.length ? { ...planned, plan: { ...planned.plan, processes: withFreeNames(planned.plan.processes, taken) } } : planned;
}

/** Run a session of the bench until it ends: the body of `fbench start` and `fbench workers`. */
export async function runSession(kind: SessionKind, request: PlanRequest, opts: RunOptions): Promise<number> {
  const planned = await planFree(kind, request);
  const supervision = supervisionChoices(opts, process.env);
  const view: View | undefined = supervision.ui ? async (socket) => (await loadView())({ sockets: [socket], own: true }) : undefined;
  const session = new Session({
    kind,
    planned,
    // Edits to the inputs re-plan the running session; only what changed is restarted.
    replan: { build: () => planFree(kind, request), files: planned.inputs },
    supervision,
    output: outputChoices(opts),
    env: process.env,
    ...(view ? { view } : {}),
  });
  return session.untilEnd();
}

export function startCommand(processes: string[], opts: RunOptions & FormationOptions): Promise<number> {
  noteManager(opts);
  return runSession('start', formationRequest(opts, processes), opts);
}
