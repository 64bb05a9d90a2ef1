// The mock Feishu in its own process: consent 'auto', latency set by the parent per phase.
// The parent reads `mock.calls` over IPC before and after each round to count upstream calls.
import { createRequire } from 'node:module';
import { processStats, serveParent } from './procs.mjs';

const require = createRequire(import.meta.url);
const { startMockFeishu } = require('../dist/testing/index.js');

const mock = await startMockFeishu({ consent: 'auto', latency: 0 });

serveParent({
  setLatency: ({ ms }) => {
    mock.latency = ms;
    return ms;
  },
  calls: () => ({ ...mock.calls, server: mock.serverCalls }),
  stats: () => processStats(),
});

process.send({ type: 'ready', origin: mock.origin, appId: mock.app.appId, appSecret: mock.app.appSecret });
