// The card's icons: small inline SVGs drawn in the text colour (currentColor), so they need no
// icon font or download and follow the button's hover, focus and disabled styles. Each is
// decorative (aria-hidden): its button carries the name in aria-label and title.
import type { ReactNode } from "react";

function Icon({ children }: { children: ReactNode }) {
  return (
    <svg
      viewBox="0 0 16 16"
      width="16"
      height="16"
      aria-hidden="true"
      focusable="false"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.6"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      {children}
    </svg>
  );
}

export const PauseIcon = () => (
  <Icon>
    <path d="M5 3v10M11 3v10" strokeWidth="2.4" />
  </Icon>
);

export const PlayIcon = () => (
  <Icon>
    <path d="M4 2.5v11l9-5.5z" fill="currentColor" />
  </Icon>
);

export const ResetIcon = () => (
  <Icon>
    <path d="M13 8a5 5 0 1 1-1.6-3.7M13 2v3.5H9.5" />
  </Icon>
);

/** Ctrl+Alt+Del: a keyboard. */
export const KeysIcon = () => (
  <Icon>
    <rect x="1" y="4" width="14" height="8.5" rx="1.2" />
    <path d="M4 7h1M7.5 7h1M11 7h1M4.5 10h7" />
  </Icon>
);

export const MouseIcon = () => (
  <Icon>
    <rect x="4" y="1.5" width="8" height="13" rx="4" />
    <path d="M8 1.5v5M4 6.5h8" />
  </Icon>
);

export const FloppyIcon = () => (
  <Icon>
    <path d="M2 2h10l2 2v10H2z" />
    <path d="M5 2v4h6V2M4.5 14v-4.5h7V14" />
  </Icon>
);

export const EjectIcon = () => (
  <Icon>
    <path d="M3 9.5 8 3.5l5 6z" fill="currentColor" />
    <path d="M3 12.5h10" />
  </Icon>
);

export const CameraIcon = () => (
  <Icon>
    <path d="M1.5 5h3l1.5-2h4l1.5 2h3v8h-13z" />
    <circle cx="8" cy="8.8" r="2.4" />
  </Icon>
);

export const DownloadIcon = () => (
  <Icon>
    <path d="M8 2v8M4.5 7 8 10.5 11.5 7M2.5 13.5h11" />
  </Icon>
);

export const ShareIcon = () => (
  <Icon>
    <path d="M6.5 9.5a3 3 0 0 0 4.2 0l2.3-2.3a3 3 0 0 0-4.2-4.2l-1 1" />
    <path d="M9.5 6.5a3 3 0 0 0-4.2 0L3 8.8A3 3 0 0 0 7.2 13l1-1" />
  </Icon>
);

export const CloseIcon = () => (
  <Icon>
    <path d="M3.5 3.5l9 9M12.5 3.5l-9 9" strokeWidth="2" />
  </Icon>
);

/** Scale to fit: a square in corner marks. */
export const FitIcon = () => (
  <Icon>
    <path d="M1 5V1h4M11 1h4v4M15 11v4h-4M5 15H1v-4" />
    <rect x="5" y="5" width="6" height="6" fill="currentColor" stroke="none" />
  </Icon>
);

export const FullscreenIcon = () => (
  <Icon>
    <path d="M1 6V1h5M10 1h5v5M15 10v5h-5M6 15H1v-5M2 2l4 4M14 2l-4 4M14 14l-4-4M2 14l4-4" />
  </Icon>
);
