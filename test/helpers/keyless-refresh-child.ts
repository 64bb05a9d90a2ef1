import { createPrivateKey } from 'node:crypto';
import { FeishuStrategy, type FeishuHosts } from '../../lib/index.js';
import { signJwt, validClaims } from './assertions.js';

/**
 * A keyless app's refresh through a GDPR proxy, in a process of its own: only a process
 * started with NODE_EXTRA_CA_CERTS trusts the test's self-signed proxy certificate, and the
 * strategy must verify the proxy's TLS as it would Feishu's. Reports the outcome over IPC.
 */

export interface RefreshJob {
  readonly hosts: FeishuHosts;
  readonly appId: string;
  /** PKCS#8 PEM of the app's assertion key. */
  readonly keyPem: string;
  readonly targetService: string;
  readonly targetPrefix: string;
  readonly refreshToken: string;
}

export type RefreshOutcome = { ok: true; scope: string | undefined; audiences: string[] } | { ok: false; name: string; message: string; cause: string | undefined; audiences: string[] };

async function run(job: RefreshJob): Promise<RefreshOutcome> {
  const key = createPrivateKey(job.keyPem);
  const audiences: string[] = [];
  const strategy = new FeishuStrategy(
    {
      clientID: job.appId,
      flow: 'v3',
      domain: job.hosts,
      allowLoopbackProxy: true,
      clientAssertion: (audience) => {
        audiences.push(audience);
        return { value: signJwt(key, validClaims(job.appId, audience)), targetInfo: { targetService: job.targetService, targetPrefix: job.targetPrefix } };
      },
    },
    (_at, _rt, _profile, done) => done(null),
  );
  try {
    const tokens = await strategy.refreshAccessToken(job.refreshToken);
    return { ok: true, scope: tokens.scope, audiences };
  } catch (err) {
    const e = err as Error & { oauthError?: { kind?: string } };
    return { ok: false, name: e.name, message: e.message, cause: e.oauthError?.kind, audiences };
  }
}

process.once('message', (job: RefreshJob) => {
  void run(job).then((outcome) => process.send?.(outcome, () => process.exit(0)));
});
