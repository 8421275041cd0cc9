import { FbenchError, formatError } from '../../errors.js';
import { findBench } from '../../frappe/discover.js';
import { packageVersion } from '../../paths.js';
import { serveStdio } from '../../mcp/server.js';

/**
 * `fbench mcp`: the bench's MCP server on stdio, until the client leaves. Outside a bench it
 * serves all the same (editors start it wherever they are), each tool saying why it cannot answer.
 */
export async function mcpCommand(opts: { bench?: string; readOnly?: boolean }): Promise<number> {
  let bench = opts.bench ?? process.cwd();
  let unavailable: string | undefined;
  try {
    bench = findBench(opts.bench, process.cwd());
  } catch (err) {
    if (!(err instanceof FbenchError)) throw err;
    unavailable = formatError(err);
  }
  await serveStdio(bench, { readOnly: opts.readOnly === true, version: packageVersion(), ...(unavailable ? { unavailable } : {}) });
  return 0;
}
