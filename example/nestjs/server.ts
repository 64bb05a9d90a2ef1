/** `npm run start:nestjs`: the NestJS example on PORT (default 3000), against the mock Feishu unless FEISHU_APP_ID/SECRET are set. */
import { runExample } from '../framework-example.js';
import { createNestApp } from './app.js';

runExample('NestJS', async (options, port) => {
  const app = await createNestApp(options);
  await app.listen(port);
  return app;
});
