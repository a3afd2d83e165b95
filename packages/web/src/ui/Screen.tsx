// A VM's screen: copies the shared framebuffer into a canvas whenever the worker published a
// new frame; the canvas fills the frame the card sized for it (VmViews: whole multiples of the
// guest's pixels, or the space there is) and tells the card the picture's size when it changes. While the canvas has focus, every key goes to the
// guest (with preventDefault, so the browser does not act on it); with the mouse captured
// (pointer lock), motion and buttons go to the guest's PS/2 mouse.
import { useEffect, useRef } from "react";
import type { VmHandle } from "../host/vm-host.ts";

export function Screen({ vm, onSize }: { vm: VmHandle; onSize?: (width: number, height: number) => void }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const sizeListener = useRef(onSize);
  useEffect(() => {
    sizeListener.current = onSize;
  });

  useEffect(() => {
    const c = canvas.current!;
    const ctx = c.getContext("2d", { alpha: false })!;
    let image: ImageData | null = null;
    let last = -1;
    let raf = 0;
    const draw = () => {
      raf = requestAnimationFrame(draw);
      const { width, height } = vm.fb.size();
      if (width === 0 || height === 0) return;
      if (!image || image.width !== width || image.height !== height) {
        image = new ImageData(width, height);
        last = -1;
      }
      const info = vm.fb.readInto(image.data, last);
      if (!info || info.width !== width || info.height !== height) return;
      last = info.frame;
      if (c.width !== width || c.height !== height) {
        c.width = width;
        c.height = height;
        sizeListener.current?.(width, height);
      }
      ctx.putImageData(image, 0, 0);
    };
    raf = requestAnimationFrame(draw);
    return () => cancelAnimationFrame(raf);
  }, [vm]);

  useEffect(() => {
    const c = canvas.current!;
    const locked = () => document.pointerLockElement === c;
    const onMove = (e: MouseEvent) => {
      if (locked()) vm.mouseMove(e.movementX, e.movementY);
    };
    const onButtons = (e: MouseEvent) => {
      if (locked()) {
        e.preventDefault();
        vm.mouseButtons(e.buttons);
      }
    };
    const onWheel = (e: WheelEvent) => {
      if (locked()) {
        e.preventDefault();
        vm.mouseMove(0, 0, Math.sign(e.deltaY));
      }
    };
    c.addEventListener("mousemove", onMove);
    c.addEventListener("mousedown", onButtons);
    c.addEventListener("mouseup", onButtons);
    c.addEventListener("wheel", onWheel, { passive: false });
    return () => {
      c.removeEventListener("mousemove", onMove);
      c.removeEventListener("mousedown", onButtons);
      c.removeEventListener("mouseup", onButtons);
      c.removeEventListener("wheel", onWheel);
    };
  }, [vm]);

  return (
    <canvas
      ref={canvas}
      className="screen"
      data-testid="screen"
      tabIndex={0}
      width={720}
      height={400}
      aria-label={`Screen of ${vm.name}: click to type into the guest`}
      onKeyDown={(e) => {
        e.preventDefault();
        e.stopPropagation();
        if (!e.repeat) vm.keyDown(e.code);
      }}
      onKeyUp={(e) => {
        e.preventDefault();
        e.stopPropagation();
        vm.keyUp(e.code);
      }}
      onBlur={() => vm.releaseKeys()}
      onContextMenu={(e) => e.preventDefault()}
      onMouseDown={(e) => e.currentTarget.focus()}
    />
  );
}

/**
 * Asks for pointer lock on a VM's canvas: mouse motion then goes to the guest until Esc. A card
 * showing its Console shows its Screen first (its Screen tab, as if clicked).
 */
export function captureMouse(panel: HTMLElement | null): void {
  const c = panel?.querySelector<HTMLCanvasElement>("canvas.screen");
  if (!c) return;
  const tab = panel?.querySelector<HTMLElement>('[data-testid="tab-screen"]');
  const lock = () => {
    c.focus();
    void c.requestPointerLock();
  };
  if (!tab || tab.getAttribute("aria-selected") === "true") return lock();
  tab.click();
  requestAnimationFrame(lock); // once the Screen is shown (a hidden canvas takes neither focus nor the lock)
}
