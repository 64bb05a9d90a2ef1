import { Catch, HttpException, type ArgumentsHost, type HttpServer } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Request, Response } from 'express';
import { answerError, queryCodes } from '../framework-errors.js';
import type { ExampleLogger } from '../log.js';

/**
 * Everything that is not an HttpException (the guard's 401s keep Nest's own answer): Feishu
 * refusing the app, a timeout, our own bugs. Nest's default answers a bare 500 and logs the
 * error without a reference the visitor could quote; this answers as the other examples do
 * (framework-errors.ts): 502 or 500, a fixed text and a reference, the details in the log.
 */
@Catch()
export class ErrorFilter extends BaseExceptionFilter {
  /** `server`: the app's HTTP adapter, which Nest's own answer for HttpExceptions goes through. */
  constructor(
    server: HttpServer,
    private readonly logger: ExampleLogger,
    private readonly secrets: readonly string[],
  ) {
    super(server);
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (exception instanceof HttpException) {
      super.catch(exception, host);
      return;
    }
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const { status, body } = answerError(exception, `${req.method} ${req.path}`, [...this.secrets, ...queryCodes(req.originalUrl)], this.logger);
    http.getResponse<Response>().status(status).json(body);
  }
}
