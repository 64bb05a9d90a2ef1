// The load driver: virtual browsers that each keep their own cookies and walk whole logins
// over real HTTP on 127.0.0.1 with keep-alive:
//   GET app /login → 302 to the mock's authorize page → (consent 'auto') 302 to the callback
//   → GET app callback → 302 /profile → GET app /profile → 200 with the user.
// A round runs `logins` logins on `clients` concurrent browsers, bounded by a deadline.
import { Agent, request } from 'node:http';

const agents = new Map();
function agentFor(origin) {
  let agent = agents.get(origin);
  if (!agent) {
    // Idle sockets are dropped after 30 s, well before the servers' 65 s keep-alive timeout,
    // so a socket is never reused at the very moment its server closes it.
    agent = new Agent({ keepAlive: true, maxSockets: 1024, timeout: 30_000 });
    agents.set(origin, agent);
  }
  return agent;
}

function get(url, cookies, timeoutMs) {
  const headers = {};
  if (cookies && cookies.size) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: agentFor(new URL(url).origin), timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => {
        if (cookies) {
          for (const line of res.headers['set-cookie'] ?? []) {
            const pair = line.slice(0, line.indexOf(';') >>> 0);
            const eq = pair.indexOf('=');
            cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
          }
        }
        resolve({ status: res.statusCode, location: res.headers.location, body });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms: GET ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

function expect(res, status, step) {
  if (res.status !== status) throw new Error(`${step}: HTTP ${res.status} (wanted ${status}) ${res.location ?? res.body.slice(0, 200)}`);
  return res;
}

/** One whole login for one browser; resolves to its latency in ms. */
async function login(appOrigin, mockOrigin, cookies, timeoutMs) {
  const t0 = performance.now();
  const start = expect(await get(`${appOrigin}/login`, cookies, timeoutMs), 302, 'sign-in');
  if (!start.location?.startsWith(mockOrigin)) throw new Error(`sign-in: redirect to ${start.location}, not the mock`);
  const authorize = expect(await get(start.location, null, timeoutMs), 302, 'authorize');
  const callback = expect(await get(new URL(authorize.location, appOrigin).href, cookies, timeoutMs), 302, 'callback');
  if (callback.location !== '/profile') throw new Error(`callback: redirect to ${callback.location}`);
  const profile = expect(await get(`${appOrigin}/profile`, cookies, timeoutMs), 200, 'profile');
  if (!JSON.parse(profile.body).name) throw new Error(`profile: no user in ${profile.body.slice(0, 200)}`);
  return performance.now() - t0;
}

/** `count` browsers with empty cookie jars; they keep their cookies from round to round. */
export function createClients(count) {
  return Array.from({ length: count }, () => new Map());
}

/**
 * Runs up to `logins` logins spread over `clients`, stopping early at `deadlineMs`.
 * Resolves to { logins, errors, errorSamples, latencies (ms), wallMs }.
 */
export async function runRound({ appOrigin, mockOrigin, clients, logins, deadlineMs, timeoutMs = 10_000 }) {
  let started = 0;
  let errors = 0;
  const errorSamples = [];
  const latencies = [];
  const t0 = performance.now();
  const stopAt = t0 + deadlineMs;
  const browse = async (cookies) => {
    while (started < logins && performance.now() < stopAt) {
      started += 1;
      try {
        latencies.push(await login(appOrigin, mockOrigin, cookies, timeoutMs));
      } catch (err) {
        errors += 1;
        if (errorSamples.length < 5) errorSamples.push(err.message);
        cookies.clear();
      }
    }
  };
  await Promise.all(clients.map(browse));
  return { logins: latencies.length, errors, errorSamples, latencies, wallMs: performance.now() - t0 };
}

export function closeAgents() {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}
