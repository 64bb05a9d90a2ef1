import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { MissingIdError, parseProfile } from '../lib/index.js';
import { pickUserInfo } from '../lib/profile.js';

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures', `${name}.json`), 'utf8')) as Record<string, unknown>;
}
const data = (name: string) => fixture(name).data as Record<string, unknown>;

describe('parseProfile', () => {
  test('maps a full user_info answer', () => {
    const json = pickUserInfo(data('user_info'));
    const profile = parseProfile(json, { provider: 'feishu' });
    assert.equal(profile.provider, 'feishu');
    assert.equal(profile.id, 'ou_caecc734c2e3328a62489fe0648c4b98');
    assert.equal(profile.displayName, 'zhangsan');
    assert.equal(profile.openId, 'ou_caecc734c2e3328a62489fe0648c4b98');
    assert.equal(profile.unionId, 'on_d89jhsdhjsajkda7828enjdj328ydhhw3u');
    assert.equal(profile.userId, '5d9bdxxx');
    assert.equal(profile.tenantKey, '736588c92lxf175d');
    assert.equal(profile.enName, 'Three Zhang');
    assert.deepEqual(profile.emails, [
      { value: 'zhangsan@feishu.cn', type: 'work' },
      { value: 'demo@mail.com', type: 'enterprise' },
    ]);
    assert.deepEqual(
      profile.photos?.map((p) => /image_size=(\d+x\d+)/.exec(p.value)?.[1]),
      ['72x72', '240x240', '640x640'],
      'distinct avatar sizes, smallest first',
    );
    assert.deepEqual(profile._json, json);
    assert.deepEqual(JSON.parse(profile._raw), json);
  });

  test('leaves out what Feishu left empty: no empty emails, no userId', () => {
    const profile = parseProfile(pickUserInfo(data('user_info_minimal')), { provider: 'lark' });
    assert.equal(profile.provider, 'lark');
    assert.equal(profile.emails, undefined);
    assert.equal(profile.userId, undefined);
    assert.equal(profile.enName, undefined);
    assert.equal(profile.photos?.length, 1);
  });

  test('reads the suite userinfo (sub, picture)', () => {
    const profile = parseProfile(pickUserInfo(fixture('suite_userinfo')), { provider: 'feishu' });
    assert.equal(profile.id, 'ou_caecc734c2e3328a62489fe0648c4b98');
    assert.equal(profile.photos?.[0]?.value, 'https://s3-fs.pstatp.com/static-resource/v1/v2_abc~?image_size=72x72');
  });

  test('idField chooses profile.id', () => {
    const json = pickUserInfo(data('user_info'));
    assert.equal(parseProfile(json, { provider: 'feishu', idField: 'union_id' }).id, 'on_d89jhsdhjsajkda7828enjdj328ydhhw3u');
    assert.equal(parseProfile(json, { provider: 'feishu', idField: 'user_id' }).id, '5d9bdxxx');
  });

  test('a missing chosen id throws, naming the permission', () => {
    assert.throws(() => parseProfile(pickUserInfo(data('user_info_minimal')), { provider: 'feishu', idField: 'user_id' }), (err: unknown) => {
      assert.ok(err instanceof MissingIdError);
      assert.match(err.message, /contact:user\.employee_id:readonly/);
      return true;
    });
    assert.throws(() => parseProfile({ name: 'no ids' }, { provider: 'feishu' }), MissingIdError);
  });

  test('pickUserInfo drops token fields from the v1 token answer', () => {
    const picked = pickUserInfo(data('v1_token'));
    assert.equal(picked.open_id, 'ou_caecc734c2e3328a62489fe0648c4b98');
    const text = JSON.stringify(picked);
    assert.ok(!text.includes('u-6U1SbDiM6XIH2DcTCPyeub'));
    assert.ok(!text.includes('ur-t9HHgRCjMqGqIU9v05Zhos'));
    assert.ok(!('sid' in picked));
  });

  test('non-string fields are ignored rather than trusted', () => {
    const picked = pickUserInfo({ open_id: 'ou_x', name: { evil: true }, email: ['a@b.c'] });
    assert.deepEqual(picked, { open_id: 'ou_x' });
  });
});
