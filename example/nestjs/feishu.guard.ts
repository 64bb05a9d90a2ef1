import { Injectable, UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';

/**
 * Runs the 'feishu' strategy: on the sign-in route it redirects to Feishu, on the callback
 * it signs the user in and keeps them in the session (`logIn`). A failure (Deny, a used code,
 * a bad state) is a 401 carrying Passport's reason.
 */
@Injectable()
export class FeishuAuthGuard extends AuthGuard('feishu') {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const activated = (await super.canActivate(context)) as boolean;
    await super.logIn(context.switchToHttp().getRequest<Request>());
    return activated;
  }

  override handleRequest<User>(err: Error | null, user: User | false, info: { message?: string } | undefined): User {
    if (err) throw err;
    if (!user) throw new UnauthorizedException(info?.message ?? 'Feishu did not sign you in.');
    return user;
  }
}
