// PS/2 mouse with the IntelliMouse wheel extension, on the 8042's auxiliary port.
//
// The host reports motion and buttons; the mouse keeps movement counters like the real one and
// sends a 3-byte packet (4 bytes once the wheel is enabled) in stream mode. Key design choice:
// a packet is built when the controller asks for the next byte and the counters have changed,
// so motion that arrives faster than the guest reads it is merged into the next packet instead
// of piling up; only a button change closes a packet early, so no click is lost.
//
// References: IBM PS/2 Hardware Interface Technical Reference, "Pointing device" (commands,
// status bytes, data packet, scaling 2:1 table); Microsoft IntelliMouse protocol (sample rate
// sequence 200, 100, 80 switches the device ID to 3 and adds the Z byte).

import { bool, byteQueue, defineState, int, list, oneOf, u8, type StateRecord, type Stateful } from "@x86vm/core";
import type { Ps2Device } from "./i8042.ts";

// ---- Commands (host to mouse) ----
export const MOUSE_CMD_SCALING_1_1 = 0xe6;
export const MOUSE_CMD_SCALING_2_1 = 0xe7;
export const MOUSE_CMD_SET_RESOLUTION = 0xe8;
export const MOUSE_CMD_STATUS = 0xe9;
export const MOUSE_CMD_STREAM_MODE = 0xea;
export const MOUSE_CMD_READ_DATA = 0xeb;
export const MOUSE_CMD_RESET_WRAP = 0xec;
export const MOUSE_CMD_WRAP = 0xee;
export const MOUSE_CMD_REMOTE_MODE = 0xf0;
export const MOUSE_CMD_GET_ID = 0xf2;
export const MOUSE_CMD_SAMPLE_RATE = 0xf3;
export const MOUSE_CMD_ENABLE = 0xf4;
export const MOUSE_CMD_DISABLE = 0xf5;
export const MOUSE_CMD_DEFAULTS = 0xf6;
export const MOUSE_CMD_RESEND = 0xfe;
export const MOUSE_CMD_RESET = 0xff;

// ---- Responses ----
export const MOUSE_ACK = 0xfa;
export const MOUSE_RESEND = 0xfe;
export const MOUSE_BAT_OK = 0xaa;
export const MOUSE_ID_STANDARD = 0x00;
export const MOUSE_ID_WHEEL = 0x03;

// ---- Packet byte 0 ----
export const PACKET_LEFT = 0x01;
export const PACKET_RIGHT = 0x02;
export const PACKET_MIDDLE = 0x04;
export const PACKET_ALWAYS_ONE = 0x08;
export const PACKET_X_SIGN = 0x10;
export const PACKET_Y_SIGN = 0x20;
export const PACKET_X_OVERFLOW = 0x40;
export const PACKET_Y_OVERFLOW = 0x80;

// ---- Status byte 0 (E9) ----
export const STATUS_RIGHT = 0x01;
export const STATUS_MIDDLE = 0x02;
export const STATUS_LEFT = 0x04;
export const STATUS_SCALING_2_1 = 0x10;
export const STATUS_ENABLED = 0x20;
export const STATUS_REMOTE = 0x40;

/** Button mask bits for setButtons: the packet's order, which is also MouseEvent.buttons'. */
export const BUTTON_LEFT = 0x01;
export const BUTTON_RIGHT = 0x02;
export const BUTTON_MIDDLE = 0x04;

const DEFAULT_SAMPLE_RATE = 100;
const DEFAULT_RESOLUTION = 2; // 4 counts/mm
const WHEEL_SEQUENCE = [200, 100, 80];
const QUEUE_LIMIT = 256;
/** Bound on the counters so they stay small integers; far beyond the 9-bit packet range. */
const COUNTER_LIMIT = 1 << 20;

/** Scaling 2:1 maps counts 1-5 through a table and doubles larger ones (PS/2 TR, "Scaling"). */
function scale21(v: number): number {
  const a = Math.abs(v);
  const s = a <= 5 ? [0, 1, 1, 3, 6, 9][a] : 2 * a;
  return v < 0 ? -s : s;
}

function clampCounter(v: number): number {
  return Math.max(-COUNTER_LIMIT, Math.min(COUNTER_LIMIT, Math.trunc(v)));
}

export class Ps2Mouse implements Ps2Device, Stateful {
  private notify: () => void = () => {};
  /** Answers to commands (including EB's packet), sent before any movement packet. */
  private replies: number[] = [];
  /** Movement packets waiting to go, whole packets only. */
  private packets: number[] = [];
  private reporting = false;
  private remote = false;
  private wrap = false;
  private scaling21 = false;
  private sampleRate = DEFAULT_SAMPLE_RATE;
  private resolution = DEFAULT_RESOLUTION;
  private id = MOUSE_ID_STANDARD;
  /** The last three sample rates set, oldest first, to spot the wheel unlock sequence. */
  private rates: number[] = [];
  /** Command waiting for its argument (F3, E8), or 0. */
  private awaiting = 0;
  private lastSent = 0;
  private buttons = 0;
  // Movement counters, PS/2 directions: x right, y up, z towards the user.
  private dx = 0;
  private dy = 0;
  private dz = 0;
  /** Something changed since the last packet. */
  private dirty = false;

  get deviceId(): number {
    return this.id;
  }
  get streaming(): boolean {
    return this.reporting && !this.remote;
  }

  // ---- Ps2Device ----

  connect(notify: () => void): void {
    this.notify = notify;
  }

  hasData(): boolean {
    return this.replies.length > 0 || this.packets.length > 0 || (this.dirty && this.streaming);
  }

  takeByte(): number {
    let b: number | undefined = this.replies.shift();
    if (b === undefined) {
      if (this.packets.length === 0 && this.dirty && this.streaming) this.queuePacket(this.packets);
      b = this.packets.shift() ?? 0;
    }
    this.lastSent = b;
    return b;
  }

  receive(byte: number): void {
    if (this.awaiting !== 0) {
      this.takeArgument(byte);
    } else if (this.wrap && byte !== MOUSE_CMD_RESET_WRAP && byte !== MOUSE_CMD_RESET) {
      this.reply(byte); // wrap mode echoes everything but its two escapes
    } else {
      this.command(byte);
    }
    this.notify();
  }

  private takeArgument(byte: number): void {
    const cmd = this.awaiting;
    this.awaiting = 0;
    if (cmd === MOUSE_CMD_SAMPLE_RATE) {
      this.sampleRate = byte;
      this.rates.push(byte);
      if (this.rates.length > 3) this.rates.shift();
      if (this.rates.length === 3 && this.rates.every((r, i) => r === WHEEL_SEQUENCE[i])) this.id = MOUSE_ID_WHEEL;
    } else {
      this.resolution = byte & 3;
    }
    this.reply(MOUSE_ACK);
  }

  private command(byte: number): void {
    // A command stops any packet in transmission (the host took the bus to send it); answers
    // to earlier commands stay.
    if (byte !== MOUSE_CMD_RESEND) this.packets = [];
    switch (byte) {
      case MOUSE_CMD_SCALING_1_1:
        this.scaling21 = false;
        this.ack();
        break;
      case MOUSE_CMD_SCALING_2_1:
        this.scaling21 = true;
        this.ack();
        break;
      case MOUSE_CMD_SET_RESOLUTION:
      case MOUSE_CMD_SAMPLE_RATE:
        this.awaiting = byte;
        this.ack();
        break;
      case MOUSE_CMD_STATUS:
        this.ack();
        this.reply(
          (this.remote ? STATUS_REMOTE : 0) |
            (this.reporting ? STATUS_ENABLED : 0) |
            (this.scaling21 ? STATUS_SCALING_2_1 : 0) |
            (this.buttons & BUTTON_LEFT ? STATUS_LEFT : 0) |
            (this.buttons & BUTTON_MIDDLE ? STATUS_MIDDLE : 0) |
            (this.buttons & BUTTON_RIGHT ? STATUS_RIGHT : 0),
        );
        this.reply(this.resolution);
        this.reply(this.sampleRate);
        break;
      case MOUSE_CMD_STREAM_MODE:
        this.remote = false;
        this.clearCounters();
        this.ack();
        break;
      case MOUSE_CMD_READ_DATA:
        this.ack();
        this.queuePacket(this.replies);
        break;
      case MOUSE_CMD_RESET_WRAP:
        this.wrap = false;
        this.clearCounters();
        this.ack();
        break;
      case MOUSE_CMD_WRAP:
        this.wrap = true;
        this.clearCounters();
        this.ack();
        break;
      case MOUSE_CMD_REMOTE_MODE:
        this.remote = true;
        this.clearCounters();
        this.ack();
        break;
      case MOUSE_CMD_GET_ID:
        this.ack();
        this.reply(this.id);
        break;
      case MOUSE_CMD_ENABLE:
        this.reporting = true;
        this.clearCounters();
        this.ack();
        break;
      case MOUSE_CMD_DISABLE:
        this.reporting = false;
        this.clearCounters();
        this.ack();
        break;
      case MOUSE_CMD_DEFAULTS:
        this.loadDefaults();
        this.ack();
        break;
      case MOUSE_CMD_RESEND:
        this.reply(this.lastSent);
        break;
      case MOUSE_CMD_RESET:
        // The self-test answer follows at once instead of after ~500 ms; the wheel is off again.
        this.loadDefaults();
        this.wrap = false;
        this.id = MOUSE_ID_STANDARD;
        this.ack();
        this.reply(MOUSE_BAT_OK);
        this.reply(MOUSE_ID_STANDARD);
        break;
      default:
        this.reply(MOUSE_RESEND);
    }
  }

  private loadDefaults(): void {
    this.reporting = false;
    this.remote = false;
    this.scaling21 = false;
    this.sampleRate = DEFAULT_SAMPLE_RATE;
    this.resolution = DEFAULT_RESOLUTION;
    this.rates = [];
    this.awaiting = 0;
    this.clearCounters();
  }

  private clearCounters(): void {
    this.dx = 0;
    this.dy = 0;
    this.dz = 0;
    this.dirty = false;
  }

  private ack(): void {
    this.reply(MOUSE_ACK);
  }

  private reply(b: number): void {
    if (this.replies.length < QUEUE_LIMIT) this.replies.push(b & 0xff);
  }

  /** Queues a movement packet from the counters into `queue` and clears them. */
  private queuePacket(queue: number[]): void {
    let x = this.dx;
    let y = this.dy;
    if (this.scaling21 && this.streaming) {
      x = scale21(x);
      y = scale21(y);
    }
    let b0 = PACKET_ALWAYS_ONE | (this.buttons & (PACKET_LEFT | PACKET_RIGHT | PACKET_MIDDLE));
    // Counts are 9-bit two's complement (sign in byte 0); beyond that the overflow bit is set.
    if (x > 255 || x < -256) {
      b0 |= PACKET_X_OVERFLOW;
      x = x > 0 ? 255 : -256;
    }
    if (y > 255 || y < -256) {
      b0 |= PACKET_Y_OVERFLOW;
      y = y > 0 ? 255 : -256;
    }
    if (x < 0) b0 |= PACKET_X_SIGN;
    if (y < 0) b0 |= PACKET_Y_SIGN;
    if (queue.length + 4 > QUEUE_LIMIT) return; // the guest is not reading: keep the counters
    queue.push(b0, x & 0xff, y & 0xff);
    if (this.id === MOUSE_ID_WHEEL) queue.push(Math.max(-8, Math.min(7, this.dz)) & 0xff);
    this.clearCounters();
  }

  // ---- Host input ----

  /**
   * Reports motion in screen directions: dx > 0 right, dy > 0 down (as in browser events),
   * wheel > 0 scrolled towards the user (down). The packet carries PS/2's y-up direction.
   */
  move(dx: number, dy: number, wheel = 0): void {
    if (dx === 0 && dy === 0 && wheel === 0) return;
    this.dx = clampCounter(this.dx + dx);
    this.dy = clampCounter(this.dy - dy);
    if (this.id === MOUSE_ID_WHEEL) this.dz = clampCounter(this.dz + wheel);
    this.dirty = true;
    if (this.streaming) this.notify();
  }

  /** Sets the buttons held (BUTTON_* bits). A change closes any pending motion into a packet first. */
  setButtons(mask: number): void {
    mask &= BUTTON_LEFT | BUTTON_RIGHT | BUTTON_MIDDLE;
    if (mask === this.buttons) return;
    if (this.dirty && this.streaming) this.queuePacket(this.packets);
    this.buttons = mask;
    this.dirty = true;
    if (this.streaming) this.notify();
  }

  // ---- Snapshot ----

  static readonly STATE = defineState<Ps2Mouse>()({
    name: "ps2-mouse",
    version: 1,
    minVersion: 1,
    fields: {
      replies: byteQueue(QUEUE_LIMIT),
      packets: byteQueue(QUEUE_LIMIT),
      reporting: bool,
      remote: bool,
      wrap: bool,
      scaling21: bool,
      sampleRate: u8,
      resolution: int(0, 3),
      id: oneOf([MOUSE_ID_STANDARD, MOUSE_ID_WHEEL]),
      rates: list(u8, 3),
      awaiting: oneOf([0, MOUSE_CMD_SAMPLE_RATE, MOUSE_CMD_SET_RESOLUTION]),
      lastSent: u8,
      buttons: int(0, 7),
      dx: int(-COUNTER_LIMIT, COUNTER_LIMIT),
      dy: int(-COUNTER_LIMIT, COUNTER_LIMIT),
      dz: int(-COUNTER_LIMIT, COUNTER_LIMIT),
      dirty: bool,
    },
  });
  readonly stateDefinition = Ps2Mouse.STATE;
  readonly stateName = Ps2Mouse.STATE.name;
  readonly stateVersion = Ps2Mouse.STATE.version;
  readonly stateMinVersion = Ps2Mouse.STATE.minVersion;

  saveState(): StateRecord {
    return Ps2Mouse.STATE.save(this);
  }

  loadState(fields: StateRecord, version: number): void {
    Ps2Mouse.STATE.load(this, fields, version);
  }
}
