/** The user belongs to a tenant outside the strategy's `tenants` allow-list. */
export class TenantNotAllowedError extends Error {
  override readonly name = 'TenantNotAllowedError';
  constructor(readonly tenantKey: string | undefined) {
    super(
      tenantKey
        ? `Sign-in is limited to this organization's Feishu accounts; tenant ${tenantKey} is not allowed.`
        : 'Sign-in is limited to listed Feishu organizations, and Feishu sent no tenant_key for this user.',
    );
  }
}
