// sip.js user agent driven from the e2e tests in a child process (sip.js is ESM-only, jest is CJS).
// Usage: node sipjs-client.mjs '<json>' with {server, aor, user, password, call, mode, instanceId, sdp, answerWithinMs}.
// Prints one JSON line. mode: absent = register (+ call), then stop (which unregisters); 'register' = register and
// exit keeping the binding; 'unregister' = register (+ call), then unregister explicitly (status in unregisterStatus);
// 'answer' = register, print {"ready":true}, answer the first INVITE within answerWithinMs, wait for its BYE, stop.
// sdp: the offer/answer to send instead of the plain RTP default (e.g. a browser's DTLS-SRTP one).
// The result's `log` holds sip.js warnings and errors (e.g. why it gave up on a challenge).
import WS from 'ws';
import { Inviter, Registerer, RegistererState, SessionState, UserAgent } from 'sip.js';

const opts = JSON.parse(process.argv[2]);
globalThis.WebSocket = class extends WS {
  constructor(url, protocols) {
    super(url, protocols, { rejectUnauthorized: false });
  }
};

const PLAIN_SDP = 'v=0\r\no=sipjs 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 50000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

/** A media-less session description handler: offers/answers a fixed SDP (no WebRTC in Node). */
class StaticSdh {
  close() {}
  getDescription() {
    return Promise.resolve({ body: opts.sdp ?? PLAIN_SDP, contentType: 'application/sdp' });
  }
  hasDescription(contentType) {
    return contentType === 'application/sdp';
  }
  setDescription() {
    return Promise.resolve();
  }
  sendDtmf() {
    return false;
  }
  rollbackDescription() {
    return Promise.resolve();
  }
}

const result = {
  registered: false,
  registerStatus: 0,
  unregisterStatus: 0,
  answered: false,
  answerBody: '',
  byeSent: false,
  inviteReceived: false,
  byeReceived: false,
  error: '',
  log: [],
};
const deadline = setTimeout(() => finish('timeout'), opts.timeoutMs ?? 15000);

async function finish(error) {
  clearTimeout(deadline);
  if (error) result.error = String(error);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  setTimeout(() => process.exit(0), 100);
}

const ua = new UserAgent({
  uri: UserAgent.makeURI(opts.aor),
  authorizationUsername: opts.user,
  authorizationPassword: opts.password,
  transportOptions: { server: opts.server },
  sessionDescriptionHandlerFactory: () => new StaticSdh(),
  // Without a graceful shutdown, stop() drops the transport and leaves the binding on the registrar.
  gracefulShutdown: opts.mode !== 'register',
  logLevel: 'warn',
  logBuiltinEnabled: false,
  logConnector: (level, category, _label, content) => {
    if (level === 'warn' || level === 'error') result.log.push(`${level} ${category}: ${content}`);
  },
});

try {
  await ua.start();
  const registerer = new Registerer(ua, { expires: 300, ...(opts.instanceId ? { instanceId: opts.instanceId, regId: 1 } : {}) });
  await new Promise((resolve, reject) => {
    registerer.stateChange.addListener((s) => {
      if (s === RegistererState.Registered) resolve();
    });
    registerer
      .register({
        requestDelegate: {
          onAccept: (res) => (result.registerStatus = res.message.statusCode),
          onReject: (res) => {
            result.registerStatus = res.message.statusCode;
            reject(new Error(`register rejected ${res.message.statusCode}`));
          },
        },
      })
      .catch(reject);
  });
  result.registered = true;
  if (opts.mode === 'answer') {
    process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
    await new Promise((resolve, reject) => {
      ua.delegate = {
        onInvite: (invitation) => {
          result.inviteReceived = true;
          invitation.stateChange.addListener((s) => {
            if (s === SessionState.Established) result.answered = true;
            if (s === SessionState.Terminated) {
              result.byeReceived = result.answered;
              resolve();
            }
          });
          invitation.accept().catch(reject);
        },
      };
      setTimeout(() => reject(new Error('no INVITE')), opts.answerWithinMs ?? 10000);
    });
  }
  if (opts.call) {
    const inviter = new Inviter(ua, UserAgent.makeURI(opts.call));
    await new Promise((resolve, reject) => {
      inviter.stateChange.addListener((s) => {
        if (s === SessionState.Established) {
          result.answered = true;
          setTimeout(() => {
            inviter.bye().then(() => (result.byeSent = true), reject);
          }, 300);
        }
        if (s === SessionState.Terminated) resolve();
      });
      inviter
        .invite({
          requestDelegate: {
            onAccept: (res) => (result.answerBody = res.message.body),
            onReject: (res) => reject(new Error(`invite rejected ${res.message.statusCode}`)),
          },
        })
        .catch(reject);
    });
  }
  if (opts.mode === 'unregister') {
    await new Promise((resolve, reject) => {
      registerer.stateChange.addListener((s) => {
        if (s === RegistererState.Unregistered) resolve();
      });
      registerer
        .unregister({
          requestDelegate: {
            onAccept: (res) => (result.unregisterStatus = res.message.statusCode),
            onReject: (res) => {
              result.unregisterStatus = res.message.statusCode;
              reject(new Error(`unregister rejected ${res.message.statusCode}`));
            },
          },
        })
        .catch(reject);
    });
  }
  await ua.stop();
  await finish();
} catch (err) {
  await finish(err && err.message ? err.message : err);
}
