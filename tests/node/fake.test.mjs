// Tests of `mediaauth fake` from JavaScript, with Node's standard library
// only (node:test, node:assert, node:child_process and fetch).
//
// They start the built command (MEDIAAUTH_BIN, default `mediaauth` on PATH)
// on a free loopback port with the example state and a control token, drive
// it through its control API under /_fake/, and run the three APIs' flows
// against it as a JavaScript program would: create a user, confirm or
// approve, inject a 429 and see the client recover, read the request log,
// reset.
//
//     MEDIAAUTH_BIN=/path/to/mediaauth node --test tests/node/fake.test.mjs

import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const STATE = fileURLToPath(new URL('../../mediaauthtest/testdata/state.json', import.meta.url));
const CONTROL_TOKEN = 'node-suite-control-token';

let proc;
let base;

before(async () => {
  proc = spawn(process.env.MEDIAAUTH_BIN || 'mediaauth', ['fake', '--addr', '127.0.0.1:0', '--state', STATE], {
    env: { ...process.env, MEDIAAUTH_FAKE_CONTROL_TOKEN: CONTROL_TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let banner = '';
  proc.stdout.setEncoding('utf8');
  await new Promise((resolve, reject) => {
    proc.stdout.on('data', (chunk) => {
      banner += chunk;
      if (banner.includes('\nServing until')) resolve();
    });
    proc.on('exit', (code) => reject(new Error(`mediaauth fake exited (${code}) before serving:\n${banner}`)));
  });
  base = banner.match(/http:\/\/127\.0\.0\.1:\d+/)[0];
});

after(async () => {
  const exited = once(proc, 'exit');
  proc.kill('SIGTERM');
  const [code] = await exited;
  assert.equal(code, 0, 'mediaauth fake exits with status 0 on SIGTERM');
});

// request sends one request and returns {status, headers, body}, the body
// decoded when it is JSON.
async function request(method, path, { body, headers = {} } = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  const resp = await fetch(base + path, init);
  const text = await resp.text();
  const json = (resp.headers.get('content-type') || '').startsWith('application/json') && text;
  return { status: resp.status, headers: resp.headers, body: json ? JSON.parse(text) : text };
}

// control calls the control API with its token (or the one given).
function control(method, path, body, token = CONTROL_TOKEN) {
  return request(method, '/_fake' + path, { body, headers: token ? { Authorization: 'Bearer ' + token } : {} });
}

// call calls an API as a client that retries a 429 after its Retry-After.
async function call(method, path, { body, headers, tries = 3 } = {}) {
  for (let attempt = 1; ; attempt++) {
    const r = await request(method, path, { body, headers });
    if (r.status !== 429 || attempt === tries) return { ...r, attempts: attempt };
    await new Promise((resolve) => setTimeout(resolve, 1000 * Number(r.headers.get('retry-after') || 0)));
  }
}

// statuses returns the statuses of the logged requests for path.
async function statuses(path) {
  const { status, body } = await control('GET', '/requests?path=' + encodeURIComponent(path));
  assert.equal(status, 200);
  assert.equal(body.count, body.requests.length);
  return body.requests.map((r) => r.status);
}

beforeEach(async () => {
  assert.equal((await control('POST', '/reset')).status, 204);
});

test('Movies: register, verify, log in through a 429', async () => {
  const user = { username: 'jsuser', email: 'js@example.com', password: 'js-password', unverified: true };
  const created = await control('POST', '/movies/users', user);
  assert.equal(created.status, 201);
  assert.equal(created.body.email_verified, false);
  const login = { username: 'jsuser', password: 'js-password' };
  assert.equal((await call('POST', '/login', { body: login })).status, 403, 'not verified yet');

  const email = await control('GET', '/movies/emails/last?to=js%40example.com&kind=verify');
  assert.equal(email.status, 200);
  assert.equal((await call('POST', '/verify-email', { body: { token: email.body.token } })).status, 204);

  const fault = await control('POST', '/faults', { path: '/login', method: 'POST', status: 429, headers: { 'Retry-After': '0' } });
  assert.equal(fault.status, 204);
  const token = await call('POST', '/login', { body: login });
  assert.deepEqual([token.status, token.attempts], [200, 2]);
  const bearer = 'Bearer ' + token.body.access_token;
  const profile = await call('GET', '/user/profile', { headers: { Authorization: bearer } });
  assert.deepEqual([profile.status, profile.body.username], [200, 'jsuser']);

  assert.deepEqual(await statuses('/login'), [403, 429, 200]);
  const hidden = await control('GET', '/requests?path=/user/profile');
  assert.deepEqual(hidden.body.requests[0].header.Authorization, ['[REDACTED]']);
  assert.ok(!JSON.stringify(hidden.body).includes(token.body.access_token));
  const shown = await control('GET', '/requests?path=/user/profile&secrets=true');
  assert.deepEqual(shown.body.requests[0].header.Authorization, [bearer]);

  await control('POST', '/reset');
  assert.equal((await call('POST', '/login', { body: login })).status, 401, 'the reset forgot the account');
  assert.deepEqual(await statuses('/login'), [401], 'and the log');
});

test('Movies: the state file account and its API key', async () => {
  const profile = await call('GET', '/user/profile', { headers: { Authorization: 'Bearer mk_alice_suite_key' } });
  assert.deepEqual([profile.status, profile.body.name], [200, 'Alice']);
});

test('TVmaze: start, read the email, confirm, poll through a 429', async () => {
  const account = await control('POST', '/tvmaze/users', { username: 'jsfan', email: 'jsfan@example.com', premium_level: 3 });
  assert.equal(account.status, 201);
  const started = await call('POST', '/v1/auth/start', { body: { email: 'jsfan@example.com' } });
  assert.equal(started.status, 200);

  const email = await control('GET', '/tvmaze/emails/last?to=jsfan%40example.com');
  assert.equal(email.status, 200);
  assert.match(email.body.confirm_url, /\/v1\/auth\/confirm\//);
  assert.ok((await control('GET', '/tvmaze/outbox')).body.includes(email.body.confirm_url));

  const poll = () => call('POST', '/v1/auth/poll', { body: { token: started.body.token } });
  // TVmaze wants 10 s between polls: move the fake's clock, not ours.
  await control('POST', '/clock/advance', { seconds: 11 });
  assert.equal((await poll()).status, 403, 'not confirmed yet');
  assert.equal((await control('POST', '/tvmaze/confirm', { email: 'jsfan@example.com' })).status, 204);
  await control('POST', '/clock/advance', { seconds: 11 });
  await control('POST', '/faults', { path: '/v1/auth/poll', status: 429, headers: { 'Retry-After': '0' } });
  const creds = await poll();
  assert.deepEqual([creds.status, creds.attempts], [200, 2]);
  assert.deepEqual(creds.body, { username: 'jsfan', apikey: account.body.api_key });

  const basic = 'Basic ' + Buffer.from('jsfan:' + creds.body.apikey).toString('base64');
  const level = await call('GET', '/v1/auth/validate', { headers: { Authorization: basic } });
  assert.deepEqual([level.status, level.body], [200, { premium: 3 }]);
  assert.deepEqual(await statuses('/v1/auth/poll'), [403, 429, 200]);

  await control('POST', '/reset');
  assert.equal((await call('GET', '/v1/auth/validate', { headers: { Authorization: basic } })).status, 401);
});

test('TMDb: approve, a session through a 429, deny', async () => {
  const key = '?api_key=suite-tmdb-api-key'; // from the state file
  const newToken = async () => {
    const r = await call('GET', '/3/authentication/token/new' + key);
    assert.equal(r.status, 200);
    return r.body.request_token;
  };
  assert.equal((await control('POST', '/tmdb/users', { username: 'jsviewer', password: 'pw' })).status, 204);
  const token = await newToken();
  assert.equal((await control('POST', '/tmdb/approve', { request_token: token, username: 'jsviewer' })).status, 204);

  await control('POST', '/faults', { path: '/3/authentication/session/new', tmdb_code: 25, headers: { 'Retry-After': '0' } });
  const session = await call('POST', '/3/authentication/session/new' + key, { body: { request_token: token } });
  assert.deepEqual([session.status, session.attempts], [200, 2]);
  const id = encodeURIComponent(session.body.session_id);
  const account = await call('GET', '/3/account' + key + '&session_id=' + id);
  assert.deepEqual([account.status, account.body.username], [200, 'jsviewer']);
  assert.deepEqual((await control('GET', '/tmdb/sessions/' + id)).body, { valid: true });

  const denied = await newToken();
  assert.equal((await control('POST', '/tmdb/deny', { request_token: denied })).status, 204);
  const refused = await call('POST', '/3/authentication/session/new' + key, { body: { request_token: denied } });
  assert.deepEqual([refused.status, refused.body.status_code], [401, 17]);

  assert.deepEqual(await statuses('/3/authentication/session/new'), [429, 200, 401]);
  const log = await control('GET', '/requests?prefix=/3/&secrets=true');
  assert.ok(!JSON.stringify(log.body).includes('suite-tmdb-api-key'), 'query strings are not kept');

  await control('POST', '/reset');
  const gone = await control('POST', '/tmdb/approve', { request_token: await newToken(), username: 'jsviewer' });
  assert.deepEqual([gone.status, gone.body.error], [404, 'not_found'], "the reset forgot the account, not the state file's key");
});

test('the control API needs its token; its document does not', async () => {
  const refused = await control('GET', '/info', undefined, null);
  assert.deepEqual([refused.status, refused.body.error], [401, 'unauthorized']);
  const info = await control('GET', '/info');
  assert.deepEqual([info.status, info.body.tmdb_url], [200, base]);
  const doc = await control('GET', '/openapi.json', undefined, null);
  assert.equal(doc.status, 200);
  assert.match(doc.body.openapi, /^3\./);
  assert.ok('/_fake/tmdb/approve' in doc.body.paths);
});
