// The shell's first page: it only states whether the page is cross-origin isolated, which
// guest RAM in SharedArrayBuffers requires. VM panels arrive with the worker protocol.
export function App() {
  const isolated = globalThis.crossOriginIsolated === true;
  return (
    <main style={{ fontFamily: "system-ui, sans-serif", padding: "1rem" }}>
      <h1>x86vm</h1>
      <p>A PC emulator and virtual machine monitor that runs in the browser.</p>
      <p data-testid="isolation">{isolated ? "cross-origin isolated" : "not cross-origin isolated"}</p>
    </main>
  );
}
