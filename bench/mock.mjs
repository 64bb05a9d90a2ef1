// The mock Feishu in its own process: consent 'auto', latency set by the parent per phase.
// The parent reads `mock.calls` over IPC before and after each round to count upstream calls.
import { createRequire } from 'node:module';
import { processStats, serveParent } from './procs.mjs';

const require = createRequire(import.meta.url);
const { DEFAULT_APP, startMockFeishu } = require('../dist/testing/index.js');

// One origin for every path, as passport-feishu and the floor take it; each app process
// listens on a free port, so the callback is registered with a wildcard port.
const mock = await startMockFeishu({
  consent: 'auto',
  latency: 0,
  singleOrigin: true,
  apps: [{ ...DEFAULT_APP, redirectUris: ['http://127.0.0.1:*/auth/feishu/callback', 'http://localhost:*/auth/feishu/callback'] }],
});

serveParent({
  setLatency: ({ ms }) => {
    mock.latency = ms;
    return ms;
  },
  calls: () => ({ ...mock.calls, server: mock.serverCalls }),
  stats: () => processStats(),
});

process.send({ type: 'ready', origin: mock.origin, appId: mock.app.appId, appSecret: mock.app.appSecret });
