/** `npm run start:fastify`: the Fastify example on PORT (default 3000), against the mock Feishu unless FEISHU_APP_ID/SECRET are set. */
import { runExample } from '../framework-example.js';
import { createFastifyApp } from './app.js';

runExample('Fastify', async (options, port) => {
  const app = await createFastifyApp(options);
  await app.listen({ port });
  return app;
});
