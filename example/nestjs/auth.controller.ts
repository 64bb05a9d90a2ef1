import { Controller, Get, Header, Redirect, Req, UnauthorizedException, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import { FeishuAuthGuard } from './feishu.guard.js';

@Controller()
export class AuthController {
  @Get()
  @Header('content-type', 'text/html')
  home(): string {
    return '<a href="/auth/feishu">Sign in with Feishu</a>';
  }

  /** The guard answers with the redirect to Feishu. */
  @Get('auth/feishu')
  @UseGuards(FeishuAuthGuard)
  signIn(): void {}

  @Get('auth/feishu/callback')
  @UseGuards(FeishuAuthGuard)
  @Redirect('/profile')
  callback(): void {}

  @Get('profile')
  profile(@Req() req: Request): Express.User {
    if (!req.isAuthenticated()) throw new UnauthorizedException('Not signed in.');
    return req.user;
  }
}
