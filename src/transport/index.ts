/**
 * Transport factory: the CLI and the fleet runner build transports here, never from ssh2 directly.
 * The SSH transport picks shell (PTY) or exec mode from the platform profile itself.
 */
import { createSshTransport, type SshOptions } from './ssh.js';
import type { Transport } from './types.js';

export type { HostKeyPolicy, SshOptions, Timeouts } from './ssh.js';
export { openTranscript, type TranscriptWriter } from './transcript.js';

/** A transport for one host; `opts.profile.session` decides shell vs exec. */
export function createTransport(opts: SshOptions): Transport {
  return createSshTransport(opts);
}
