/**
 * Connection settings shared by every host of a run (flags), and the transport for one target.
 * Inventory values (ansible_user, ansible_port, ansible_password, ansible_become*) win over flags, as
 * in Ansible; ~/.ssh/config is read by the transport.
 */
import { createSshTransport, type HostKeyPolicy } from '../transport/ssh.js';
import { openRecorder } from '../transport/record.js';
import { openTranscript, teeTranscript } from '../transport/transcript.js';
import type { Transport } from '../transport/types.js';
import type { PlatformProfile } from '../platforms/types.js';
import type { HostBecome } from '../fleet/inventory-credentials.js';
import type { Target } from '../fleet/target.js';
import { privilegeFor } from './become.js';

export interface ConnectionOptions {
  password?: string;
  askPassword?: (prompt: string) => Promise<string>;
  identityFiles: string[];
  passphrase?: string;
  knownHostsFile?: string;
  /** Absent: the host's ssh config StrictHostKeyChecking, else strict. */
  hostKeyPolicy?: HostKeyPolicy;
  sshConfigFile?: string | false;
  transcriptDir?: string;
  /** `--record DIR`: one cassette per host in DIR (see transport/record.ts). */
  record?: { dir: string; runbook: string; mode: 'exec' | 'dry-run' };
  /** Values never written anywhere (passwords, secret vars). */
  secrets: string[];
  /** Per-phase timeouts in ms (connect, auth, prompt); absent means the transport's defaults. */
  connectTimeoutMs?: number;
  /** --become, --become-method, the enable secret from --become-password-env / -K (the inventory's win per host). */
  become?: HostBecome;
}

/** A transport for the target; nothing is connected until the executor calls open(). */
export function openConnection(
  t: Target,
  profile: PlatformProfile,
  c: ConnectionOptions,
  _hardStop: AbortSignal,
): Transport {
  const transcript = c.transcriptDir ? openTranscript(c.transcriptDir, t.name, c.secrets) : undefined;
  const recorder = c.record
    ? openRecorder({ ...c.record, host: t.name, platform: t.platform, secrets: c.secrets })
    : undefined;
  const ssh = createSshTransport({
    target: { name: t.name, address: t.address, port: t.port, platform: t.platform, user: t.user },
    profile,
    user: t.user,
    password: t.inventory?.password ?? c.password,
    askPassword: c.askPassword,
    identityFiles: c.identityFiles,
    passphrase: c.passphrase,
    knownHostsFile: c.knownHostsFile,
    hostKeyPolicy: c.hostKeyPolicy,
    sshConfigFile: c.sshConfigFile,
    timeouts: c.connectTimeoutMs ? { connectMs: c.connectTimeoutMs } : undefined,
    transcript: recorder ? teeTranscript(recorder.transcript, transcript) : transcript,
    secrets: c.secrets,
    privilege: privilegeFor(t, c.become),
  });
  return recorder ? recorder.tap(ssh) : ssh;
}
