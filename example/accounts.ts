import { randomUUID } from 'node:crypto';
import { MemoryCache, type FeishuCache, type FeishuProfile } from 'passport-feishu-oauth2';

/** One way into an account: a Feishu (or Lark) user of this app, or the demo password. */
export interface Identity {
  provider: 'feishu' | 'lark' | 'local';
  /** For Feishu, the open_id: stable for one user of one app. */
  id: string;
  displayName: string;
  enName?: string;
  avatar?: string;
  unionId?: string;
  userId?: string;
  tenantKey?: string;
}

export interface Account {
  id: string;
  name: string;
  identities: Identity[];
}

export function identityOf(profile: FeishuProfile): Identity {
  return {
    provider: profile.provider,
    id: profile.id,
    displayName: profile.displayName,
    enName: profile.enName,
    avatar: profile.photos?.[0]?.value,
    unionId: profile.unionId,
    userId: profile.userId,
    tenantKey: profile.tenantKey,
  };
}

/** As long as the example's session cookie lives. */
const DEMO_ACCOUNT_TTL_MS = 7 * 24 * 3600 * 1000;

/** How many demo accounts the default demo store holds (two entries each: the account and its password identity). */
export const DEMO_ACCOUNTS_CAP = 10_000;

export class IdentityTakenError extends Error {
  override readonly name = 'IdentityTakenError';
}

/**
 * Accounts keyed by `provider + id`. Never by email: Feishu emails are typed in by tenant
 * admins and not verified, so matching on them would let one tenant claim another's users.
 * The store is Keyv-shaped, so Redis (or your database) can stand in for the memory map.
 *
 * Demo accounts live in a store of their own: anyone can make one (type demo / demo), so
 * in the same bounded store a flood of them would push out real accounts and their Feishu
 * links. Filling the demo store only ever evicts other demo accounts.
 */
export class Accounts {
  constructor(
    private readonly store: FeishuCache = new MemoryCache(100_000),
    private readonly demoStore: FeishuCache = new MemoryCache(2 * DEMO_ACCOUNTS_CAP),
  ) {}

  async get(id: string): Promise<Account | undefined> {
    const key = `account:${id}`;
    return ((await this.store.get(key)) ?? (await this.demoStore.get(key))) as Account | undefined;
  }

  /**
   * A new, empty account for whoever typed the demo password. One shared demo account
   * would show every visitor the Feishu ids the previous one linked; a fresh one per
   * sign-in shows each visitor only what they did themselves.
   */
  async createDemo(): Promise<Account> {
    return this.attach({ id: randomUUID(), name: 'Demo User', identities: [] }, { provider: 'local', id: randomUUID(), displayName: 'demo' });
  }

  /** The account holding this identity, or a new one; the identity's details are refreshed. */
  async signIn(identity: Identity): Promise<Account> {
    const owner = await this.owner(identity);
    const account = owner ?? { id: randomUUID(), name: identity.displayName, identities: [] };
    return this.attach(account, identity);
  }

  /** Adds an identity to a signed-in account, unless another account already holds it. */
  async link(accountId: string, identity: Identity): Promise<Account> {
    const account = await this.get(accountId);
    if (!account) throw new Error(`No account ${accountId}`);
    const owner = await this.owner(identity);
    if (owner && owner.id !== account.id) {
      throw new IdentityTakenError(`This ${label(identity.provider)} user is already linked to another account. Sign out, then sign in with ${label(identity.provider)} to use it.`);
    }
    return this.attach(account, identity);
  }

  private async owner(identity: Identity): Promise<Account | undefined> {
    const key = identityKey(identity);
    const accountId = ((await this.store.get(key)) ?? (await this.demoStore.get(key))) as string | undefined;
    return accountId ? this.get(accountId) : undefined;
  }

  private async attach(account: Account, identity: Identity): Promise<Account> {
    const others = account.identities.filter((i) => !(i.provider === identity.provider && i.id === identity.id));
    const updated: Account = { ...account, identities: [...others, identity] };
    // Anyone can make demo accounts, so they expire (with what was linked to them) rather than
    // pile up, and they live apart from real accounts.
    const demo = updated.identities.some((i) => i.provider === 'local');
    const [store, ttl] = demo ? [this.demoStore, DEMO_ACCOUNT_TTL_MS] : [this.store, undefined];
    await store.set(`account:${updated.id}`, updated, ttl);
    await store.set(identityKey(identity), updated.id, ttl);
    return updated;
  }
}

function identityKey(identity: Pick<Identity, 'provider' | 'id'>): string {
  return `identity:${identity.provider}:${identity.id}`;
}

export function label(provider: Identity['provider']): string {
  return provider === 'lark' ? 'Lark' : provider === 'feishu' ? 'Feishu' : 'Password';
}
