// A browser phone for the e2e tests: sip.js's SimpleUser over WSS with real WebRTC media (DTLS-SRTP, ICE),
// driven by Playwright through window.phone. The fake capture device plays the tone given to Chromium.
import { Web } from 'sip.js';

const log = [];
let user;
let analyser;

/** The strongest frequency (Hz) and its level (dB) of the received audio, from a WebAudio analyser. */
function peak() {
  if (!analyser) return { hz: 0, db: -Infinity };
  const bins = new Float32Array(analyser.frequencyBinCount);
  analyser.getFloatFrequencyData(bins);
  let best = 1;
  for (let i = 2; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
  return { hz: (best * analyser.context.sampleRate) / analyser.fftSize, db: bins[best] };
}

window.phone = {
  log,
  async call({ server, aor, user: username, password, target }) {
    const remote = document.getElementById('remote');
    user = new Web.SimpleUser(server, {
      aor,
      media: { constraints: { audio: true, video: false }, remote: { audio: remote } },
      userAgentOptions: {
        authorizationUsername: username,
        authorizationPassword: password,
        logBuiltinEnabled: false,
        logConnector: (level, category, _label, content) => {
          if (level === 'warn' || level === 'error') log.push(`${level} ${category}: ${content}`);
        },
      },
    });
    const answered = new Promise(
      (resolve) =>
        (user.delegate = { onCallAnswered: () => resolve(true), onCallHangup: () => resolve(false) }),
    );
    await user.connect();
    await user.register();
    await user.call(target);
    if (!(await answered)) return { answered: false };
    const pc = user.session.sessionDescriptionHandler.peerConnection;
    const stream = user.session.sessionDescriptionHandler.remoteMediaStream;
    const ctx = new AudioContext();
    analyser = ctx.createAnalyser();
    analyser.fftSize = 4096;
    ctx.createMediaStreamSource(stream).connect(analyser);
    return { answered: true, remoteSdp: pc.remoteDescription?.sdp ?? '' };
  },
  peak,
  /** Connection states and the RTP counters of the selected path. */
  async stats() {
    const pc = user?.session?.sessionDescriptionHandler?.peerConnection;
    if (!pc) return null;
    const out = {
      ice: pc.iceConnectionState,
      connection: pc.connectionState,
      sent: 0,
      received: 0,
      codec: '',
      path: '',
    };
    const report = await pc.getStats();
    const address = (id) => (report.get(id) ? `${report.get(id).address}:${report.get(id).port}` : '?');
    report.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) {
        const pair = report.get(s.selectedCandidatePairId);
        if (pair) out.path = `${address(pair.localCandidateId)} -> ${address(pair.remoteCandidateId)}`;
      }
      if (s.type === 'outbound-rtp' && s.kind === 'audio') out.sent = s.packetsSent;
      if (s.type === 'inbound-rtp' && s.kind === 'audio') out.received = s.packetsReceived;
      if (s.type === 'codec' && !out.codec) out.codec = s.mimeType;
    });
    return out;
  },
  async hangup() {
    await user.hangup();
    await user.unregister();
    await user.disconnect();
  },
};
window.phoneReady = true;
