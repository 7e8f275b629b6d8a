/** A recorded-looking sequence of engine events for reporter tests: edge-1 recovers, edge-2 fails. */
import type { EngineEvent } from '../../src/engine/events.js';

/** 2026-11-27 16:45:01 local time. */
export const T0 = new Date(2026, 10, 27, 16, 45, 1).getTime();

export function recoveryEvents(): EngineEvent[] {
  const a = (dt: number) => ({ host: 'edge-1', at: T0 + dt });
  const b = (dt: number) => ({ host: 'edge-2', at: T0 + dt });
  return [
    { ...a(0), kind: 'host-start', runbook: 'recover-inv-spi', dryRun: false },
    { ...a(0), kind: 'connecting', address: '127.0.0.1', port: 2201 },
    { ...b(0), kind: 'host-start', runbook: 'recover-inv-spi', dryRun: false },
    { ...b(0), kind: 'connecting', address: '127.0.0.1', port: 2202 },
    { ...a(300), kind: 'connected' },
    { ...a(300), kind: 'step-start', key: 'find-events', stepId: 'find-events', title: 'find-events', disruptive: false },
    { ...a(300), kind: 'command-sent', key: 'find-events', stepId: 'find-events', command: 'show logging | include RECVD_PKT_INV_SPI', disruptive: false, attempt: 1 },
    { ...a(1500), kind: 'command-output', key: 'find-events', stepId: 'find-events', output: '%CRYPTO-4-RECVD_PKT_INV_SPI: srcaddr=10.0.0.2\n' },
    {
      ...a(1500), kind: 'step-end', key: 'find-events', stepId: 'find-events', outcome: 'ok', durationMs: 1200,
      commands: ['show logging | include RECVD_PKT_INV_SPI'], captures: { events: [{ peer: '10.0.0.2' }] }, scope: { events: [{ peer: '10.0.0.2' }] },
    },
    { ...b(2000), kind: 'host-end', outcome: 'unreachable', message: 'connection refused by 127.0.0.1:2202', durationMs: 2000, disruptive: [] },
    { ...a(1500), kind: 'step-start', key: 'clear-sa', stepId: 'clear-sa', title: 'Clear the SA', disruptive: true },
    { ...a(1500), kind: 'approval-request', key: 'clear-sa', stepId: 'clear-sa', command: 'clear crypto sa peer 10.0.0.2', impact: 'renegotiates the SA with 10.0.0.2' },
    { ...a(4000), kind: 'approval-result', key: 'clear-sa', stepId: 'clear-sa', approved: true },
    { ...a(4000), kind: 'command-sent', key: 'clear-sa', stepId: 'clear-sa', command: 'clear crypto sa peer 10.0.0.2', disruptive: true, attempt: 1 },
    { ...a(4500), kind: 'step-end', key: 'clear-sa', stepId: 'clear-sa', outcome: 'ok', durationMs: 3000, commands: ['clear crypto sa peer 10.0.0.2'], captures: {}, scope: {} },
    { ...a(4500), kind: 'step-start', key: 'verify-sa', stepId: 'verify-sa', title: 'verify-sa', disruptive: false },
    { ...a(4500), kind: 'command-sent', key: 'verify-sa', stepId: 'verify-sa', command: 'show crypto ipsec sa peer 10.0.0.2', disruptive: false, attempt: 1 },
    { ...a(4800), kind: 'retry-wait', key: 'verify-sa', stepId: 'verify-sa', attempt: 2, of: 12, delayMs: 5000, reason: 'decaps.n > 0 is false' },
    { ...a(9800), kind: 'command-sent', key: 'verify-sa', stepId: 'verify-sa', command: 'show crypto ipsec sa peer 10.0.0.2', disruptive: false, attempt: 2 },
    { ...a(10100), kind: 'command-output', key: 'verify-sa', stepId: 'verify-sa', output: '    #pkts decaps: 42\n' },
    {
      ...a(10100), kind: 'step-end', key: 'verify-sa', stepId: 'verify-sa', outcome: 'ok', durationMs: 5600,
      commands: ['show crypto ipsec sa peer 10.0.0.2', 'show crypto ipsec sa peer 10.0.0.2'], captures: { decaps: { n: 42n } }, scope: { decaps: { n: 42n } },
    },
    { ...a(10100), kind: 'host-end', outcome: 'ok', message: 'recovered', durationMs: 10100, disruptive: ['clear crypto sa peer 10.0.0.2'] },
  ];
}
