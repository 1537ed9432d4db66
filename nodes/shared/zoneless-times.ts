import { checkZonelessTimes, type Parsed, type ZonelessTimes } from '../../core/telemetry.js';
import type { Node } from './node-red.js';

/** The zone of the machine Node-RED runs on, by name, with its offset now ("Europe/Berlin, UTC+01:00"). */
function hostZone(now: number): string {
  const name = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const minutes = -new Date(now).getTimezoneOffset();
  const sign = minutes < 0 ? '−' : '+';
  const abs = Math.abs(minutes);
  const offset = `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return name ? `${name}, ${offset} now` : offset;
}

/**
 * A node's *Times without a zone* setting (`zonelessTimes`: empty for the host's zone, `UTC`, or a zone name), and
 * what it says about it. Left at the host's zone, the first time without a zone offset is warned about once per
 * deploy, with the zone it was read in: a device clock in another zone would otherwise shift every reading by hours
 * without a word (Node-RED in a container runs in UTC; the PLC next to it in plant time).
 */
export class ZonelessTimesSetting {
  readonly zone: ZonelessTimes;
  private warned = false;

  private constructor(
    private readonly node: Node,
    zone: ZonelessTimes,
    /** Set in the node (even to `host`): the person chose, nothing to warn about. */
    private readonly chosen: boolean,
  ) {
    this.zone = zone;
  }

  /** The setting of a node's config, or why it is none (for a configuration error at deploy). */
  static of(node: Node, setting: unknown): Parsed<ZonelessTimesSetting> {
    const zone = checkZonelessTimes(setting);
    if (!zone.ok) return { ok: false, reason: `Times without a zone: ${zone.reason}` };
    return { ok: true, value: new ZonelessTimesSetting(node, zone.value, typeof setting === 'string' && setting.trim() !== '') };
  }

  /** Called with the text of a time read without a zone (validateTelemetry's `zonelessTime`), if there was one. */
  noteRead(text: string | undefined, assetId: string): void {
    if (text === undefined || this.warned || this.chosen) return;
    this.warned = true;
    this.node.warn(
      `${assetId}: times such as "${text}" carry no zone offset; they are read in this server's zone (${hostZone(Date.now())}). ` +
        'If the device\'s clock keeps another zone, set "Times without a zone" on this node (UTC, or a zone such as Europe/Berlin); ' +
        'set it to "host" to keep this and not be told again.',
    );
  }
}
