// The host's resources: the memory budget all VMs share (adjustable) and the CPU shares.
import { useState } from "react";
import { formatBytes, MiB } from "../host/allocator.ts";
import type { VmManager } from "../host/vm-host.ts";
import { messageOf } from "../shared/message.ts";

export function HostPanel({ manager }: { manager: VmManager }) {
  const a = manager.allocator;
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const cores = navigator.hardwareConcurrency || 1;
  const pct = a.budget ? Math.min(100, (a.used / a.budget) * 100) : 0;

  const apply = () => {
    if (text === null) return;
    setError(null);
    try {
      manager.setBudget(Number(text) * MiB);
      setText(null);
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <section className="host" aria-label="Host resources">
      <div className="budget">
        <span data-testid="budget-used">
          Memory: {formatBytes(a.used)} of {formatBytes(a.budget)} in use
        </span>
        <div className="bar" aria-hidden="true">
          <div style={{ width: `${pct}%` }} />
        </div>
        <label>
          Budget
          <input
            type="number"
            min={16}
            step={16}
            data-testid="budget"
            value={text ?? String(Math.round(a.budget / MiB))}
            onChange={(e) => setText(e.currentTarget.value)}
            onBlur={apply}
            onKeyDown={(e) => {
              if (e.key === "Enter") apply();
            }}
          />{" "}
          MiB
        </label>
        {error && (
          <span className="create-error" role="alert">
            {error}
          </span>
        )}
      </div>
      <div className="cpu">
        CPU: {manager.vms.length} VM{manager.vms.length === 1 ? "" : "s"}, shares add up to {a.totalShare}% of one core;
        this host has {cores} core{cores === 1 ? "" : "s"}
      </div>
    </section>
  );
}
