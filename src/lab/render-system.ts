/**
 * System outputs: `show version`, `show clock`, `show logging`. Log entries are derived from the
 * router's broken spans at read time (one RECVD_PKT_INV_SPI line per peer every 30 s while broken,
 * as IOS rate-limits the message); they stay in the buffer after recovery until `clear logging`.
 */
import { spiText, type Router } from './state.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const INV_SPI_EVERY_MS = 30_000;
const LOG_BUFFER_ENTRIES = 200;

function hms(d: Date): string {
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
}

/** Syslog timestamp as `service timestamps log datetime msec show-timezone` prints it: `Jan  8 15:00:23.723 UTC`. */
export function logTime(ms: number): string {
  const d = new Date(ms);
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ${hms(d)} UTC`;
}

/** `show clock`: `12:18:43.404 UTC Fri Jan 10 2025`. */
export function showClock(now: number): string {
  const d = new Date(now);
  return `${hms(d)} UTC ${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()} ${d.getUTCFullYear()}\n`;
}

function duration(ms: number): string {
  const m = Math.floor(ms / 60_000);
  const part = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? '' : 's'}`;
  return `${part(Math.floor(m / 1440), 'day')}, ${part(Math.floor(m / 60) % 24, 'hour')}, ${part(m % 60, 'minute')}`;
}

export function showVersion(r: Router, now: number): string {
  return [
    'Cisco IOS XE Software, Version 17.09.04a',
    'Cisco IOS Software [Cupertino], Virtual XE Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), Version 17.9.4a, RELEASE SOFTWARE (fc3)',
    'Technical Support: http://www.cisco.com/techsupport',
    'Copyright (c) 1986-2023 by Cisco Systems, Inc.',
    'Compiled Fri 20-Oct-23 10:44 by mcpre',
    '',
    '',
    'Cisco IOS-XE software, Copyright (c) 2005-2023 by cisco Systems, Inc.',
    'All rights reserved.  Certain components of Cisco IOS-XE software are',
    'licensed under the GNU General Public License ("GPL") Version 2.0.  The',
    'software code licensed under GPL Version 2.0 is free software that comes',
    'with ABSOLUTELY NO WARRANTY.  You can redistribute and/or modify such',
    'GPL code under the terms of GPL Version 2.0.  For more details, see the',
    'documentation or "License Notice" file accompanying the IOS-XE software,',
    'or the applicable URL provided on the flyer accompanying the IOS-XE',
    'software.',
    '',
    '',
    'ROM: IOS-XE ROMMON',
    '',
    `${r.name} uptime is ${duration(now - r.bootAt)}`,
    `Uptime for this control processor is ${duration(now - r.bootAt + 60_000)}`,
    'System returned to ROM by reload',
    `System restarted at ${showClock(r.bootAt)
      .replace(/\.\d{3}/, '')
      .trimEnd()}`,
    'System image file is "bootflash:packages.conf"',
    'Last reload reason: reload',
    '',
    '',
    '',
    'This product contains cryptographic features and is subject to United',
    'States and local country laws governing import, export, transfer and',
    'use. Delivery of Cisco cryptographic products does not imply',
    'third-party authority to import, export, distribute or use encryption.',
    'Importers, exporters, distributors and users are responsible for',
    'compliance with U.S. and local country laws. By using this product you',
    'agree to comply with applicable laws and regulations. If you are unable',
    'to comply with U.S. and local laws, return this product immediately.',
    '',
    'A summary of U.S. laws governing Cisco cryptographic products may be found at:',
    'http://www.cisco.com/wwl/export/crypto/tool/stqrg.html',
    '',
    'If you require further assistance please contact us by sending email to',
    'export@cisco.com.',
    '',
    '',
    '',
    'Technology Package License Information:',
    '',
    '-----------------------------------------------------------------',
    'Technology    Type                           Technology-package',
    '                                             Current',
    '-----------------------------------------------------------------',
    'Smart License                                network-advantage',
    '',
    'Router operating mode: Controller-Managed',
    'cisco C8000V (VXE) processor (revision VXE) with 1987123K/3075K bytes of memory.',
    `Processor board ID C8K-LAB-${String(r.index + 1).padStart(5, '0')}`,
    '1 Virtual Ethernet interface',
    '3 Gigabit Ethernet interfaces',
    '32768K bytes of non-volatile configuration memory.',
    '3965136K bytes of physical memory.',
    '11526144K bytes of virtual hard disk at bootflash:.',
    '',
    'Configuration register is 0x2102',
    '',
  ].join('\n');
}

interface LogEntry {
  at: number;
  text: string;
}

function bootEntries(r: Router): LogEntry[] {
  return [
    { at: r.bootAt + 5_000, text: '%SYS-5-RESTART: System restarted --' },
    { at: r.bootAt + 30_000, text: '%LINK-3-UPDOWN: Interface GigabitEthernet1, changed state to up' },
    { at: r.bootAt + 30_000, text: '%LINK-3-UPDOWN: Interface GigabitEthernet2, changed state to up' },
    { at: r.bootAt + 30_000, text: '%LINK-3-UPDOWN: Interface GigabitEthernet3, changed state to up' },
    {
      at: r.bootAt + 60_000,
      text: '%LINEPROTO-5-UPDOWN: Line protocol on Interface Tunnel10001, changed state to up',
    },
    {
      at: r.bootAt + 60_000,
      text: '%LINEPROTO-5-UPDOWN: Line protocol on Interface Tunnel10002, changed state to up',
    },
    {
      at: r.bootAt + 120_000,
      text: '%LINEPROTO-5-UPDOWN: Line protocol on Interface Tunnel100, changed state to up',
    },
  ];
}

function invSpiEntries(r: Router, now: number): LogEntry[] {
  const out: LogEntry[] = [];
  for (const s of r.brokenSpans()) {
    const end = Math.min(s.to ?? now + 1, now + 1);
    const count = Math.ceil((end - s.from) / INV_SPI_EVERY_MS);
    const iface = s.def.kind === 'sdwan' ? `, input interface=${s.def.tunnel}` : '';
    for (let k = Math.max(0, count - LOG_BUFFER_ENTRIES); k < count; k++) {
      out.push({
        at: s.from + k * INV_SPI_EVERY_MS,
        text:
          "%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for " +
          `destaddr=${s.def.local}, prot=50, spi=${spiText(s.spi)}, srcaddr=${s.def.peer}${iface}`,
      });
    }
  }
  return out;
}

export function showLogging(r: Router, now: number): string {
  const entries = [...bootEntries(r), ...invSpiEntries(r, now)]
    .filter((e) => e.at >= r.logClearedAt && e.at <= now)
    .sort((a, b) => a.at - b.at)
    .slice(-LOG_BUFFER_ENTRIES);
  return [
    'Syslog logging: enabled (0 messages dropped, 3 messages rate-limited, 0 flushes, 0 overruns, xml disabled, filtering disabled)',
    '',
    'No Active Message Discriminator.',
    '',
    '',
    '',
    'No Inactive Message Discriminator.',
    '',
    '',
    '    Console logging: disabled',
    '    Monitor logging: level debugging, 0 messages logged, xml disabled,',
    '                     filtering disabled',
    `    Buffer logging:  level debugging, ${entries.length} messages logged, xml disabled,`,
    '                    filtering disabled',
    '    Exception Logging: size (4096 bytes)',
    '    Count and timestamp logging messages: disabled',
    '    Persistent logging: disabled',
    '',
    'No active filter modules.',
    '',
    `    Trap logging: level informational, ${entries.length} message lines logged`,
    '        Logging Source-Interface:       VRF Name:',
    '',
    'Log Buffer (102400 bytes):',
    '',
    ...entries.map((e) => `${logTime(e.at)}: : ${e.text}`),
    '',
  ].join('\n');
}
