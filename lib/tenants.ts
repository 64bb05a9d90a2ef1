/** The user belongs to a tenant outside the strategy's `tenants` allow-list. */
export class TenantNotAllowedError extends Error {
  override readonly name = 'TenantNotAllowedError';
  /** 403, as the Passport failure the strategy turns it into. */
  readonly status = 403;
  readonly statusCode = 403;
  constructor(readonly tenantKey: string | undefined) {
    super(
      tenantKey
        ? // The key comes from Feishu's answer and ends up on failure pages: only a key-shaped one is quoted.
          `Sign-in is limited to this organization's Feishu accounts; tenant ${/^[\w-]{1,64}$/.test(tenantKey) ? tenantKey : '(not shown)'} is not allowed.`
        : 'Sign-in is limited to listed Feishu organizations, and Feishu sent no tenant_key for this user.',
    );
  }
}
