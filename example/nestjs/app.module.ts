import { Module, type DynamicModule } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import type { FeishuSettings } from '../framework-example.js';
import { AuthController } from './auth.controller.js';
import { FEISHU_SETTINGS, FeishuAuthStrategy } from './feishu.strategy.js';
import { SessionSerializer } from './session.serializer.js';

@Module({})
export class AppModule {
  static register(feishu: FeishuSettings): DynamicModule {
    return {
      module: AppModule,
      imports: [PassportModule.register({ session: true })],
      controllers: [AuthController],
      providers: [{ provide: FEISHU_SETTINGS, useValue: feishu }, FeishuAuthStrategy, SessionSerializer],
    };
  }
}
