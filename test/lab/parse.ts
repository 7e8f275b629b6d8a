/**
 * Regexes a runbook author would write against real IOS XE output. The fixture test checks they
 * read the real captures in test/fixtures/outputs; the lab tests read the lab's output with them.
 */

export const RX = {
  invSpi: /srcaddr=(?<peer>[0-9.]+)(?:, input interface=(?<iface>\S+))?/,
  invSpiLine:
    /^(?<ts>\w{3} +\d+ [\d:.]+ \w+): : %CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for destaddr=(?<dst>[\d.]+), prot=50, spi=0x(?<hex>[0-9A-F]+)\((?<dec>\d+)\), srcaddr=(?<peer>[\d.]+)(?:, input interface=(?<iface>\S+))?$/,
  decaps: /#pkts decaps: (?<n>\d+)/,
  encaps: /#pkts encaps: (?<n>\d+)/,
  outboundSpi: /current outbound spi: 0x(?<hex>[0-9A-F]+)\((?<dec>\d+)\)/,
  cryptoMapTag: /Crypto map tag: (?<tag>\S+), local addr (?<local>[\d.]+)/,
  currentPeer: /current_peer (?<peer>[\d.]+) port (?<port>\d+)/,
  ident:
    /(?<side>local|remote) +ident \(addr\/mask\/prot\/port\): \((?<addr>[\d.]+)\/(?<mask>[\d.]+)\/(?<prot>\d+)\/(?<port>\d+)\)/,
  qfpInvalidSpi: /^\s*(?<code>\d+)\s+IN_US_V4_PKT_SA_NOT_FOUND_SPI\s+(?<n>\d+)/m,
  qfpRow: /^\s*(?<code>\d+)\s+(?<name>[A-Z0-9_]+)\s+(?<n>\d+)/,
  bfdRow:
    /^\s*(?<systemIp>[\d.]+)\s+(?<siteId>\d+)\s+(?<state>up|down)\s+(?<srcColor>\S+)\s+(?<dstColor>\S+)\s+(?<srcIp>[\d.]+)\s+(?<dstIp>[\d.]+)\s+(?<port>\d+)\s+(?<encap>\w+)\s+(?<mult>\d+)\s+(?<tx>\d+)\s+(?<uptime>\S+)\s+(?<transitions>\d+)\s*$/,
  controlRow:
    /^(?<type>vsmart|vbond|vmanage)\s+(?<prot>\w+)\s+(?<systemIp>[\d.]+)\s+(?<siteId>\d+)\s+(?<domainId>\d+)\s+(?<privIp>[\d.]+)\s+(?<privPort>\d+)\s+(?<pubIp>[\d.]+)\s+(?<pubPort>\d+)\s+(?<org>.+?)\s+(?<color>\S+)\s+(?<proxy>Yes|No)\s+(?<state>\S+)\s+(?<uptime>\S+)\s+(?<group>\d+)\s*$/,
  tlocRow:
    /^(?<iface>\S+)\s+(?<pubIp>[\d.]+)\s+(?<pubPort>\d+)\s+(?<privIp>[\d.]+)\s+(?<privIpv6>\S+)\s+(?<privPort>\d+)\s+(?<vsvm>\d+\/\d+)\s+(?<color>\S+)\s+(?<state>up|down)\s/,
  localProp: /^(?<key>[a-z][\w/-]+)\s+(?<value>\S.*)$/,
  ompRow:
    /^\s*(?<peer>[\d.]+)\s+(?<type>vsmart|vedge)\s+(?<domain>\d+)\s+(?<overlay>\d+)\s+(?<site>\d+)\s+(?<state>\S+)\s+(?<uptime>\S+)\s+(?<ris>\d+\/\d+\/\d+)\s*$/,
  version: /Cisco IOS XE Software, Version (?<v>\S+)/,
  uptime: /^\s*(?<host>\S+) uptime is (?<uptime>.+)$/m,
  configRegister: /Configuration register is (?<reg>0x[0-9A-Fa-f]+)/,
  sessionStatus: /Session status: (?<status>\S+)/,
  sessionPeer: /Peer: (?<peer>[\d.]+) port (?<port>\d+)/,
  activeSas: /Active SAs: (?<n>\d+), origin: (?<origin>.+?)\s*$/m,
};

type Groups = Record<string, string>;

/** Named groups of every line matching `re`. */
export function rows(text: string, re: RegExp): Groups[] {
  return text.split(/\r?\n/).flatMap((l) => {
    const m = re.exec(l);
    return m?.groups ? [{ ...m.groups }] : [];
  });
}

export function one(text: string, re: RegExp): Groups {
  const m = re.exec(text);
  if (!m?.groups) throw new Error(`no match for ${re} in:\n${text}`);
  return { ...m.groups };
}

/** `show sdwan bfd sessions` rows keyed `systemIp/srcColor`. */
export function bfdTable(text: string): Record<string, Groups> {
  return Object.fromEntries(rows(text, RX.bfdRow).map((r) => [`${r.systemIp}/${r.srcColor}`, r]));
}
