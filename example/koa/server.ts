/** `npm run start:koa`: the Koa example on PORT (default 3000), against the mock Feishu unless FEISHU_APP_ID/SECRET are set. */
import { once } from 'node:events';
import { runExample } from '../framework-example.js';
import { createKoaApp } from './app.js';

runExample('Koa', async (options, port) => {
  const server = createKoaApp(options).listen(port);
  await once(server, 'listening');
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
});
