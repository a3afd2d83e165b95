// A VM card's main view: the Screen (the guest's display) or the Console (COM1 in a terminal),
// switched by tabs, both the same size in the same place (the other one is hidden, not
// removed: the console keeps drawing what the guest writes).
//
// Which view: a VM booted with console=ttyS0 on its kernel command line opens on the Console;
// any other VM opens on the Screen and switches to the Console by itself, once, when its guest
// has written to COM1 since its screen's text last changed and that text then stays the same
// for a couple of seconds (a guest that talks on the serial port, not on the display). Once the user picks a tab, the card never
// switches by itself again.
//
// Focus: a new card's view takes the keyboard. While the view does not have it, a hint says
// "Click to type". A paused VM is covered by "Paused — click to resume" (a click resumes). A
// paused VM takes no input (VmHandle drops it rather than deliver a burst on resume), so keys
// typed into it are not queued: the overlay says how many were not sent.
//
// Size: the view area (the stage) is as large as the screen's picture drawn at the scale the
// user chose (scale.ts: whole multiples of its pixels by default, or "fit"), in the card's width
// and the window's height less the card's own controls; the Console fills that space (4:3). The
// fullscreen button puts the stage alone on the display (Esc leaves), scaled the same way.
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import type { VmHandle } from "../host/vm-host.ts";
import { FitIcon, FullscreenIcon } from "./icons.tsx";
import { frameSize, savedScaleMode, saveScaleMode, type ScaleMode, type Size } from "./scale.ts";
import { Screen } from "./Screen.tsx";
import { SerialConsole } from "./SerialConsole.tsx";
import { PAUSED_WORDS, statusWords } from "./status.ts";

export type View = "screen" | "console";

/** How long the screen's text must stay the same before COM1 output moves the card to its Console. */
export const QUIET_SCREEN_MS = 2000;
const POLL_MS = 500;
/** How long after the card appears it still takes the keyboard when its view becomes ready. */
const INITIAL_FOCUS_MS = 15_000;

/**
 * Window height the card's own parts above and below the view take (its name, toolbar, tabs,
 * padding): the view gets the rest, so a card scrolled to its top shows all of its screen.
 */
export const CARD_CHROME_PX = 130;
/** The picture's size before the first frame: VGA text, 80x25 in 9x16 cells. */
const FIRST_PICTURE: Size = { width: 720, height: 400 };

const KEYS_IGNORED_WHILE_PAUSED = new Set(["Shift", "Control", "Alt", "Meta", "CapsLock", "Tab"]);

function initialView(vm: VmHandle): View {
  return /(^|\s)console=ttyS0\b/.test(vm.request.cmdline ?? "") ? "console" : "screen";
}

/** The element that takes the keys in `view`, if it is there yet. */
function focusTarget(stage: HTMLElement | null, view: View): HTMLElement | null {
  if (!stage) return null;
  return stage.querySelector<HTMLElement>(
    view === "screen" ? "canvas.screen" : '[data-testid="serial"] textarea.xterm-helper-textarea',
  );
}

/**
 * The Console switch: COM1 output while the screen's text has not changed for QUIET_SCREEN_MS.
 * Polls the screen's text only while the card shows the Screen and the user has not chosen.
 */
function useAutoConsole(vm: VmHandle, active: boolean, toConsole: () => void): void {
  const latest = useRef(toConsole);
  useEffect(() => {
    latest.current = toConsole;
  });
  useEffect(() => {
    if (!active) return;
    let serial = vm.serialLog.length > 0;
    let last: string | null | undefined;
    let stableSince = performance.now();
    let stop = false;
    const off = vm.onSerial(() => {
      serial = true;
    });
    const check = async () => {
      if (stop || vm.paused || (vm.status !== "running" && vm.status !== "booting")) return;
      let text: string | null;
      try {
        text = await vm.screenText();
      } catch {
        return;
      }
      if (stop) return;
      const now = performance.now();
      if (text !== last) {
        // COM1 output from before the screen changed does not count (the first look at the
        // screen is no change: the order of what came before it is not known).
        if (last !== undefined) serial = false;
        last = text;
        stableSince = now;
        return;
      }
      if (serial && now - stableSince >= QUIET_SCREEN_MS) {
        stop = true;
        latest.current();
      }
    };
    const timer = setInterval(() => void check(), POLL_MS);
    return () => {
      stop = true;
      clearInterval(timer);
      off();
    };
  }, [vm, active]);
}

/**
 * The space the view may take: the card's width and the window's height less the card's
 * controls, or the whole display in fullscreen. Follows the card's width and the window.
 */
function useSpace(views: React.RefObject<HTMLDivElement | null>, fullscreen: boolean): Size {
  const [space, setSpace] = useState<Size>({ width: 720, height: 400 });
  useLayoutEffect(() => {
    const measure = () => {
      const box = views.current;
      const width = fullscreen ? window.innerWidth : (box?.clientWidth ?? 720);
      const height = fullscreen ? window.innerHeight : Math.max(200, window.innerHeight - CARD_CHROME_PX);
      setSpace((s) => (s.width === width && s.height === height ? s : { width, height }));
    };
    measure();
    const observer = new ResizeObserver(measure);
    if (views.current) observer.observe(views.current);
    window.addEventListener("resize", measure);
    return () => {
      observer.disconnect();
      window.removeEventListener("resize", measure);
    };
  }, [views, fullscreen]);
  return space;
}

/** Whether `el` is the document's fullscreen element, kept up to date. */
function useFullscreen(el: React.RefObject<HTMLElement | null>): boolean {
  const [full, setFull] = useState(false);
  useEffect(() => {
    const check = () => setFull(document.fullscreenElement !== null && document.fullscreenElement === el.current);
    document.addEventListener("fullscreenchange", check);
    return () => document.removeEventListener("fullscreenchange", check);
  }, [el]);
  return full;
}

export function VmViews({ vm, failed, paused }: { vm: VmHandle; failed: boolean; paused: boolean }) {
  const [view, setView] = useState<View>(() => initialView(vm));
  const [chosen, setChosen] = useState(false);
  const [focused, setFocused] = useState(false);
  const [unsent, setUnsent] = useState(0);
  const stage = useRef<HTMLDivElement>(null);
  const views = useRef<HTMLDivElement>(null);
  const [picture, setPicture] = useState<Size>(FIRST_PICTURE);
  const [scale, setScale] = useState<ScaleMode>(savedScaleMode);
  const fullscreen = useFullscreen(stage);
  const space = useSpace(views, fullscreen);
  // The Console is text in a font of any size: it always takes the space (as "fit" does).
  const frame = frameSize(picture, space, view === "console" ? "fit" : scale);
  // Whole host pixels per guest pixel are drawn as blocks; a picture shrunk below its size is
  // smoothed instead (dropping whole rows of pixels would make text unreadable).
  const sharp = scale === "crisp" && Number.isInteger(frame.factor);
  const tabs = useRef<Record<View, HTMLButtonElement | null>>({ screen: null, console: null });
  /** Give the view the keyboard as soon as it can take it (until this time, performance.now()). */
  const focusUntil = useRef(performance.now() + INITIAL_FOCUS_MS);

  const id = `vm-${vm.id}`;
  // A VM whose machine could not be built has no ports to speak of.
  const serialPresent = vm.details?.machine === false ? undefined : vm.details?.serial;

  // Take the keyboard when asked to, once the view's element exists (the console's terminal
  // appears only once the VM's details are known); never from another text field.
  useLayoutEffect(() => {
    if (focusUntil.current < performance.now()) return;
    const target = focusTarget(stage.current, view);
    if (!target) return;
    const active = document.activeElement;
    const busyElsewhere =
      active instanceof HTMLElement &&
      !stage.current!.contains(active) &&
      (active.matches("input, select, textarea, [contenteditable]") || active.closest(".vm") !== null);
    focusUntil.current = 0;
    if (!busyElsewhere) target.focus({ preventScroll: true });
  });

  useEffect(() => {
    if (!paused) setUnsent(0);
  }, [paused]);

  const show = (v: View, opts: { user: boolean; focus: boolean }) => {
    if (opts.user) setChosen(true);
    setView(v);
    if (opts.focus) focusUntil.current = performance.now() + 1000;
  };

  useAutoConsole(vm, view === "screen" && !chosen && !failed, () => {
    const hadFocus = stage.current?.contains(document.activeElement) ?? false;
    show("console", { user: false, focus: hadFocus });
  });

  const onTabKey = (e: React.KeyboardEvent) => {
    let next: View | null = null;
    if (e.key === "ArrowLeft" || e.key === "Home") next = "screen";
    if (e.key === "ArrowRight" || e.key === "End") next = "console";
    if (!next) return;
    e.preventDefault();
    show(next, { user: true, focus: false });
    tabs.current[next]?.focus();
  };

  const tab = (v: View, label: string, title: string) => (
    <button
      ref={(el) => {
        tabs.current[v] = el;
      }}
      role="tab"
      type="button"
      id={`${id}-tab-${v}`}
      aria-controls={`${id}-${v}`}
      aria-selected={view === v}
      tabIndex={view === v ? 0 : -1}
      className={view === v ? "tab selected" : "tab"}
      data-testid={`tab-${v}`}
      title={title}
      onClick={(e) => show(v, { user: true, focus: e.detail > 0 })}
      onKeyDown={onTabKey}
    >
      {label}
    </button>
  );

  const toggleScale = () => {
    const next = scale === "crisp" ? "fit" : "crisp";
    setScale(next);
    saveScaleMode(next);
  };

  const toggleFullscreen = () => {
    if (document.fullscreenElement) {
      void document.exitFullscreen().catch(() => {});
      return;
    }
    const el = stage.current;
    if (!el) return;
    void el
      .requestFullscreen({ navigationUI: "hide" })
      .then(() => focusTarget(el, view)?.focus({ preventScroll: true }))
      .catch(() => {
        /* refused (no user gesture, or an iframe without allowfullscreen): the card stays as it is */
      });
  };

  const resume = () => {
    vm.resume();
    focusUntil.current = performance.now() + 1000;
  };

  return (
    <div className="views" ref={views}>
      <div className="view-bar">
        <div className="tabs" role="tablist" aria-label={`${vm.name} view`}>
          {tab("screen", "Screen", "The guest's display; keys go to its keyboard")}
          {tab("console", "Console", "COM1 serial console; keys go to the guest's serial port")}
        </div>
        <div className="view-tools">
          <button
            type="button"
            className="icon"
            data-testid="scale-mode"
            data-scale={scale}
            aria-pressed={scale === "fit"}
            aria-label="Fit the screen to the space"
            title={
              scale === "crisp"
                ? "Sharp pixels now (whole multiples of the guest's pixels): click to fill the space instead"
                : "Filling the space now: click for sharp pixels (whole multiples of the guest's pixels)"
            }
            onClick={toggleScale}
          >
            <FitIcon />
          </button>
          <button
            type="button"
            className="icon"
            data-testid="fullscreen"
            aria-label="Fullscreen"
            title="Show this VM's screen on the whole display (Esc leaves)"
            onClick={toggleFullscreen}
          >
            <FullscreenIcon />
          </button>
        </div>
      </div>
      <div
        className={`stage scale-${scale}${sharp ? " pixelated" : ""}${failed ? " dimmed" : ""}`}
        ref={stage}
        data-testid="vm-stage"
        data-view={view}
        data-scale={scale}
        data-factor={Number.isInteger(frame.factor) ? frame.factor : frame.factor.toFixed(2)}
        style={fullscreen ? undefined : { width: frame.width, height: frame.height }}
        onFocus={() => setFocused(true)}
        onBlur={(e) => setFocused(stage.current?.contains(e.relatedTarget as Node | null) ?? false)}
        onKeyDownCapture={(e) => {
          // Esc leaves fullscreen. Browsers do that themselves, before the page sees the key;
          // this covers a browser that hands it to the page (and the key still reaches the guest).
          if (e.key === "Escape" && fullscreen) void document.exitFullscreen().catch(() => {});
          if (paused && !e.repeat && !KEYS_IGNORED_WHILE_PAUSED.has(e.key)) setUnsent((n) => n + 1);
        }}
      >
        <div className="frame" data-testid="vm-frame" style={{ width: frame.width, height: frame.height }}>
          <div
            className={view === "screen" ? "view" : "view hidden"}
            role="tabpanel"
            id={`${id}-screen`}
            aria-labelledby={`${id}-tab-screen`}
            aria-hidden={view !== "screen"}
          >
            <Screen
              vm={vm}
              onSize={(width, height) =>
                setPicture((p) => (p.width === width && p.height === height ? p : { width, height }))
              }
            />
          </div>
          <div
            className={view === "console" ? "view console" : "view console hidden"}
            role="tabpanel"
            id={`${id}-console`}
            aria-labelledby={`${id}-tab-console`}
            aria-hidden={view !== "console"}
          >
            <SerialConsole vm={vm} present={serialPresent} />
          </div>
          {(vm.status === "starting" || vm.status === "booting") && !failed && (
            <div className="overlay boot" data-testid="boot-stage" data-status={vm.status}>
              {statusWords(vm).text}
            </div>
          )}
          {failed && (
            <div className="overlay stopped" data-testid="stopped-overlay">
              Stopped — see above
            </div>
          )}
          {paused && !failed ? (
            <button type="button" className="overlay pause" data-testid="pause-overlay" onClick={resume}>
              <span className="big">{PAUSED_WORDS}</span>
              <span className="small" data-testid="unsent-keys">
                {unsent > 0
                  ? `${unsent} key${unsent === 1 ? "" : "s"} typed while paused ${unsent === 1 ? "was" : "were"} not sent to the guest`
                  : "Keys typed while paused are not sent to the guest"}
              </span>
            </button>
          ) : (
            !focused &&
            !failed && (
              <div className="overlay hint" data-testid="focus-overlay" aria-hidden="true">
                Click to type
              </div>
            )
          )}
        </div>
      </div>
    </div>
  );
}
