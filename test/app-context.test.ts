import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkedApp } from '../lib/apps/app-context.js';
import { BRAND_HOSTS } from '../lib/index.js';

/** docs/many-apps.md: what `resolveApp` answers gets the checks strategy options get. */
describe("resolveApp's answer, checked", () => {
  test('an answer that is not an object is a TypeError that says what to answer', () => {
    for (const answer of ['cli_x', 42, true]) {
      assert.throws(() => checkedApp(answer, 'v1'), { name: 'TypeError', message: /^FeishuStrategy: resolveApp must answer an app object/ }, String(answer));
    }
    assert.throws(() => checkedApp(null, 'v1'), { name: 'TypeError', message: /^FeishuStrategy: resolveApp must answer an app object/ });
  });

  test("a brand other than 'feishu' or 'lark' is a TypeError naming it; none is fine", () => {
    assert.throws(() => checkedApp({ clientID: 'cli_x', clientSecret: 's', brand: 'larksuite' }, 'v1'), {
      name: 'TypeError',
      message: `FeishuStrategy: an app's brand must be 'feishu' or 'lark', got "larksuite"`,
    });
    assert.equal(checkedApp({ clientID: 'cli_x', clientSecret: 's' }, 'v1').brand, undefined);
    assert.equal(checkedApp({ clientID: 'cli_x', clientSecret: 's', brand: 'lark' }, 'v1').brand, 'lark');
  });

  test("an app without a domain is on Feishu's hosts", () => {
    const app = checkedApp({ clientID: 'cli_x', clientSecret: 's' }, 'v1');
    assert.equal(app.domain, 'feishu');
    assert.deepEqual(app.hosts, BRAND_HOSTS.feishu);
  });
});
