// One contender's app in its own process: Express 5 + express-session (memory store) +
// passport, wired as a user would. Routes: /login, the callback, /profile.
// Usage (forked by run.mjs): node app.mjs <contender> <mock origin> <appId> <appSecret>
import express from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { CALLBACK_PATH, CONTENDERS } from './contenders.mjs';
import { processStats, serveParent } from './procs.mjs';

const [name, origin, appId, appSecret] = process.argv.slice(2);
const contender = CONTENDERS[name];
if (!contender) throw new Error(`unknown contender ${name}`);

const passport = new Passport();
const strategy = contender.create({ origin, appId, appSecret });
passport.use(strategy);
passport.serializeUser((user, done) => done(null, user));
passport.deserializeUser((user, done) => done(null, user));

const app = express();
app.use(session({ secret: 'bench-session-secret', resave: false, saveUninitialized: false }));
app.use(passport.session());
app.get('/login', passport.authenticate(strategy.name));
app.get(CALLBACK_PATH, passport.authenticate(strategy.name, { successRedirect: '/profile', failureRedirect: '/failed' }));
app.get('/profile', (req, res) => {
  if (!req.user) return res.status(401).json({ error: 'not signed in' });
  res.json(req.user);
});
app.get('/failed', (_req, res) => res.status(401).json({ error: 'login failed' }));
// Four parameters make it an error handler, as Express counts them.
app.use((err, _req, res, _next) => { // eslint-disable-line no-unused-vars
  res.status(500).json({ error: err.message });
});

const server = app.listen(0, '127.0.0.1', () => {
  process.send({ type: 'ready', port: server.address().port });
});
server.keepAliveTimeout = 65_000;

serveParent({
  stats: () => ({ ...processStats(), appTokenFetches: contender.appTokenFetches(strategy) }),
  gc: () => {
    globalThis.gc?.();
    return processStats();
  },
});
