import { planWithFreeNames } from '../../client/free-names.js';
import type { PlanRequest } from '../../session/planning.js';
import { Session, type View } from '../../session/session.js';
import type { SessionKind } from '../../session/session-files.js';
import { loadView } from '../load-view.js';
import { formationRequest, noteManager, outputChoices, supervisionChoices, type FormationOptions, type RunOptions } from '../context.js';

/** Run a session of the bench until it ends: the body of `fbench start` and `fbench workers`. */
export async function runSession(kind: SessionKind, request: PlanRequest, opts: RunOptions): Promise<number> {
  const planned = await planWithFreeNames(kind, request);
  const supervision = supervisionChoices(opts, process.env);
  const view: View | undefined = supervision.ui ? async (socket) => (await loadView())({ sockets: [socket], own: true }) : undefined;
  const session = new Session({
    kind,
    planned,
    // Edits to the inputs re-plan the running session; only what changed is restarted.
    replan: { build: () => planWithFreeNames(kind, request), files: planned.inputs },
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
