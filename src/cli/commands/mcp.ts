import { findBench } from '../../frappe/discover.js';
import { packageVersion } from '../../paths.js';
import { serveStdio } from '../../mcp/server.js';

/** `fbench mcp`: the bench's MCP server on stdio, until the client leaves. */
export async function mcpCommand(opts: { bench?: string; readOnly?: boolean }): Promise<number> {
  const bench = findBench(opts.bench, process.cwd());
  await serveStdio(bench, { readOnly: opts.readOnly === true, version: packageVersion() });
  return 0;
}
