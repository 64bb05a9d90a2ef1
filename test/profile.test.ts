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

describe('parseProfile, field by field', () => {
  const ALL = {
    name: '张三', en_name: 'San Zhang', avatar_url: 'https://a/url', avatar_thumb: 'https://a/thumb', avatar_middle: 'https://a/middle', avatar_big: 'https://a/big',
    open_id: 'ou_1', union_id: 'on_1', user_id: 'u_1', tenant_key: 't_1', email: 'e@a', enterprise_email: 'ee@a', mobile: '+86100', employee_no: '007', sub: 'ou_1', picture: 'https://a/url',
  };

  test('pickUserInfo keeps every user field Feishu documents', () => {
    assert.deepEqual(pickUserInfo({ ...ALL, access_token: 'u-x', refresh_token: 'ur-x', expires_in: 7200 }), ALL);
  });

  test('an id Feishu sent empty counts as missing; the error names the field', () => {
    for (const idField of ['open_id', 'union_id', 'user_id'] as const) {
      assert.throws(() => parseProfile({ ...ALL, [idField]: '', sub: '' }, { provider: 'feishu', idField }), (err: unknown) => {
        assert.ok(err instanceof MissingIdError);
        assert.equal(err.name, 'MissingIdError');
        assert.equal(err.idField, idField);
        assert.match(err.message, new RegExp(`\\b${idField}\\b`));
        return true;
      });
    }
  });

  test('open_id falls back to the suite answer\'s sub, for the id and for openId', () => {
    const profile = parseProfile({ sub: 'ou_from_sub', union_id: 'on_1' }, { provider: 'feishu' });
    assert.equal(profile.id, 'ou_from_sub');
    assert.equal(profile.openId, 'ou_from_sub');
    assert.equal(parseProfile({ sub: 'ou_from_sub', union_id: 'on_1' }, { provider: 'feishu', idField: 'union_id' }).openId, 'ou_from_sub');
  });

  test('displayName is name, else en_name, else empty', () => {
    assert.equal(parseProfile({ open_id: 'ou_1', name: '', en_name: 'San Zhang' }, { provider: 'feishu' }).displayName, 'San Zhang');
    assert.equal(parseProfile({ open_id: 'ou_1' }, { provider: 'feishu' }).displayName, '');
  });

  test('a user with nothing but an id has no emails, photos or optional ids at all', () => {
    const profile = parseProfile({ open_id: 'ou_1', union_id: '', user_id: '', tenant_key: '', en_name: '', email: '', enterprise_email: '', avatar_url: '' }, { provider: 'lark' });
    assert.deepEqual(Object.keys(profile).sort(), ['_json', '_raw', 'displayName', 'id', 'openId', 'provider']);
  });

  test('only the enterprise email, when that is all there is', () => {
    assert.deepEqual(parseProfile({ open_id: 'ou_1', enterprise_email: 'ee@a' }, { provider: 'feishu' }).emails, [{ value: 'ee@a', type: 'enterprise' }]);
  });

  test('photos: avatar_url (or the suite\'s picture) first, then the sizes, each once', () => {
    assert.deepEqual(parseProfile(ALL, { provider: 'feishu' }).photos, [{ value: 'https://a/url' }, { value: 'https://a/thumb' }, { value: 'https://a/middle' }, { value: 'https://a/big' }]);
    assert.deepEqual(parseProfile({ open_id: 'ou_1', picture: 'https://a/pic', avatar_big: 'https://a/pic' }, { provider: 'feishu' }).photos, [{ value: 'https://a/pic' }]);
  });

  test('_raw is the text given, or else the JSON of the fields', () => {
    assert.equal(parseProfile({ open_id: 'ou_1' }, { provider: 'feishu', raw: '{"open_id":"ou_1","extra":1}' })._raw, '{"open_id":"ou_1","extra":1}');
    assert.equal(parseProfile({ open_id: 'ou_1' }, { provider: 'feishu' })._raw, '{"open_id":"ou_1"}');
  });
});
