import type { runView } from '../ui/view.js';

/**
 * The full-screen view, loaded once fbench knows stdout is a terminal. Ink reads CI and
 * CONTINUOUS_INTEGRATION when it loads and then draws nothing until it exits (a blank screen
 * in a terminal whose shell exports CI=true): they are hidden from it while it loads, and put
 * back for the processes fbench starts.
 */
export async function loadView(): Promise<typeof runView> {
  const saved = { CI: process.env.CI, CONTINUOUS_INTEGRATION: process.env.CONTINUOUS_INTEGRATION };
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  try {
    return (await import('../ui/view.js')).runView;
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
  }
}
