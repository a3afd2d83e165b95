// How large a VM's screen is drawn. "crisp" (the default) shows every guest pixel as a square
// of whole host pixels: the largest whole factor of the picture that fits the space (the card's
// width and the window's height, or the whole display in fullscreen), drawn with
// `image-rendering: pixelated`, so text stays sharp. "fit" fills the space with a 4:3 picture,
// as a monitor shows any mode, at whatever factor that takes. A space smaller than the picture
// itself shrinks it in either mode.

export type ScaleMode = "crisp" | "fit";

export interface Size {
  width: number;
  height: number;
}

export interface Frame extends Size {
  /** Host pixels per guest pixel across (a whole number in crisp mode unless shrunk). */
  factor: number;
}

/** A monitor's shape, for "fit". */
const DISPLAY_ASPECT = 4 / 3;

/** The frame for a `picture` of the guest's pixels in `space` (CSS pixels). */
export function frameSize(picture: Size, space: Size, mode: ScaleMode): Frame {
  const pw = Math.max(1, picture.width),
    ph = Math.max(1, picture.height);
  const sw = Math.max(1, space.width),
    sh = Math.max(1, space.height);
  if (mode === "crisp") {
    const whole = Math.floor(Math.min(sw / pw, sh / ph));
    if (whole >= 1) return { width: pw * whole, height: ph * whole, factor: whole };
    // Smaller than the picture: shrink it, same shape.
    const f = Math.min(sw / pw, sh / ph);
    return { width: Math.floor(pw * f), height: Math.floor(ph * f), factor: f };
  }
  const width = Math.floor(Math.min(sw, sh * DISPLAY_ASPECT));
  const height = Math.floor(width / DISPLAY_ASPECT);
  return { width, height, factor: width / pw };
}

const STORAGE_KEY = "x86vm.scale";

/** The scale the user chose last (on this browser), or crisp. */
export function savedScaleMode(): ScaleMode {
  try {
    return localStorage.getItem(STORAGE_KEY) === "fit" ? "fit" : "crisp";
  } catch {
    return "crisp";
  }
}

export function saveScaleMode(mode: ScaleMode): void {
  try {
    localStorage.setItem(STORAGE_KEY, mode);
  } catch {
    /* storage refused (private mode): the choice lasts for this page only */
  }
}
