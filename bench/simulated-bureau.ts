// The SIMULATED credit bureau and identity check served by a process of their own, as a real provider would be:
//   node --import tsx bench/simulated-bureau.ts PORT
// bench/api.ts starts it so the decision service under test calls its external sources over loopback without also
// serving them (the demo's default is the service serving them itself). It prints `ready` once listening.
import { createServer } from 'node:http';
import { handleSimulatedSource } from '../src/variables/simulated-sources.ts';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65_535) {
  process.stderr.write('usage: simulated-bureau.ts PORT (an integer 1-65535)\n');
  process.exit(2);
}
const server = createServer((req, res) => {
  if (handleSimulatedSource(req, res)) return;
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end('{"error":"not found"}');
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
