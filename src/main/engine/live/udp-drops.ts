import { readFileSync } from 'node:fs';

/**
 * Datagrams the kernel discarded on a UDP socket because its receive buffer
 * was full (Linux: the last column of /proc/net/udp and /proc/net/udp6, per
 * socket). This is loss before Loupe could read anything, reported apart
 * from Loupe's own `dropped`; null where the platform does not say.
 */
export function udpSocketDrops(port: number): number | null {
  let total: number | null = null;
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ref pointer drops
      const local = cols[1];
      if (!local || local.slice(local.lastIndexOf(':') + 1) !== hexPort) continue;
      const drops = Number(cols[cols.length - 1]);
      if (Number.isFinite(drops)) total = (total ?? 0) + drops;
    }
  }
  return total;
}
