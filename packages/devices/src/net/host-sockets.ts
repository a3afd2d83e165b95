// The host side of the user-mode network's NAT: how a guest's TCP connection or UDP datagram
// reaches a real host. The NAT (user-net) terminates the guest's TCP itself and only asks the
// host for byte streams and datagrams through this interface, so the same NAT runs:
//  - in the CLI, over Node's sockets (packages/cli), and
//  - in the page, over a WebSocket to `pnpm start`'s relay (packages/web), which opens the
//    real sockets.
//
// Key design choices:
//  - Addresses are what the guest asked for (an IPv4 address in dotted form and a port).
//    Mapping 10.0.2.2 to the host's loopback, and the allow-list of destinations, are the
//    implementation's business: the NAT never decides what is allowed, so a relay cannot be
//    talked past its list by a guest.
//  - Everything is callbacks, called later (never inside the call that caused them), so an
//    implementation may sit behind an event loop or a message port.
//  - Flow control is explicit: the NAT pauses a stream when the guest's window is full and
//    resumes it when the guest has read; the host reports how much it still buffers.

/** What happens on a host TCP stream, in order: open or refused, then data, then end or error. */
export interface HostTcpEvents {
  /** The connection is up; data may be written. */
  onOpen(): void;
  /** Bytes from the remote side. */
  onData(data: Uint8Array): void;
  /** The remote side finished sending (half-close). */
  onEnd(): void;
  /** The connection failed or was refused (not allowed, unreachable, reset); nothing follows. */
  onError(reason: string): void;
  /**
   * Optional: the bytes written earlier have gone out (bufferedAmount fell back to 0), so the NAT
   * may open the window it advertises to the guest again.
   */
  onDrain?(): void;
}

export interface HostTcpStream {
  write(data: Uint8Array): void;
  /** Half-closes: nothing more will be written. */
  end(): void;
  /** Closes at once (reset), in both directions; no further events. */
  close(): void;
  /** Stops onData until resume() (the guest's receive window is full). */
  pause(): void;
  resume(): void;
  /**
   * Optional: bytes written but not yet sent on by the host. The NAT takes them off the receive
   * window it advertises to the guest, so a slow remote side slows the guest's sending down;
   * without it the window stays full and the host buffers whatever the guest sends.
   */
  readonly bufferedAmount?: number;
}

export interface HostUdpEvents {
  /** A datagram from `host:port` for the guest's socket this binding stands for. */
  onMessage(data: Uint8Array, host: string, port: number): void;
  /** The binding failed (for example a destination outside the allow-list); it stays usable. */
  onError(reason: string): void;
}

export interface HostUdpSocket {
  send(data: Uint8Array, host: string, port: number): void;
  close(): void;
}

export interface HostSockets {
  connectTcp(host: string, port: number, events: HostTcpEvents): HostTcpStream;
  /** One binding per guest UDP (address, port) pair. */
  openUdp(events: HostUdpEvents): HostUdpSocket;
}
