// Runs an MCP server over stdio and appends each "tools/call" request it is sent to a file, one JSON line
// each, so that a test can count the tool calls a run made (a rerun on a finished run directory must make none).
// Usage: node log-tool-calls.js LOG_FILE SERVER_SCRIPT [SERVER_ARGS...]
const { spawn } = require('node:child_process');
const fs = require('node:fs');

const [log, ...server] = process.argv.slice(2);
const child = spawn(process.execPath, server, { stdio: ['pipe', 'inherit', 'inherit'] });
let pending = '';
process.stdin.on('data', chunk => {
  // Messages are newline-delimited JSON; a chunk may end inside one.
  pending += chunk.toString('utf8');
  const lines = pending.split('\n');
  pending = lines.pop();
  for (const line of lines) {
    if (line.includes('"tools/call"')) fs.appendFileSync(log, line + '\n');
  }
  child.stdin.write(chunk);
});
process.stdin.on('end', () => child.stdin.end());
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => child.kill(signal));
child.on('exit', code => process.exit(code ?? 0));
