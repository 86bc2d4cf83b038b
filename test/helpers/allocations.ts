// Counts the typed-array and ArrayBuffer allocations made by code under test, and refuses one
// over a cap *before* it happens. The global constructors are wrapped in Proxies, so bundled engine
// code (which looks `Float32Array` up on the global at call time) goes through them; `instanceof`
// and prototypes are unchanged. Node's own Buffer allocations (readFileSync, Buffer.from) are not
// seen, but those are bounded by the size of the input file.

export class AllocationCapExceeded extends Error {
  override readonly name = 'AllocationCapExceeded';
}

const NAMES = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'Float32Array',
  'Float64Array',
  'Uint8Array',
  'Uint16Array',
  'Uint32Array',
  'Int8Array',
  'Int16Array',
  'Int32Array',
  'BigInt64Array',
  'BigUint64Array',
] as const;

interface Counter {
  /** Bytes requested since the last reset. */
  total: number;
  /** Largest single request since the last reset. */
  largest: number;
  /** A single request or the running total over this throws AllocationCapExceeded. */
  cap: number;
}

const counter: Counter = { total: 0, largest: 0, cap: Infinity };
let installed = false;

function bytesOf(name: string, args: unknown[]): number {
  const a = args[0];
  const item =
    name === 'ArrayBuffer' || name === 'SharedArrayBuffer'
      ? 1
      : ((globalThis as unknown as Record<string, { BYTES_PER_ELEMENT: number }>)[name].BYTES_PER_ELEMENT ?? 1);
  if (typeof a === 'number') return a * item;
  if (a instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && a instanceof SharedArrayBuffer)) return 0; // a view: no new memory
  if (a && typeof a === 'object' && 'length' in a && typeof (a as { length: unknown }).length === 'number')
    return (a as { length: number }).length * item;
  return 0;
}

/** Wraps the global constructors (once per thread). */
export function installAllocationCounter(): void {
  if (installed) return;
  installed = true;
  const g = globalThis as unknown as Record<string, unknown>;
  for (const name of NAMES) {
    const target = g[name] as (new (...a: unknown[]) => object) | undefined;
    if (!target) continue;
    g[name] = new Proxy(target, {
      construct(t, args, newTarget) {
        const n = bytesOf(name, args);
        if (n > 0) {
          counter.total += n;
          counter.largest = Math.max(counter.largest, n);
          if (n > counter.cap || counter.total > counter.cap) {
            throw new AllocationCapExceeded(
              `new ${name}(${n} bytes) would bring this case to ${counter.total} bytes; the cap is ${counter.cap}`,
            );
          }
        }
        // Subclasses keep their own newTarget; direct calls construct the real class.
        return Reflect.construct(t, args, newTarget === g[name] ? t : newTarget);
      },
    });
  }
}

/** Starts a new count with the given cap (bytes). */
export function resetAllocations(cap = Infinity): void {
  counter.total = 0;
  counter.largest = 0;
  counter.cap = cap;
}

export function allocations(): { total: number; largest: number } {
  return { total: counter.total, largest: counter.largest };
}
